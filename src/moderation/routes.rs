//! `/reports`, `/mod/*` and `/admin/*`.

use actix_web::{delete, get, post, put};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain::AppealOutcome;
use super::domain::{
    self, parse_note, Content, LogAction, QueueSort, ReportInput, ReportReason, ReportStatus,
    ResolveAction, TargetType,
};
use super::model::QueueFilter;
use super::service::appeals;
use super::service::member_content::{self, MemberContentView};
use super::service::{self, Policy};
use super::views::{AppealView, LogEntryView, ReportView};
use crate::accounts::auth::{Admin, AuthUser, Member, Moderator};
use crate::accounts::service::erasure::ErasureSteps;
use crate::accounts::views::UserView;
use crate::accounts::Role;
use crate::accounts::TrustLevel;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::{Json, OptionalJson};
use crate::ids::{
    AppealId, ConversationId, MeetupId, MessageId, ModerationLogId, ReplyId, ReportId, ThreadId,
};
use crate::pagination::{self, Page};
use crate::slow_reads::SlowReads;
use crate::threads::model::ThreadFlag;
use crate::threads::views::ThreadView;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_report)
        .service(report_conversation)
        .service(review_queue)
        .service(resolve_report)
        .service(dismiss_report)
        .service(hide_thread)
        .service(restore_thread)
        .service(hide_reply)
        .service(restore_reply)
        .service(hide_meetup)
        .service(restore_meetup)
        .service(lock_thread)
        .service(unlock_thread)
        .service(pin_thread)
        .service(unpin_thread)
        .service(suspend)
        .service(unsuspend)
        .service(moderation_log)
        .service(set_role)
        .service(delete_user)
        .service(pin_level)
        .configure(configure_busy_queue);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub target_type: TargetType,
    /// The thread's, reply's, meetup's or member's id.
    #[schema(value_type = i64)]
    pub target_id: serde_json::Number,
    pub reason: ReportReason,
    /// What the moderators should know (plain text).
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub details: Option<String>,
}

/// Report content or a member to the moderators (verified members). Reports from several
/// members hide content until a moderator reviews it.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    request_body = ReportRequest,
    responses(
        (status = 201, description = "The report", body = ReportView),
        (status = 403, description = "Unverified email or suspended"),
        (status = 404, description = "No such target, or not one the caller can see"),
        (status = 409, description = "The caller has an open report on it (`report_exists`)"),
    )
)]
#[post("/reports")]
pub async fn create_report(
    Member(reporter): Member,
    body: Json<ReportRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = ReportInput {
        target: domain::parse_target(body.target_type, &body.target_id)?,
        reason: body.reason,
        details: parse_note("details", body.details.as_deref())?,
    };
    let policy = Policy::from_settings(&settings);
    let report = db::write(&pool, move |conn| {
        service::report(conn, &reporter, &input, &policy)
    })
    .await?;
    Ok(HttpResponse::Created().json(report))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageReportRequest {
    pub reason: ReportReason,
    /// What the moderators should know (plain text).
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub details: Option<String>,
    /// The message reported; the newest message of someone else when absent.
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub message_id: Option<serde_json::Number>,
}

/// A participant reports a message of a private conversation. Staff see that message with the
/// report, and only it: never the conversation.
#[utoipa::path(
    tag = "conversations",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = MessageReportRequest,
    responses(
        (status = 201, description = "The report", body = ReportView),
        (status = 403, description = "Unverified email or suspended"),
        (status = 404, description = "No such conversation, or the caller is not in it"),
        (status = 409, description = "The caller has an open report on this message (`report_exists`)"),
        (status = 422, description = "Invalid fields, or `message_id` not of this conversation"),
    )
)]
#[post("/conversations/{id}/report")]
pub async fn report_conversation(
    Member(reporter): Member,
    id: web::Path<ConversationId>,
    body: Json<MessageReportRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let message = match &body.message_id {
        Some(raw) => match crate::validation::whole_number(raw) {
            Some(id) if id > 0 => Some(MessageId(id)),
            _ => {
                return Err(ApiError::invalid_field(
                    "message_id",
                    "must be a message id",
                ))
            }
        },
        None => None,
    };
    let details = parse_note("details", body.details.as_deref())?;
    let (conversation, reason) = (id.into_inner(), body.reason);
    let policy = Policy::from_settings(&settings);
    let report = db::write(&pool, move |conn| {
        service::report_message(
            conn,
            &reporter,
            (conversation, message),
            reason,
            details.as_deref(),
            &policy,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `open` (default), `resolved` or `dismissed`.
    #[param(inline)]
    pub status: Option<ReportStatus>,
    /// Only reports for this reason.
    #[param(inline)]
    pub reason: Option<ReportReason>,
    /// Only reports on this kind of target.
    #[param(inline)]
    pub target_type: Option<TargetType>,
    /// Only targets with at least this many open reports.
    #[param(minimum = 1)]
    pub min_reporters: Option<i64>,
    /// Only reports filed after this time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_after: Option<DateTime<Utc>>,
    /// Only reports filed before this time (older than it).
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_before: Option<DateTime<Utc>>,
    /// `oldest` (default), `newest` or `most_reported`.
    #[param(inline)]
    pub sort: Option<QueueSort>,
    /// `true`: leave out reports another moderator has claimed.
    pub unclaimed: Option<bool>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (of the same sort).
    pub cursor: Option<String>,
}

/// The review queue, oldest first unless sorted otherwise, filtered by reason, kind, age and
/// number of reporters: each report with its target as it is now, the target's number of open
/// reports, the reporter's and author's trust levels and any moderator's claim.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(QueueQuery),
    responses(
        (status = 200, description = "A page of reports", body = Page<ReportView>),
        (status = 422, description = "Invalid `limit` or `min_reporters`"),
    )
)]
#[get("/mod/reports")]
pub async fn review_queue(
    Moderator(staff): Moderator,
    query: web::Query<QueueQuery>,
    pool: web::Data<DbPool>,
    slow_reads: web::Data<SlowReads>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let mut v = crate::validation::Validator::new();
    if query.min_reporters.is_some_and(|n| n < 1) {
        v.add("min_reporters", "must be at least 1".into());
    }
    let now = chrono::Utc::now();
    crate::validation::check_date(&mut v, "created_after", query.created_after, now);
    crate::validation::check_date(&mut v, "created_before", query.created_before, now);
    v.finish()?;
    let filter = QueueFilter {
        status: query.status.unwrap_or(ReportStatus::Open),
        reason: query.reason,
        target_type: query.target_type,
        min_reporters: query.min_reporters,
        created_after: query.created_after,
        created_before: query.created_before,
        sort: query.sort.unwrap_or(QueueSort::Oldest),
        unclaimed_for: query.unclaimed.unwrap_or(false).then_some(staff.id),
    };
    let page = slow_reads
        .read(pool.get_ref(), move |conn| {
            service::queue(conn, &staff, &filter, query.cursor.as_deref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// `hide` hides the reported content; `none` leaves it.
    pub action: ResolveAction,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
    /// Also resolve the other open reports of the same target (default `true`).
    pub resolve_others: Option<bool>,
}

/// Resolve a report, optionally hiding its target (moderators).
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Report id")),
    request_body = ResolveRequest,
    responses(
        (status = 200, description = "The resolved report", body = ReportView),
        (status = 404, description = "No such report"),
        (status = 409, description = "Already resolved or dismissed (`report_closed`)"),
        (status = 422, description = "Invalid fields; `hide` on a member"),
    )
)]
#[post("/mod/reports/{id}/resolve")]
pub async fn resolve_report(
    Moderator(staff): Moderator,
    id: web::Path<ReportId>,
    body: Json<ResolveRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let note = parse_note("note", body.note.as_deref())?;
    let id = id.into_inner();
    let policy = Policy::from_settings(&settings);
    let report = db::write(&pool, move |conn| {
        service::resolve(
            conn,
            &staff,
            id,
            body.action,
            note.as_deref(),
            body.resolve_others.unwrap_or(true),
            &policy,
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

/// Dismiss a report (moderators).
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Report id")),
    request_body(content = Option<NoteRequest>, description = "Optional"),
    responses(
        (status = 200, description = "The dismissed report", body = ReportView),
        (status = 404, description = "No such report"),
        (status = 409, description = "Already resolved or dismissed (`report_closed`)"),
        (status = 422, description = "Invalid `note`"),
    )
)]
#[post("/mod/reports/{id}/dismiss")]
pub async fn dismiss_report(
    Moderator(staff): Moderator,
    id: web::Path<ReportId>,
    body: OptionalJson<NoteRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let note = parse_note(
        "note",
        body.into_inner().unwrap_or_default().note.as_deref(),
    )?;
    let id = id.into_inner();
    let report = db::write(&pool, move |conn| {
        service::dismiss(conn, &staff, id, note.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Told to the author and written to the log.
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: Option<String>,
}

async fn moderate(
    staff: crate::accounts::User,
    content: Content,
    hidden: bool,
    body: OptionalJson<ReasonRequest>,
    pool: &DbPool,
    settings: &Settings,
) -> Result<HttpResponse, ApiError> {
    let reason = parse_note(
        "reason",
        body.into_inner().unwrap_or_default().reason.as_deref(),
    )?;
    let policy = Policy::from_settings(settings);
    let view = db::write(pool, move |conn| {
        service::moderate_content(conn, &staff, content, hidden, reason.as_deref(), &policy)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

macro_rules! content_action {
    ($name:ident, $path:literal, $content:path, $id:ty, $hidden:expr, $summary:literal, $body:ty) => {
        #[doc = $summary]
        #[utoipa::path(
            tag = "moderation",
            security(("bearer_auth" = [])),
            params(("id" = i64, Path, description = "Id")),
            request_body(content = Option<ReasonRequest>, description = "Optional; the reason"),
            responses(
                (status = 200, description = "The content as staff see it", body = $body),
                (status = 404, description = "No such content"),
                (status = 422, description = "Invalid `reason`"),
            )
        )]
        #[post($path)]
        pub async fn $name(
            Moderator(staff): Moderator,
            id: web::Path<$id>,
            body: OptionalJson<ReasonRequest>,
            pool: web::Data<DbPool>,
            settings: web::Data<Settings>,
        ) -> Result<HttpResponse, ApiError> {
            moderate(staff, $content(id.into_inner()), $hidden, body, &pool, &settings).await
        }
    };
}

content_action!(
    hide_thread,
    "/mod/threads/{id}/hide",
    Content::Thread,
    ThreadId,
    true,
    "Hide a thread and its replies from members, lists and search; its author is emailed.",
    ThreadView
);
content_action!(
    restore_thread,
    "/mod/threads/{id}/restore",
    Content::Thread,
    ThreadId,
    false,
    "Show a hidden thread again.",
    ThreadView
);
content_action!(
    hide_reply,
    "/mod/replies/{id}/hide",
    Content::Reply,
    ReplyId,
    true,
    "Hide a reply; its author is emailed.",
    crate::threads::views::ReplyView
);
content_action!(
    restore_reply,
    "/mod/replies/{id}/restore",
    Content::Reply,
    ReplyId,
    false,
    "Show a hidden reply again.",
    crate::threads::views::ReplyView
);
content_action!(
    hide_meetup,
    "/mod/meetups/{id}/hide",
    Content::Meetup,
    MeetupId,
    true,
    "Hide a meetup from members, lists, calendars and search; its organizer is emailed.",
    crate::meetups::views::MeetupView
);
content_action!(
    restore_meetup,
    "/mod/meetups/{id}/restore",
    Content::Meetup,
    MeetupId,
    false,
    "Show a hidden meetup again.",
    crate::meetups::views::MeetupView
);

macro_rules! thread_action {
    ($name:ident, $path:literal, $flag:expr, $on:expr, $action:expr, $summary:literal) => {
        #[doc = $summary]
        #[utoipa::path(
                            tag = "moderation",
                            security(("bearer_auth" = [])),
                            params(("id" = i64, Path, description = "Thread id")),
                            responses(
                                (status = 200, description = "The thread", body = ThreadView),
                                (status = 404, description = "No such thread"),
                            )
                        )]
        #[post($path)]
        pub async fn $name(
            Moderator(staff): Moderator,
            id: web::Path<ThreadId>,
            pool: web::Data<DbPool>,
        ) -> Result<HttpResponse, ApiError> {
            let id = id.into_inner();
            let thread = db::write(&pool, move |conn| {
                service::set_thread_flag(conn, &staff, id, $flag, $on, $action)
            })
            .await?;
            Ok(HttpResponse::Ok().json(thread))
        }
    };
}

thread_action!(
    lock_thread,
    "/mod/threads/{id}/lock",
    ThreadFlag::Locked,
    true,
    LogAction::Lock,
    "Lock a thread: no new replies."
);
thread_action!(
    unlock_thread,
    "/mod/threads/{id}/unlock",
    ThreadFlag::Locked,
    false,
    LogAction::Unlock,
    "Unlock a thread."
);
thread_action!(
    pin_thread,
    "/mod/threads/{id}/pin",
    ThreadFlag::Pinned,
    true,
    LogAction::Pin,
    "Pin a thread to the top of the listings."
);
thread_action!(
    unpin_thread,
    "/mod/threads/{id}/unpin",
    ThreadFlag::Pinned,
    false,
    LogAction::Unpin,
    "Unpin a thread."
);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    /// When the suspension lifts by itself; none: until lifted by a moderator.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub until: Option<DateTime<Utc>>,
    /// Told to the member and written to the log.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: String,
}

/// Suspend a member: they can read but not write, from their very next request; they are
/// emailed. Moderators cannot suspend staff.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(("username" = String, Path, description = "The member's username")),
    request_body = SuspendRequest,
    responses(
        (status = 200, description = "The member, suspended", body = UserView),
        (status = 403, description = "Not a moderator, or the target is staff (`cannot_moderate_staff`) or oneself"),
        (status = 404, description = "No such member"),
        (status = 422, description = "Invalid fields (`until` must be in the future)"),
    )
)]
#[post("/mod/users/{username}/suspend")]
pub async fn suspend(
    Moderator(staff): Moderator,
    username: web::Path<String>,
    body: Json<SuspendRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let suspension = domain::parse_suspension(&body.reason, body.until, Utc::now())?;
    let username = username.into_inner();
    let policy = Policy::from_settings(&settings);
    let user = db::write(&pool, move |conn| {
        service::suspend(conn, &staff, &username, &suspension, &policy)
    })
    .await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Lift a suspension.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(("username" = String, Path, description = "The member's username")),
    responses(
        (status = 200, description = "The member", body = UserView),
        (status = 403, description = "Not a moderator, or the target is staff"),
        (status = 404, description = "No such member"),
    )
)]
#[post("/mod/users/{username}/unsuspend")]
pub async fn unsuspend(
    Moderator(staff): Moderator,
    username: web::Path<String>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let username = username.into_inner();
    let user = db::write(&pool, move |conn| {
        service::unsuspend(conn, &staff, &username)
    })
    .await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    pub role: Role,
}

/// Set a member's role (admins). The last admin cannot be demoted (`409 last_admin`).
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(("username" = String, Path, description = "The member's username")),
    request_body = RoleRequest,
    responses(
        (status = 200, description = "The member with the new role", body = UserView),
        (status = 404, description = "No such member"),
        (status = 409, description = "The last admin (`last_admin`)"),
        (status = 422, description = "Unknown role"),
    )
)]
#[put("/admin/users/{username}/role")]
pub async fn set_role(
    Admin(admin): Admin,
    username: web::Path<String>,
    body: Json<RoleRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let role = body.into_inner().role;
    let username = username.into_inner();
    let user = db::write(&pool, move |conn| {
        service::set_role(conn, &admin, &username, role)
    })
    .await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteUserRequest {
    /// Written to the moderation log (with the member's names taken out).
    #[serde(default)]
    #[schema(
        value_type = String,
        required = true,
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: Option<String>,
}

/// Delete a member's account (admins): the same erasure as `DELETE /users/me`, recorded in the
/// moderation log with the reason, the member named by their anonymous reference.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(("username" = String, Path, description = "The member's username")),
    request_body = DeleteUserRequest,
    responses(
        (status = 204, description = "The account is erased"),
        (status = 404, description = "No such member"),
        (status = 409, description = "The only admin (`last_admin`)"),
        (status = 422, description = "No reason, or a blank or too long one"),
    )
)]
#[delete("/admin/users/{username}")]
pub async fn delete_user(
    Admin(admin): Admin,
    username: web::Path<String>,
    body: Json<DeleteUserRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
    steps: web::Data<ErasureSteps>,
) -> Result<HttpResponse, ApiError> {
    let reason = domain::parse_deletion_reason(body.into_inner().reason.as_deref())?;
    let username = username.into_inner();
    let erasure = crate::accounts::routes::erasure_settings(&settings, &steps);
    db::write(&pool, move |conn| {
        service::delete_account(conn, &admin, &username, &reason, &erasure)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The moderation log, newest first: every moderation and admin action.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(LogQuery),
    responses(
        (status = 200, description = "A page of log entries", body = Page<LogEntryView>),
        (status = 422, description = "Invalid `limit`"),
    )
)]
#[get("/mod/log")]
pub async fn moderation_log(
    Moderator(_staff): Moderator,
    query: web::Query<LogQuery>,
    pool: web::Data<DbPool>,
    slow_reads: web::Data<SlowReads>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let page = slow_reads
        .read(pool.get_ref(), move |conn| {
            service::log_page(conn, query.cursor.as_deref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Routes of appeals, claims, bulk resolution and member-content actions.
pub fn configure_busy_queue(cfg: &mut ServiceConfig) {
    cfg.service(file_appeal)
        .service(appeal_queue)
        .service(decide_appeal)
        .service(bulk_resolve)
        .service(claim_report)
        .service(release_report)
        .service(hide_member_content)
        .service(undo_action);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    /// The appealed action's moderation log entry (the mail about it links to it).
    #[schema(value_type = i64)]
    pub log_id: ModerationLogId,
    /// Why the action should be undone (plain text, 1 to 2,000 characters).
    #[serde(default)]
    #[schema(
        value_type = String,
        required = true,
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub text: Option<String>,
}

/// Appeal a moderation action against oneself, once: a hide of one's thread, reply or meetup
/// (the automatic hide too), the hide of all one's recent posts, or one's suspension.
/// Suspended members may appeal.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    request_body = AppealRequest,
    responses(
        (status = 201, description = "The appeal", body = AppealView),
        (status = 404, description = "No such action, or not one against the caller that can be appealed"),
        (status = 409, description = "Appealed already (`appeal_exists`), or the action no longer stands (`action_undone`)"),
        (status = 422, description = "No text, or a blank or too long one"),
    )
)]
#[post("/appeals")]
pub async fn file_appeal(
    AuthUser(member): AuthUser,
    body: Json<AppealRequest>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let text = domain::parse_required_text("text", body.text.as_deref())?;
    let appeal = db::write(&pool, move |conn| {
        appeals::file(conn, &member, body.log_id, &text)
    })
    .await?;
    Ok(HttpResponse::Created().json(appeal))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppealQueueQuery {
    /// `open` (default) or `decided`.
    #[param(inline)]
    pub status: Option<appeals::QueueStatus>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The appeals queue: appeals of automatic hides first, then oldest first, each with the
/// action, who took it, the reason and the content.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(AppealQueueQuery),
    responses(
        (status = 200, description = "A page of appeals", body = Page<AppealView>),
        (status = 422, description = "Invalid `limit`"),
    )
)]
#[get("/mod/appeals")]
pub async fn appeal_queue(
    Moderator(staff): Moderator,
    query: web::Query<AppealQueueQuery>,
    pool: web::Data<DbPool>,
    slow_reads: web::Data<SlowReads>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let status = query.status.unwrap_or(appeals::QueueStatus::Open);
    let page = slow_reads
        .read(pool.get_ref(), move |conn| {
            appeals::queue(conn, &staff, status, query.cursor.as_deref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    /// `upheld`: the action stands; `overturned`: it is undone.
    pub outcome: AppealOutcome,
    /// Told to the member and written to the log (1 to 2,000 characters).
    #[serde(default)]
    #[schema(
        value_type = String,
        required = true,
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

/// Decide an appeal (a moderator other than the one who acted, or an admin). Overturning
/// restores the content or lifts the suspension at once; the member is mailed either way.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Appeal id")),
    request_body = DecideRequest,
    responses(
        (status = 200, description = "The decided appeal", body = AppealView),
        (status = 403, description = "Not a moderator, or the appealed action is the caller's own (`own_action`) or the appeal is (`own_appeal`)"),
        (status = 404, description = "No such appeal"),
        (status = 409, description = "Decided already (`appeal_decided`)"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[post("/mod/appeals/{id}/decide")]
pub async fn decide_appeal(
    Moderator(staff): Moderator,
    id: web::Path<AppealId>,
    body: Json<DecideRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let note = domain::parse_required_text("note", body.note.as_deref())?;
    let id = id.into_inner();
    let policy = Policy::from_settings(&settings);
    let appeal = db::write(&pool, move |conn| {
        appeals::decide(conn, &staff, id, body.outcome, &note, &policy)
    })
    .await?;
    Ok(HttpResponse::Ok().json(appeal))
}

/// Claim a report (and the other open reports of its target) for a while, so that no other
/// moderator acts on it meanwhile; claiming again renews the claim.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Report id")),
    responses(
        (status = 200, description = "The report with the caller's claim", body = ReportView),
        (status = 404, description = "No such report"),
        (status = 409, description = "Another moderator's claim holds (`report_claimed`), or the report is closed (`report_closed`)"),
    )
)]
#[post("/mod/reports/{id}/claim")]
pub async fn claim_report(
    Moderator(staff): Moderator,
    id: web::Path<ReportId>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let policy = Policy::from_settings(&settings);
    let report = db::write(&pool, move |conn| service::claim(conn, &staff, id, &policy)).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Give up a claim: one's own, or (admins) anyone's.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Report id")),
    responses(
        (status = 204, description = "The report is unclaimed"),
        (status = 404, description = "No such report"),
        (status = 409, description = "Another moderator's claim (`report_claimed`)"),
    )
)]
#[delete("/mod/reports/{id}/claim")]
pub async fn release_report(
    Moderator(staff): Moderator,
    id: web::Path<ReportId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::write(&pool, move |conn| service::release(conn, &staff, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The most reports one bulk resolution takes.
pub const BULK_MAX: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkResolveRequest {
    /// Open reports (1 to 100), e.g. every report on one piece of content.
    #[schema(value_type = Vec<i64>, min_items = 1, max_items = 100)]
    pub ids: Vec<ReportId>,
    /// `hide` hides each reported thread, reply or meetup once; `none` leaves them.
    pub action: ResolveAction,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

/// Wrapper of a bulk answer.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ReportList {
    pub items: Vec<ReportView>,
}

/// Resolve many reports at once, all or none (moderators): each must be open and not claimed
/// by another moderator.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    request_body = BulkResolveRequest,
    responses(
        (status = 200, description = "The resolved reports", body = ReportList),
        (status = 404, description = "An id names no report"),
        (status = 409, description = "A report is closed (`report_closed`) or claimed by another moderator (`report_claimed`)"),
        (status = 422, description = "Invalid fields; `hide` on a member"),
    )
)]
#[post("/mod/reports/bulk-resolve")]
pub async fn bulk_resolve(
    Moderator(staff): Moderator,
    body: Json<BulkResolveRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let note = parse_note("note", body.note.as_deref())?;
    let mut ids = body.ids;
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > BULK_MAX {
        return Err(ApiError::invalid_field(
            "ids",
            format!("must name 1 to {BULK_MAX} reports"),
        ));
    }
    let policy = Policy::from_settings(&settings);
    let items = db::write(&pool, move |conn| {
        service::resolve_many(conn, &staff, &ids, body.action, note.as_deref(), &policy)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ReportList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HideContentRequest {
    /// Everything the member posted from this time on is hidden.
    #[schema(value_type = String, format = DateTime)]
    pub since: DateTime<Utc>,
    /// Told to the member and written to the log.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: String,
}

/// Hide every thread, reply and meetup a member posted since a time, as one logged action
/// (moderators; staff only by an admin). `POST /mod/log/{id}/undo` undoes it.
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(("username" = String, Path, description = "The member's username")),
    request_body = HideContentRequest,
    responses(
        (status = 200, description = "What was hidden", body = MemberContentView),
        (status = 403, description = "Not a moderator, or the member is staff (`cannot_moderate_staff`) or oneself"),
        (status = 404, description = "No such member"),
        (status = 409, description = "Nothing shown since then (`nothing_to_hide`)"),
        (status = 422, description = "Invalid fields (`since` in the future)"),
    )
)]
#[post("/mod/users/{username}/hide-content")]
pub async fn hide_member_content(
    Moderator(staff): Moderator,
    username: web::Path<String>,
    body: Json<HideContentRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let now = Utc::now();
    let mut v = crate::validation::Validator::new();
    let reason = v.check(
        "reason",
        crate::validation::text(&body.reason, 1, domain::NOTE_CHARS, true),
    );
    if body.since > now {
        v.add("since", "must not be in the future".into());
    }
    crate::validation::check_date(&mut v, "since", Some(body.since), now);
    v.finish()?;
    let reason = crate::validation::validated(reason)?;
    let username = username.into_inner();
    let policy = Policy::from_settings(&settings);
    let done = db::write(&pool, move |conn| {
        member_content::hide(conn, &staff, &username, body.since, &reason, &policy)
    })
    .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Undo a member-content action (`hide_member_content`) in one logged action: what it hid and
/// is still hidden is shown again (moderators).
#[utoipa::path(
    tag = "moderation",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "The action's log entry id")),
    request_body(content = Option<ReasonRequest>, description = "Optional; the reason"),
    responses(
        (status = 200, description = "What was restored", body = MemberContentView),
        (status = 404, description = "No such member-content action"),
        (status = 409, description = "Undone already (`already_undone`)"),
        (status = 422, description = "Invalid `reason`"),
    )
)]
#[post("/mod/log/{id}/undo")]
pub async fn undo_action(
    Moderator(staff): Moderator,
    id: web::Path<ModerationLogId>,
    body: OptionalJson<ReasonRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let reason = parse_note(
        "reason",
        body.into_inner().unwrap_or_default().reason.as_deref(),
    )?;
    let id = id.into_inner();
    let policy = Policy::from_settings(&settings);
    let done = db::write(&pool, move |conn| {
        member_content::undo(conn, &staff, id, reason.as_deref(), &policy)
    })
    .await?;
    Ok(HttpResponse::Ok().json(done))
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
    let user = db::write(&pool, move |conn| {
        service::pin_trust_level(conn, &admin, &username, level, &trust)
    })
    .await?;
    Ok(HttpResponse::Ok().json(user))
}
