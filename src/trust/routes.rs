//! `PUT /admin/users/{username}/trust-level`.

use actix_web::put;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain::TrustLevel;
use super::service;
use crate::accounts::views::UserView;
use crate::auth::Admin;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::Json;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(pin_level);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustLevelRequest {
    /// The level to pin; `null` lets it be computed from activity again.
    pub level: Option<TrustLevel>,
}

/// Pin a member's trust level, or let it be computed again (admins); logged.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(("username" = String, Path, description = "The member's username")),
    request_body = TrustLevelRequest,
    responses(
        (status = 200, description = "The member with their level", body = UserView),
        (status = 404, description = "No such member"),
        (status = 422, description = "Unknown level"),
    )
)]
#[put("/admin/users/{username}/trust-level")]
pub async fn pin_level(
    Admin(admin): Admin,
    username: web::Path<String>,
    body: Json<TrustLevelRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let level = body.into_inner().level;
    let username = username.into_inner();
    let trust = settings.trust.clone();
    let user = db::run(&pool, move |conn| {
        service::pin(conn, &admin, &username, level, &trust)
    })
    .await?;
    Ok(HttpResponse::Ok().json(user))
}
