//! `/drafts/*`: what a member is writing, kept on the server.

use actix_web::{delete, get, put};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::accounts::auth::AuthUser;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::Json;
use crate::threads::domain::{self, DraftKey};
use crate::threads::service::drafts;
use crate::threads::views::{DraftList, DraftView};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_drafts)
        .service(get_draft)
        .service(save_draft)
        .service(delete_draft);
}

/// The key of the path, or 404: anything but `new-thread` and `reply-{thread_id}` names no
/// draft.
fn key_of(raw: &str) -> Result<DraftKey, ApiError> {
    DraftKey::parse(raw).ok_or(ApiError::NotFound)
}

/// The caller's drafts, the latest first (at most 50).
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "The caller's drafts", body = DraftList),
        (status = 401, description = "No valid token"),
    )
)]
#[get("/drafts")]
pub async fn list_drafts(
    AuthUser(member): AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let list = db::write(&pool, move |conn| drafts::list(conn, &member)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One draft.
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("key" = String, Path, description = "`new-thread` or `reply-{thread_id}`")),
    responses(
        (status = 200, description = "The draft", body = DraftView),
        (status = 401, description = "No valid token"),
        (status = 404, description = "No draft under this key"),
    )
)]
#[get("/drafts/{key}")]
pub async fn get_draft(
    AuthUser(member): AuthUser,
    key: web::Path<String>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let key = key_of(&key)?;
    let draft = db::write(&pool, move |conn| drafts::get(conn, &member, key)).await?;
    Ok(HttpResponse::Ok().json(draft))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    /// A new thread's title so far.
    #[schema(max_length = 200)]
    pub title: Option<String>,
    /// Markdown as typed.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 50000)]
    pub body: Option<String>,
    /// A new thread's tags so far.
    #[schema(max_items = 5)]
    pub tags: Option<Vec<String>>,
}

/// Saves the draft under `key` (the composer calls this as the member types). A reply's draft
/// needs a thread the caller sees; a member keeps at most 50 drafts (`422 too_many_drafts`).
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("key" = String, Path, description = "`new-thread` or `reply-{thread_id}`")),
    request_body = DraftRequest,
    responses(
        (status = 200, description = "The draft as saved", body = DraftView),
        (status = 401, description = "No valid token"),
        (status = 404, description = "No such key, or no such thread"),
        (status = 422, description = "Invalid fields, or too many drafts (`too_many_drafts`)"),
    )
)]
#[put("/drafts/{key}")]
pub async fn save_draft(
    AuthUser(member): AuthUser,
    key: web::Path<String>,
    body: Json<DraftRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let key = key_of(&key)?;
    let body = body.into_inner();
    let input = domain::parse_draft(
        key,
        body.title.as_deref(),
        body.body.as_deref(),
        body.tags.as_deref(),
    )?;
    let draft = db::write(&pool, move |conn| drafts::save(conn, &member, key, &input)).await?;
    Ok(HttpResponse::Ok().json(draft))
}

/// Discards the draft under `key` (nothing to discard is no error).
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("key" = String, Path, description = "`new-thread` or `reply-{thread_id}`")),
    responses(
        (status = 204, description = "No draft under this key any more"),
        (status = 401, description = "No valid token"),
        (status = 404, description = "No such key"),
    )
)]
#[delete("/drafts/{key}")]
pub async fn delete_draft(
    AuthUser(member): AuthUser,
    key: web::Path<String>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let key = key_of(&key)?;
    db::write(&pool, move |conn| drafts::remove(conn, &member, key)).await?;
    Ok(HttpResponse::NoContent().finish())
}
