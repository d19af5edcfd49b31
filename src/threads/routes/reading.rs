//! Where a member left off: `PUT /threads/{id}/read` and `POST /users/me/mark-threads-read`.

use actix_web::{post, put};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::accounts::auth::AuthUser;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::Json;
use crate::ids::{ReplyId, ThreadId};
use crate::threads::service::reads;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(save_reading_position)
        .service(mark_all_threads_read);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// The last reply read (null or absent: only the question).
    #[serde(default)]
    pub last_read_reply_id: Option<ReplyId>,
}

/// The caller read the thread up to this reply; a position never moves back (an older reply
/// changes nothing). The thread's listings then count only the replies after it as unread.
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Thread id")),
    request_body = ReadRequest,
    responses(
        (status = 204, description = "Position kept"),
        (status = 401, description = "No valid token"),
        (status = 404, description = "No such thread"),
        (status = 422, description = "The reply is not one of this thread's"),
    )
)]
#[put("/threads/{id}/read")]
pub async fn save_reading_position(
    AuthUser(member): AuthUser,
    id: web::Path<ThreadId>,
    body: Json<ReadRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let thread = id.into_inner();
    let reply = body.into_inner().last_read_reply_id;
    db::write(&pool, move |conn| {
        reads::mark_read(conn, &member, thread, reply)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Marks everything read: every thread the caller opened is read to its last reply, and
/// nothing started until now is new to them.
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    responses(
        (status = 204, description = "All read"),
        (status = 401, description = "No valid token"),
    )
)]
#[post("/users/me/mark-threads-read")]
pub async fn mark_all_threads_read(
    AuthUser(member): AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    db::write(&pool, move |conn| reads::mark_all_read(conn, &member)).await?;
    Ok(HttpResponse::NoContent().finish())
}
