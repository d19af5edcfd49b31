//! `/conversations/*`: private conversations between members.

use actix_web::{get, post};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain;
use super::service::{self, MessagesAsked, Writing};
use super::views::{ConversationView, MessageView};
use crate::accounts::auth::{AuthUser, Member};
use crate::config::Settings;
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;
use crate::http::Json;
use crate::ids::{ConversationId, MessageId};
use crate::pagination::{self, Page};
use crate::rate_limit::PostingLimits;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(start_conversation)
        .service(list_conversations)
        .service(get_conversation)
        .service(list_messages)
        .service(post_message)
        .service(read_conversation)
        .service(leave_conversation);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationRequest {
    /// The other members' usernames (1 to 10).
    #[schema(value_type = Vec<String>, required = true, min_items = 1, max_items = 10)]
    pub to: Option<Vec<String>>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$")]
    pub subject: Option<String>,
    /// The first message (Markdown).
    #[schema(value_type = String, required = true, min_length = 1, max_length = 20000, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub body: Option<String>,
}

/// Starts a conversation with 1 to 10 other members. A member who blocked the caller, or who
/// takes messages only from connections (or from nobody), refuses it: `403 cannot_message`,
/// the same answer for every reason.
#[utoipa::path(
    tag = "conversations",
    security(("bearer_auth" = [])),
    request_body = ConversationRequest,
    responses(
        (status = 201, description = "The new conversation", body = ConversationView),
        (status = 403, description = "Unverified email, suspended, a `new` account's limits, or `cannot_message`"),
        (status = 422, description = "Invalid fields, or an unknown username in `to`"),
        (status = 429, description = "Posting limit reached (`rate_limited`), or a `new` account's conversations a day (`new_account_daily_limit`, with `Retry-After`)"),
    )
)]
#[post("/conversations")]
pub async fn start_conversation(
    Member(author): Member,
    body: Json<ConversationRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<PostingLimits>,
    settings: web::Data<Settings>,
    jobs: web::Data<crate::jobs::Waker>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = domain::parse_new_conversation(
        body.to.as_deref(),
        body.subject.as_deref(),
        body.body.as_deref(),
    )?;
    let view = db::write(&pool, move |conn| {
        let writing = Writing {
            limits: &limits,
            trust: &settings.trust,
        };
        service::start(conn, &author, &input, &writing)
    })
    .await?;
    jobs.wake();
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationListParams {
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's conversations, newest activity first, each with its unread count.
#[utoipa::path(
    tag = "conversations",
    security(("bearer_auth" = [])),
    params(ConversationListParams),
    responses(
        (status = 200, description = "A page of conversations", body = Page<ConversationView>),
        (status = 422, description = "Invalid `limit`"),
    )
)]
#[get("/conversations")]
pub async fn list_conversations(
    AuthUser(member): AuthUser,
    query: web::Query<ConversationListParams>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let cursor = query.cursor;
    let page = db::read(&pool, Cost::Large, move |conn| {
        service::inbox(conn, &member, cursor.as_deref(), limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One of the caller's conversations (`404` for anyone not in it, staff included).
#[utoipa::path(
    tag = "conversations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "The conversation", body = ConversationView),
        (status = 404, description = "No such conversation, or the caller is not in it"),
    )
)]
#[get("/conversations/{id}")]
pub async fn get_conversation(
    AuthUser(member): AuthUser,
    id: web::Path<ConversationId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = db::read(&pool, Cost::Large, move |conn| {
        service::get(conn, id, &member)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageListParams {
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page: older messages.
    pub cursor: Option<String>,
    /// Only messages after this id, oldest first (what arrived since); no cursor with it.
    #[param(minimum = 1)]
    pub after: Option<i64>,
}

/// The conversation's messages: the newest page first, oldest first within a page, its
/// `next_cursor` leading to older ones; or, with `after`, what came after a message.
#[utoipa::path(
    tag = "conversations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Conversation id"), MessageListParams),
    responses(
        (status = 200, description = "A page of messages", body = Page<MessageView>),
        (status = 404, description = "No such conversation, or the caller is not in it"),
        (status = 422, description = "Invalid `limit`, or `after` with `cursor`"),
    )
)]
#[get("/conversations/{id}/messages")]
pub async fn list_messages(
    AuthUser(member): AuthUser,
    id: web::Path<ConversationId>,
    query: web::Query<MessageListParams>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = match (query.after, &query.cursor) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_field(
                "after",
                "cannot be sent with `cursor`",
            ))
        }
        (Some(after), None) if after < 1 => {
            return Err(ApiError::invalid_field("after", "must be a message id"))
        }
        (after, _) => after.map(MessageId),
    };
    let id = id.into_inner();
    let cursor = query.cursor;
    let page = db::read(&pool, Cost::Small, move |conn| {
        let asked = match after {
            Some(after) => MessagesAsked::After(after),
            None => MessagesAsked::Latest(cursor.as_deref()),
        };
        service::messages(conn, id, &member, asked, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// Markdown, rendered like posts.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 20000, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub body: Option<String>,
}

/// Writes in a conversation the caller is in; the others are told (`kind: "message"`).
#[utoipa::path(
    tag = "conversations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = MessageRequest,
    responses(
        (status = 201, description = "The new message", body = MessageView),
        (status = 403, description = "Unverified email, suspended, a `new` account's limits, or `cannot_message` (nobody in it takes messages from the caller)"),
        (status = 404, description = "No such conversation, or the caller is not in it"),
        (status = 409, description = "The conversation changed while the message was sent (`conversation_changed`): send it again"),
        (status = 429, description = "Posting limit reached (`rate_limited`)"),
    )
)]
#[post("/conversations/{id}/messages")]
pub async fn post_message(
    Member(author): Member,
    id: web::Path<ConversationId>,
    body: Json<MessageRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<PostingLimits>,
    settings: web::Data<Settings>,
    jobs: web::Data<crate::jobs::Waker>,
) -> Result<HttpResponse, ApiError> {
    let body = domain::parse_message_body(body.into_inner().body.as_deref())?;
    let id = id.into_inner();
    let message = db::write(&pool, move |conn| {
        let writing = Writing {
            limits: &limits,
            trust: &settings.trust,
        };
        service::post(conn, id, &author, &body, &writing)
    })
    .await?;
    jobs.wake();
    Ok(HttpResponse::Created().json(message))
}

/// The caller read the conversation up to its newest message; its notifications are read.
#[utoipa::path(
    tag = "conversations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 204, description = "Read"),
        (status = 404, description = "No such conversation, or the caller is not in it"),
    )
)]
#[post("/conversations/{id}/read")]
pub async fn read_conversation(
    AuthUser(member): AuthUser,
    id: web::Path<ConversationId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::write(&pool, move |conn| service::mark_read(conn, id, &member)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller leaves the conversation: it leaves their inbox, and the others go on without
/// them.
#[utoipa::path(
    tag = "conversations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 204, description = "Left"),
        (status = 404, description = "No such conversation, or the caller is not in it"),
    )
)]
#[post("/conversations/{id}/leave")]
pub async fn leave_conversation(
    AuthUser(member): AuthUser,
    id: web::Path<ConversationId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::write(&pool, move |conn| service::leave(conn, id, &member)).await?;
    Ok(HttpResponse::NoContent().finish())
}
