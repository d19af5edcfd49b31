//! `/tags`, `/threads/*` and `/replies/*`; where a member left off (`reading`) and their
//! drafts (`drafts`).

mod drafts;
mod reading;

use actix_web::{delete, get, patch, post, put};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain::{self, Sort, ThreadStatus};
use super::model::{ReadingFilter, ThreadFilter, VoteTarget};
use super::service;
use super::views::{
    PreviewView, PreviewWarning, ReplyView, TagList, ThreadSummary, ThreadView, VoteView,
};
use crate::accounts::auth::{ActiveUser, MaybeUser, Member};
use crate::config::Settings;
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;
use crate::http::Json;
use crate::ids::{ReplyId, ThreadId};
use crate::pagination::{self, Page};
use crate::rate_limit::PostingLimits;
use crate::reads::ReadPool;
use crate::tags::{TagFilterSchema, TagNameSchema};
use crate::visibility::Audience;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_tags)
        .service(list_threads)
        .service(create_thread)
        .service(get_thread)
        .service(update_thread)
        .service(delete_thread)
        .service(list_replies)
        .service(create_reply)
        .service(vote_on_thread)
        .service(update_reply)
        .service(delete_reply)
        .service(vote_on_reply)
        .service(choose_solution)
        .service(remove_solution)
        .service(preview_markdown);
    reading::configure(cfg);
    drafts::configure(cfg);
}

/// Tags in use, with the number of visible threads carrying each.
#[utoipa::path(
    tag = "threads",
    responses((status = 200, description = "Tags, most used first", body = TagList))
)]
#[get("/tags")]
pub async fn list_tags(pool: ReadPool) -> Result<HttpResponse, ApiError> {
    let tags = db::read(&pool, Cost::Small, service::list_tags).await?;
    Ok(HttpResponse::Ok().json(tags))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadListQuery {
    /// Only threads carrying this tag.
    #[param(value_type = Option<TagFilterSchema>)]
    pub tag: Option<String>,
    /// Only threads by this username.
    pub author: Option<String>,
    /// `latest` (default: newest first), `active` (latest activity first) or `top` (score).
    pub sort: Option<Sort>,
    /// Questions only: `unanswered` (no reply from anyone but the author), `unsolved` (no
    /// solution) or `solved`.
    pub status: Option<ThreadStatus>,
    /// Signed-in members: `unread` (threads they opened with replies past their position) or
    /// `new` (started by others since their previous visit, never opened).
    pub filter: Option<domain::ReadFilter>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Thread summaries; pinned threads first in `latest` and `active`.
#[utoipa::path(
    tag = "threads",
    params(ThreadListQuery),
    responses(
        (status = 200, description = "A page of thread summaries", body = Page<ThreadSummary>),
        (status = 401, description = "A token was sent but is invalid, or `filter` without one"),
        (status = 422, description = "Invalid `limit` or `tag`"),
    )
)]
#[get("/threads")]
pub async fn list_threads(
    MaybeUser(viewer): MaybeUser,
    query: web::Query<ThreadListQuery>,
    pool: ReadPool,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let listing = domain::parse_listing(
        query.sort,
        query.tag.as_deref(),
        query.cursor.as_deref(),
        query.limit,
    )?;
    let wanted = query.filter;
    if wanted.is_some() && viewer.is_none() {
        return Err(ApiError::unauthorized(
            "Sign in to see what you have not read.",
        ));
    }
    let filter = ThreadFilter {
        sort: listing.sort,
        tag: listing.tag,
        author_id: None,
        status: query.status,
        after: listing.after,
        audience: Audience::of(viewer.as_ref()),
        reading: None,
        reader: None,
        limit: listing.limit,
    };
    let author = query.author;
    let page = db::read(&pool, Cost::Small, move |conn| {
        let mut filter = filter.clone();
        if let (Some(wanted), Some(reader)) = (wanted, &viewer) {
            filter.reading = Some(match wanted {
                domain::ReadFilter::Unread => ReadingFilter::Unread(reader.id),
                domain::ReadFilter::New => {
                    ReadingFilter::New(reader.id, service::reads::new_since(conn, reader)?)
                }
            });
        }
        service::list_threads(conn, &filter, author.as_deref(), viewer.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateThreadRequest {
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 5, max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$")]
    pub title: Option<String>,
    /// Markdown.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 50000, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub body: Option<String>,
    /// Up to 5 tag names, lowercase `[a-z0-9-]`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<TagNameSchema>>, max_items = 5)]
    pub tags: Option<Vec<String>>,
}

/// Start a thread (verified members).
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    request_body = CreateThreadRequest,
    responses(
        (status = 201, description = "The new thread", body = ThreadView),
        (status = 403, description = "Unverified email (`email_not_verified`), suspended (`account_suspended`), or a `new` account's limits (`new_account_links`, `new_account_images`); the detail says what lifts them"),
        (status = 429, description = "Posting limit reached (`rate_limited`), or a `new` account's threads a day (`new_account_daily_limit`, with `Retry-After`)"),
    )
)]
#[post("/threads")]
pub async fn create_thread(
    Member(author): Member,
    body: Json<CreateThreadRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<PostingLimits>,
    settings: web::Data<Settings>,
    jobs: web::Data<crate::jobs::Waker>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = domain::parse_new_thread(
        body.title.as_deref(),
        body.body.as_deref(),
        body.tags.as_deref(),
    )?;
    let thread = db::write(&pool, move |conn| {
        let posting = service::Posting {
            limits: &limits,
            trust: &settings.trust,
        };
        service::create_thread(conn, &author, &input, &posting)
    })
    .await?;
    jobs.wake();
    Ok(HttpResponse::Created().json(thread))
}

/// One thread. Hidden threads are 404 except to staff; deleted ones to everyone.
#[utoipa::path(
    tag = "threads",
    params(("id" = i64, Path, description = "Thread id")),
    responses(
        (status = 200, description = "The thread", body = ThreadView),
        (status = 401, description = "A token was sent but is invalid"),
        (status = 404, description = "No such thread"),
    )
)]
#[get("/threads/{id}")]
pub async fn get_thread(
    MaybeUser(viewer): MaybeUser,
    id: web::Path<ThreadId>,
    pool: ReadPool,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let thread = db::read(&pool, Cost::Small, move |conn| {
        service::get_thread(conn, id, viewer.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(thread))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateThreadRequest {
    #[schema(
        min_length = 5,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub title: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 50000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub body: Option<String>,
    #[schema(value_type = Option<Vec<TagNameSchema>>, max_items = 5)]
    pub tags: Option<Vec<String>>,
}

/// Edit a thread (its author or a moderator).
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Thread id")),
    request_body = UpdateThreadRequest,
    responses(
        (status = 200, description = "The edited thread", body = ThreadView),
        (status = 403, description = "Not the author (`not_author`), suspended, or a `new` account's limits (`new_account_links`, `new_account_images`)"),
        (status = 404, description = "No such thread"),
    )
)]
#[patch("/threads/{id}")]
pub async fn update_thread(
    ActiveUser(actor): ActiveUser,
    id: web::Path<ThreadId>,
    body: Json<UpdateThreadRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let patch = domain::parse_thread_patch(
        body.title.as_deref(),
        body.body.as_deref(),
        body.tags.as_deref(),
    )?;
    let id = id.into_inner();
    let thread = db::write(&pool, move |conn| {
        service::update_thread(conn, id, &actor, &patch, &settings.trust)
    })
    .await?;
    Ok(HttpResponse::Ok().json(thread))
}

/// Delete a thread (its author or a moderator). It stays in the database, out of sight.
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Thread id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not the author (`not_author`) or suspended"),
        (status = 404, description = "No such thread"),
    )
)]
#[delete("/threads/{id}")]
pub async fn delete_thread(
    ActiveUser(actor): ActiveUser,
    id: web::Path<ThreadId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::write(&pool, move |conn| service::delete_thread(conn, id, &actor)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A thread's replies, oldest first.
#[utoipa::path(
    tag = "threads",
    params(("id" = i64, Path, description = "Thread id"), PageQuery),
    responses(
        (status = 200, description = "A page of replies", body = Page<ReplyView>),
        (status = 401, description = "A token was sent but is invalid"),
        (status = 404, description = "No such thread"),
        (status = 422, description = "Invalid `limit`"),
    )
)]
#[get("/threads/{id}/replies")]
pub async fn list_replies(
    MaybeUser(viewer): MaybeUser,
    id: web::Path<ThreadId>,
    query: web::Query<PageQuery>,
    pool: ReadPool,
) -> Result<HttpResponse, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let cursor = query.into_inner().cursor.filter(|c| !c.is_empty());
    let id = id.into_inner();
    let page = db::read(&pool, Cost::Small, move |conn| {
        service::list_replies(conn, id, viewer.as_ref(), cursor.as_deref(), limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// Markdown.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 50000, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub body: Option<String>,
}

/// Reply to a thread (verified members); `409 thread_locked` on a locked thread.
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Thread id")),
    request_body = ReplyRequest,
    responses(
        (status = 201, description = "The new reply", body = ReplyView),
        (status = 403, description = "Unverified email, suspended, or a `new` account's limits (`new_account_links`, `new_account_images`)"),
        (status = 404, description = "No such thread"),
        (status = 409, description = "The thread is locked (`thread_locked`)"),
        (status = 429, description = "Posting limit reached (`rate_limited`), or a `new` account's replies a day (`new_account_daily_limit`, with `Retry-After`)"),
    )
)]
#[post("/threads/{id}/replies")]
pub async fn create_reply(
    Member(author): Member,
    id: web::Path<ThreadId>,
    body: Json<ReplyRequest>,
    pool: web::Data<DbPool>,
    limits: web::Data<PostingLimits>,
    settings: web::Data<Settings>,
    jobs: web::Data<crate::jobs::Waker>,
) -> Result<HttpResponse, ApiError> {
    let body = domain::parse_reply_body(body.into_inner().body.as_deref())?;
    let id = id.into_inner();
    // The limits are counted on the reply's own connection: one hand-off to the blocking pool.
    let reply = db::write(&pool, move |conn| {
        let posting = service::Posting {
            limits: &limits,
            trust: &settings.trust,
        };
        service::create_reply(conn, id, &author, &body, &posting)
    })
    .await?;
    // Its notifications and search sync are committed: this process's worker starts them now.
    jobs.wake();
    Ok(HttpResponse::Created().json(reply))
}

/// Edit a reply (its author or a moderator).
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Reply id")),
    request_body = ReplyRequest,
    responses(
        (status = 200, description = "The edited reply", body = ReplyView),
        (status = 403, description = "Not the author (`not_author`), suspended, or a `new` account's limits (`new_account_links`, `new_account_images`)"),
        (status = 404, description = "No such reply"),
    )
)]
#[patch("/replies/{id}")]
pub async fn update_reply(
    ActiveUser(actor): ActiveUser,
    id: web::Path<ReplyId>,
    body: Json<ReplyRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = domain::parse_reply_body(body.into_inner().body.as_deref())?;
    let id = id.into_inner();
    let reply = db::write(&pool, move |conn| {
        service::update_reply(conn, id, &actor, &body, &settings.trust)
    })
    .await?;
    Ok(HttpResponse::Ok().json(reply))
}

/// Delete a reply (its author or a moderator).
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Reply id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not the author (`not_author`) or suspended"),
        (status = 404, description = "No such reply"),
    )
)]
#[delete("/replies/{id}")]
pub async fn delete_reply(
    ActiveUser(actor): ActiveUser,
    id: web::Path<ReplyId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::write(&pool, move |conn| service::delete_reply(conn, id, &actor)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SolutionRequest {
    /// A reply of this thread that readers see.
    pub reply_id: ReplyId,
}

/// Mark a reply as the thread's solution (the thread's author or staff); another choice
/// replaces it. The reply's author is told (`solution`).
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Thread id")),
    request_body = SolutionRequest,
    responses(
        (status = 200, description = "The thread with its `solution`", body = ThreadView),
        (status = 403, description = "Not the thread's author nor staff (`not_author`), or suspended"),
        (status = 404, description = "No such thread"),
        (status = 422, description = "Not a reply of this thread that readers see (`invalid_solution`)"),
    )
)]
#[put("/threads/{id}/solution")]
pub async fn choose_solution(
    ActiveUser(actor): ActiveUser,
    id: web::Path<ThreadId>,
    body: Json<SolutionRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let (id, reply) = (id.into_inner(), body.reply_id);
    let thread = db::write(&pool, move |conn| {
        service::solutions::choose(conn, id, reply, &actor, &settings.trust)
    })
    .await?;
    Ok(HttpResponse::Ok().json(thread))
}

/// Remove the thread's solution (the thread's author or staff).
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Thread id")),
    responses(
        (status = 204, description = "No solution now"),
        (status = 403, description = "Not the thread's author nor staff (`not_author`), or suspended"),
        (status = 404, description = "No such thread"),
    )
)]
#[delete("/threads/{id}/solution")]
pub async fn remove_solution(
    ActiveUser(actor): ActiveUser,
    id: web::Path<ThreadId>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::write(&pool, move |conn| {
        service::solutions::remove(conn, id, &actor, &settings.trust)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// 1 (up), 0 (withdraw) or -1 (down).
    #[schema(value_type = i64, minimum = -1, maximum = 1)]
    pub value: f64,
}

/// Vote on a thread; idempotent; never on one's own (`403 own_post`).
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Thread id")),
    request_body = VoteRequest,
    responses(
        (status = 200, description = "The new score and the caller's vote", body = VoteView),
        (status = 403, description = "One's own thread (`own_post`) or suspended"),
        (status = 404, description = "No such thread"),
        (status = 422, description = "Invalid value"),
    )
)]
#[put("/threads/{id}/vote")]
pub async fn vote_on_thread(
    actor: ActiveUser,
    id: web::Path<ThreadId>,
    body: Json<VoteRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    vote(VoteTarget::Thread(id.into_inner()), actor, body, pool).await
}

/// Vote on a reply; idempotent; never on one's own (`403 own_post`).
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Reply id")),
    request_body = VoteRequest,
    responses(
        (status = 200, description = "The new score and the caller's vote", body = VoteView),
        (status = 403, description = "One's own reply (`own_post`) or suspended"),
        (status = 404, description = "No such reply"),
        (status = 422, description = "Invalid value"),
    )
)]
#[put("/replies/{id}/vote")]
pub async fn vote_on_reply(
    actor: ActiveUser,
    id: web::Path<ReplyId>,
    body: Json<VoteRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    vote(VoteTarget::Reply(id.into_inner()), actor, body, pool).await
}

async fn vote(
    target: VoteTarget,
    ActiveUser(actor): ActiveUser,
    body: Json<VoteRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let value = domain::parse_vote(body.value)?;
    let vote = db::write(&pool, move |conn| {
        service::vote(conn, target, &actor, value)
    })
    .await?;
    Ok(HttpResponse::Ok().json(vote))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// Markdown, as it would be posted.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 50000, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
    pub body: Option<String>,
}

/// A post's body rendered exactly as posting it would render it (the same checks, the same
/// renderer and sanitiser), for the composer's preview (verified members), with what posting
/// it would refuse for the caller as `warnings`.
#[utoipa::path(
    tag = "threads",
    security(("bearer_auth" = [])),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "The rendered, sanitised HTML", body = PreviewView),
        (status = 403, description = "Unverified email or suspended"),
        (status = 429, description = "Preview limit reached (`rate_limited`)"),
    )
)]
#[post("/markdown/preview")]
pub async fn preview_markdown(
    Member(author): Member,
    body: Json<PreviewRequest>,
    limits: web::Data<PostingLimits>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = domain::parse_reply_body(body.into_inner().body.as_deref())?;
    limits.previews.check(&author.id).await?;
    let rendered = crate::markdown::render_counting(&body);
    let warnings = crate::trust::service::post_refusal(&author, rendered.embeds, &settings.trust)
        .map(|(code, detail)| PreviewWarning {
            code: code.to_string(),
            detail,
        })
        .into_iter()
        .collect();
    Ok(HttpResponse::Ok().json(PreviewView {
        body_html: rendered.html,
        warnings,
    }))
}
