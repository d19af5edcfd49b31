//! `/users/me/api-tokens`: a member's tokens for bots and scripts (`accounts::api_tokens`).
//! Managing them needs a signed-in session: a token cannot make or list tokens.

use actix_web::http::header;
use actix_web::{delete, get, post};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::accounts::api_tokens::{self, Scope};
use crate::accounts::auth::{ActiveUser, AuthUser};
use crate::accounts::model::api_tokens::ApiTokenRow;
use crate::accounts::service::api_tokens as service;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::Json;
use crate::ids::ApiTokenId;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_token)
        .service(list_tokens)
        .service(revoke_token);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// What it is for ("CI release notes").
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$")]
    pub name: Option<String>,
    /// `read`, `write`, `moderate` (staff only), each at most once.
    #[schema(value_type = Vec<Scope>, required = true, min_items = 1, max_items = 3)]
    pub scopes: Option<Vec<String>>,
    /// It stops working this many days from now; none: when revoked.
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i64>,
}

/// A token as its member sees it (never its secret after it was made).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenView {
    pub id: ApiTokenId,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    /// The latest use, to within a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<ApiTokenRow> for ApiTokenView {
    fn from(row: ApiTokenRow) -> Self {
        ApiTokenView {
            scopes: row.scopes(),
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
        }
    }
}

/// A token just made, with its whole value: the only time it is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedTokenView {
    pub api_token: ApiTokenView,
    /// `dfp_<id>_<secret>`: send it as `Authorization: Bearer …`.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenList {
    pub items: Vec<ApiTokenView>,
}

/// Make an API token with scopes and an optional expiry; its value is shown this once.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    request_body = NewTokenRequest,
    responses(
        (status = 201, description = "The token, shown once", body = IssuedTokenView),
        (status = 403, description = "`moderate` asked by a member who is not staff (`insufficient_role`), or a suspended account"),
        (status = 409, description = "The member holds the most tokens allowed (`too_many_tokens`)"),
    )
)]
#[post("/users/me/api-tokens")]
pub async fn create_token(
    ActiveUser(member): ActiveUser,
    body: Json<NewTokenRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let new = api_tokens::parse_new(
        body.name.as_deref(),
        body.scopes.as_deref(),
        body.expires_in_days,
        Utc::now(),
    )?;
    let issued = db::write(&pool, move |conn| service::create(conn, &member, &new)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(IssuedTokenView {
            api_token: issued.row.into(),
            token: issued.token,
        }))
}

/// The caller's API tokens, newest first.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    responses((status = 200, description = "The tokens", body = ApiTokenList))
)]
#[get("/users/me/api-tokens")]
pub async fn list_tokens(
    AuthUser(member): AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let rows = db::write(&pool, move |conn| service::list(conn, member.id)).await?;
    Ok(HttpResponse::Ok().json(ApiTokenList {
        items: rows.into_iter().map(ApiTokenView::from).collect(),
    }))
}

/// Revoke one of the caller's API tokens: it stops working at once.
#[utoipa::path(
    tag = "accounts",
    security(("bearer_auth" = [])),
    params(("id" = ApiTokenId, Path, description = "A token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "The caller has no token with that id"),
    )
)]
#[delete("/users/me/api-tokens/{id}")]
pub async fn revoke_token(
    AuthUser(member): AuthUser,
    id: web::Path<ApiTokenId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::write(&pool, move |conn| service::revoke(conn, member.id, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
