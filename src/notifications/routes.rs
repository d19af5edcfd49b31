//! `/notifications/*` and `/threads/{id}/subscription`.

use actix_web::{delete, get, patch, post, put};
use std::time::Duration;
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::domain::{
    self, DigestFrequency, EmailPreference, MessagesSetting, SubscriptionLevel, TagLevel,
};
use super::live::{self, LiveStreams};
use super::service::{self, InboxQuery, INBOX_LISTING};
use super::unsubscribe::{self as one_click, UnsubscribeKeys, UnsubscribeView};
use super::views::{
    NotificationSettingsView, NotificationView, SubscriptionView, TagSubscriptionView, UnreadCount,
};
use crate::accounts::auth::{AuthUser, BadgeCaller};
use crate::config::Settings;
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;
use crate::http::Json;
use crate::ids::{MentorshipRequestId, NotificationId, ThreadId};
use crate::notifications::domain::ReadScope;
use crate::pagination::{self, Page};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_notifications)
        .service(unread_count)
        .service(stream)
        .service(mark_read_up_to)
        .service(mark_thread_read)
        .service(mark_request_read)
        .service(mark_read)
        .service(get_subscription)
        .service(put_subscription)
        .service(get_tag_subscription)
        .service(put_tag_subscription)
        .service(get_settings)
        .service(patch_settings)
        .service(preview_unsubscribe)
        .service(unsubscribe)
        .service(block)
        .service(unblock);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    /// Only unread notifications.
    pub unread: Option<bool>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's notifications, newest first; `?unread=true` for the unread ones.
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    params(InboxParams),
    responses(
        (status = 200, description = "A page of notifications", body = Page<NotificationView>),
        (status = 422, description = "Invalid `limit`"),
    )
)]
#[get("/notifications")]
pub async fn list_notifications(
    AuthUser(user): AuthUser,
    query: web::Query<InboxParams>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let inbox = InboxQuery {
        unread_only: query.unread.unwrap_or(false),
        before: pagination::decode_optional::<i64>(INBOX_LISTING, query.cursor.as_deref())?
            .map(NotificationId),
        limit: pagination::limit(query.limit)?,
    };
    let page = db::read(&pool, Cost::Large, move |conn| {
        service::inbox(conn, &user, &inbox)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// How many unread notifications the inbox holds (always what `?unread=true` lists).
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    responses((status = 200, description = "The unread count", body = UnreadCount))
)]
#[get("/notifications/unread-count")]
pub async fn unread_count(
    caller: BadgeCaller,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let count = db::read(&pool, Cost::Large, move |conn| match &caller {
        BadgeCaller::Session(claims) => service::unread_count(conn, claims),
        BadgeCaller::Token(member) => service::unread_count_of(conn, *member),
    })
    .await?;
    Ok(HttpResponse::Ok().json(count))
}

/// Marks one of the caller's notifications read (again is fine).
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses(
        (status = 204, description = "Read"),
        (status = 404, description = "No such notification of the caller's"),
    )
)]
#[post("/notifications/{id}/read")]
pub async fn mark_read(
    AuthUser(user): AuthUser,
    id: web::Path<NotificationId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::write(&pool, move |conn| service::mark_read(conn, &user, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadUpToRequest {
    /// Every notification with an id up to this one is marked read; newer ones stay unread.
    #[serde(default)]
    #[schema(value_type = i64, required = true, minimum = 1)]
    pub up_to_id: Option<serde_json::Number>,
}

/// Marks every notification up to an id read.
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    request_body = ReadUpToRequest,
    responses(
        (status = 204, description = "Read"),
    )
)]
#[post("/notifications/read")]
pub async fn mark_read_up_to(
    AuthUser(user): AuthUser,
    body: Json<ReadUpToRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let up_to = domain::parse_up_to(body.up_to_id.as_ref())?;
    mark_read_in(user, ReadScope::UpTo(up_to), pool).await
}

/// The three "mark read" operations: the caller's notifications in `scope`, `204`.
async fn mark_read_in(
    user: crate::accounts::User,
    scope: ReadScope,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    db::write(&pool, move |conn| service::mark_read_in(conn, &user, scope)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Marks read every notification of the caller's about a thread (its replies, mentions,
/// solution): the member opened it. None is no error.
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Thread id")),
    responses(
        (status = 204, description = "Read"),
        (status = 404, description = "Not an id"),
    )
)]
#[post("/threads/{id}/notifications/read")]
pub async fn mark_thread_read(
    AuthUser(user): AuthUser,
    id: web::Path<ThreadId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    mark_read_in(user, ReadScope::Thread(id.into_inner()), pool).await
}

/// Marks read every notification of the caller's about a mentorship request: the member
/// opened it. None is no error.
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Mentorship request id")),
    responses(
        (status = 204, description = "Read"),
        (status = 404, description = "Not an id"),
    )
)]
#[post("/mentorship-requests/{id}/notifications/read")]
pub async fn mark_request_read(
    AuthUser(user): AuthUser,
    id: web::Path<MentorshipRequestId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    mark_read_in(user, ReadScope::Request(id.into_inner()), pool).await
}

/// How the caller follows a thread.
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Thread id")),
    responses(
        (status = 200, description = "The level and why", body = SubscriptionView),
        (status = 404, description = "No such thread, or not one the caller can see"),
    )
)]
#[get("/threads/{id}/subscription")]
pub async fn get_subscription(
    AuthUser(user): AuthUser,
    id: web::Path<ThreadId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = db::read(&pool, Cost::Large, move |conn| {
        service::subscription(conn, &user, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    #[serde(default)]
    #[schema(value_type = SubscriptionLevel, required = true)]
    pub level: Option<SubscriptionLevel>,
}

/// Chooses how to follow a thread: `watching` (every reply), `normal` (replies to the caller
/// and mentions) or `muted` (nothing).
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Thread id")),
    request_body = SubscriptionRequest,
    responses(
        (status = 200, description = "The level, now `chosen`", body = SubscriptionView),
        (status = 404, description = "No such thread, or not one the caller can see"),
    )
)]
#[put("/threads/{id}/subscription")]
pub async fn put_subscription(
    AuthUser(user): AuthUser,
    id: web::Path<ThreadId>,
    body: Json<SubscriptionRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let level = domain::parse_level(body.level)?;
    let id = id.into_inner();
    let view = db::write(&pool, move |conn| {
        service::choose_subscription(conn, &user, id, level)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// How the caller follows a tag (`normal` unless they chose otherwise).
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    params(("name" = String, Path, description = "Tag name")),
    responses(
        (status = 200, description = "The level", body = TagSubscriptionView),
        (status = 404, description = "No such tag"),
    )
)]
#[get("/tags/{name}/subscription")]
pub async fn get_tag_subscription(
    AuthUser(user): AuthUser,
    name: web::Path<String>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let name = name.into_inner();
    let view = db::read(&pool, Cost::Large, move |conn| {
        service::tag_subscription(conn, &user, &name)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagSubscriptionRequest {
    #[serde(default)]
    #[schema(value_type = TagLevel, required = true)]
    pub level: Option<TagLevel>,
}

/// Chooses how to follow a tag: `watching_first_post` (told of every new thread with it),
/// `normal`, or `muted` (told nothing of its threads, unless the caller watches the thread).
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    params(("name" = String, Path, description = "Tag name")),
    request_body = TagSubscriptionRequest,
    responses(
        (status = 200, description = "The level", body = TagSubscriptionView),
        (status = 404, description = "No such tag"),
    )
)]
#[put("/tags/{name}/subscription")]
pub async fn put_tag_subscription(
    AuthUser(user): AuthUser,
    name: web::Path<String>,
    body: Json<TagSubscriptionRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let level = domain::parse_level(body.level)?;
    let name = name.into_inner();
    let view = db::write(&pool, move |conn| {
        service::choose_tag_subscription(conn, &user, &name, level)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Blocks a member: their posts and actions tell the caller nothing, and what they were told
/// already leaves the caller's inbox.
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    params(("username" = String, Path, description = "The member to block")),
    responses(
        (status = 204, description = "Blocked (again is fine)"),
        (status = 404, description = "No such member"),
        (status = 409, description = "`cannot_block_self`: the caller themselves"),
    )
)]
#[put("/users/{username}/block")]
pub async fn block(
    AuthUser(user): AuthUser,
    username: web::Path<String>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let username = username.into_inner();
    db::write(&pool, move |conn| service::block(conn, &user, &username)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unblocks a member; what they did while blocked stays untold, what was hidden comes back.
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    params(("username" = String, Path, description = "The member to unblock")),
    responses(
        (status = 204, description = "Not blocked (any more)"),
        (status = 404, description = "No such member"),
    )
)]
#[delete("/users/{username}/block")]
pub async fn unblock(
    AuthUser(user): AuthUser,
    username: web::Path<String>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let username = username.into_inner();
    db::write(&pool, move |conn| service::unblock(conn, &user, &username)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's notifications as they happen (Server-Sent Events): `notification` events
/// (the inbox item, its id as the event id) and `unread` events (`{unread}`), heartbeats as
/// comments. Reconnecting with `Last-Event-ID` replays every notification after it. Read it
/// with `fetch` and the bearer token; the stream ends when the access token would expire, and
/// the client reconnects with a fresh one.
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    params(("Last-Event-ID" = Option<i64>, Header, description = "The last notification id received")),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 400, description = "`Last-Event-ID` is not a notification id"),
    )
)]
#[get("/notifications/stream")]
pub async fn stream(
    AuthUser(user): AuthUser,
    request: HttpRequest,
    pool: web::Data<DbPool>,
    live: web::Data<LiveStreams>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let last_event_id = match request.headers().get("last-event-id") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse::<i64>().ok())
                .filter(|id| *id >= 0)
                .map(NotificationId)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_last_event_id",
                        "Last-Event-ID must be a notification id.",
                    )
                })?,
        ),
    };
    let events = live::open(
        pool.get_ref().clone(),
        &live.hub,
        user.id,
        last_event_id,
        live.shutdown.clone(),
        Duration::from_secs(settings.auth.access_token_ttl_secs),
        live::HEARTBEAT,
    );
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache, no-store"))
        // Compression would hold events back; proxies must not buffer them either.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(events))
}

/// The caller's email preferences.
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    responses((status = 200, description = "The preferences", body = NotificationSettingsView))
)]
#[get("/users/me/notification-settings")]
pub async fn get_settings(
    AuthUser(user): AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let view = db::read(&pool, Cost::Large, move |conn| {
        service::settings(conn, &user)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettingsRequest {
    /// Mail for replies to the member, mentions, mentorship and meetups.
    pub email: Option<EmailPreference>,
    /// How often the digest comes.
    pub digest: Option<DigestFrequency>,
    /// Who may start a private conversation with the caller.
    pub messages: Option<MessagesSetting>,
}

/// Changes the caller's email preferences (the fields sent; the others stay).
#[utoipa::path(
    tag = "notifications",
    security(("bearer_auth" = [])),
    request_body = NotificationSettingsRequest,
    responses(
        (status = 200, description = "The preferences now", body = NotificationSettingsView),
        (status = 422, description = "An unknown value"),
    )
)]
#[patch("/users/me/notification-settings")]
pub async fn patch_settings(
    AuthUser(user): AuthUser,
    body: Json<NotificationSettingsRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let (email, digest, messages) = (body.email, body.digest, body.messages);
    let view = db::write(&pool, move |conn| {
        service::update_settings(conn, &user, email, digest, messages)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeParams {
    /// The token of the link in the mail.
    pub token: Option<String>,
}

/// What an unsubscribe link would stop; changes nothing (mail scanners open links).
#[utoipa::path(
    tag = "notifications",
    params(UnsubscribeParams),
    responses(
        (status = 200, description = "What the link stops", body = UnsubscribeView),
        (status = 400, description = "`invalid_token`: forged, expired or used"),
    )
)]
#[get("/unsubscribe")]
pub async fn preview_unsubscribe(
    query: web::Query<UnsubscribeParams>,
    keys: web::Data<UnsubscribeKeys>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let token = query.into_inner().token.unwrap_or_default();
    let view = db::read(&pool, Cost::Large, move |conn| {
        one_click::preview(conn, &keys, &token)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The one body RFC 8058 has a mail provider send; the web client's button sends none.
pub const ONE_CLICK_BODY: &str = "List-Unsubscribe=One-Click";

/// Unsubscribes as the link says: RFC 8058 one-click (`List-Unsubscribe=One-Click`), without
/// logging in; each link works once.
#[utoipa::path(
    tag = "notifications",
    params(UnsubscribeParams),
    request_body(
        content = Option<String>, content_type = "application/x-www-form-urlencoded",
        description = "`List-Unsubscribe=One-Click` (RFC 8058), or nothing", example = "List-Unsubscribe=One-Click",
    ),
    responses(
        (status = 200, description = "Done", body = UnsubscribeView),
        (status = 400, description = "`invalid_token`: forged, expired or used; `not_one_click`: a body other than RFC 8058's; nothing changed"),
    )
)]
#[post("/unsubscribe")]
pub async fn unsubscribe(
    query: web::Query<UnsubscribeParams>,
    body: web::Bytes,
    keys: web::Data<UnsubscribeKeys>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let body = body.trim_ascii();
    if !body.is_empty() && body != ONE_CLICK_BODY.as_bytes() {
        return Err(ApiError::bad_request(
            "not_one_click",
            "Send `List-Unsubscribe=One-Click` (RFC 8058), or no body.",
        ));
    }
    let token = query.into_inner().token.unwrap_or_default();
    let view = db::write(&pool, move |conn| one_click::apply(conn, &keys, &token)).await?;
    Ok(HttpResponse::Ok().json(view))
}
