//! Moderation actions. Each is one transaction that locks its target, acts, appends to the
//! moderation log and enqueues what follows from it (search updates, the member's email), so
//! an action and its record never part.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::domain::{
    self, Content, LogAction, LogTargetType, ReportInput, ReportStatus, ResolveAction, Suspension,
    Target, TargetType,
};
use super::model::{self, NewLogEntry, NewReport, ReportRow};
use super::rules;
use super::views::{LogEntryView, ReportView};
use crate::accounts::views::UserView;
use crate::accounts::{self, Role, User};
use crate::error::ApiError;
use crate::ids::{ModerationLogId, ReportId, ThreadId, UserId};
use crate::meetups;
use crate::notifications::{self, NotificationKind};
use crate::pagination::{self, Page};
use crate::search;
use crate::threads;
use crate::visibility;

pub const QUEUE_LISTING: &str = "mod:reports";
pub const LOG_LISTING: &str = "mod:log";

/// Who acts: a staff member, or the system (the automatic hide).
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    Staff(&'a User),
    System,
}

impl Actor<'_> {
    fn id(&self) -> Option<UserId> {
        match self {
            Actor::Staff(user) => Some(user.id),
            Actor::System => None,
        }
    }
}

pub fn log(
    conn: &mut PgConnection,
    actor: Actor<'_>,
    action: LogAction,
    (target_type, target_id): (LogTargetType, i64),
    reason: Option<&str>,
) -> QueryResult<ModerationLogId> {
    model::append_log(
        conn,
        &NewLogEntry {
            actor_id: actor.id(),
            action,
            target_type,
            target_id,
            reason,
        },
    )
}

/// What is hidden or restored, for the author's email.
struct Hidden {
    author_id: UserId,
    /// What the author's notification links to.
    subject: notifications::Subject,
    /// "Your thread “Borrow checker woes”"
    description: String,
}

/// Hides or restores a thread, reply or meetup; returns whether anything changed. Counters,
/// the search index and the author's email follow in the same transaction.
pub fn set_hidden(
    conn: &mut PgConnection,
    actor: Actor<'_>,
    content: Content,
    hidden: bool,
    reason: Option<&str>,
    base_url: &str,
) -> Result<bool, ApiError> {
    let Some(target) = apply_hidden(conn, content, hidden)? else {
        return Ok(false);
    };
    let action = match (hidden, actor) {
        (true, Actor::System) => LogAction::AutoHide,
        (true, Actor::Staff(_)) => LogAction::Hide,
        (false, _) => LogAction::Restore,
    };
    let entry = log(conn, actor, action, content.log_target(), reason)?;
    let kind = if hidden {
        NotificationKind::ContentHidden
    } else {
        NotificationKind::ContentRestored
    };
    notifications::events::tell(
        conn,
        &format!("moderation:{}", entry.0),
        target.author_id,
        kind,
        None,
        target.subject,
        None,
    )?;
    if hidden {
        let author = User::find(conn, target.author_id)?;
        crate::email::enqueue(
            conn,
            &author.email,
            "content_hidden",
            serde_json::json!({
                "username": author.username,
                "what": target.description,
                "reason": reason.unwrap_or("It was reported and is waiting for a moderator's review."),
                "link": base_url,
            }),
        )?;
    }
    Ok(true)
}

/// Flips the switch under the target's row lock; `None` when it was already so.
fn apply_hidden(
    conn: &mut PgConnection,
    content: Content,
    hidden: bool,
) -> Result<Option<Hidden>, ApiError> {
    match content {
        Content::Thread(id) => {
            let thread = threads::model::lock_thread(conn, id)?
                .filter(|t| t.deleted_at.is_none())
                .ok_or(ApiError::NotFound)?;
            if thread.hidden == hidden {
                return Ok(None);
            }
            threads::model::set_thread_flag(conn, id, threads::model::ThreadFlag::Hidden, hidden)?;
            // Replies are found only while their thread is visible.
            search::enqueue_thread_and_replies(conn, id)?;
            Ok(Some(Hidden {
                author_id: thread.author_id,
                subject: notifications::Subject::thread(id),
                description: format!("Your thread “{}”", thread.title),
            }))
        }
        Content::Reply(id) => {
            let reply = threads::model::lock_reply(conn, id)?
                .filter(|r| r.deleted_at.is_none())
                .ok_or(ApiError::NotFound)?;
            if reply.hidden == hidden {
                return Ok(None);
            }
            let (thread, _) =
                threads::model::find_thread(conn, reply.thread_id)?.ok_or(ApiError::NotFound)?;
            threads::model::set_reply_hidden(conn, id, hidden)?;
            threads::model::bump_reply_count(
                conn,
                reply.thread_id,
                if hidden { -1 } else { 1 },
                false,
            )?;
            search::enqueue(conn, id)?;
            Ok(Some(Hidden {
                author_id: reply.author_id,
                subject: notifications::Subject::reply(reply.thread_id, id),
                description: format!("Your reply in “{}”", thread.title),
            }))
        }
        Content::Meetup(id) => {
            let meetup = meetups::model::lock(conn, id)?.ok_or(ApiError::NotFound)?;
            if meetup.hidden == hidden {
                return Ok(None);
            }
            meetups::model::set_hidden(conn, id, hidden)?;
            search::enqueue(conn, id)?;
            Ok(Some(Hidden {
                author_id: meetup.organizer_id,
                subject: notifications::Subject::meetup(id),
                description: format!("Your meetup “{}”", meetup.title),
            }))
        }
    }
}

/// The target as staff see it now; `null` when it is gone.
pub fn target_view(
    conn: &mut PgConnection,
    target: Target,
    staff: &User,
) -> Result<Option<serde_json::Value>, ApiError> {
    let view = match target {
        Target::Content(Content::Thread(id)) => {
            match threads::service::get_thread(conn, id, Some(staff)) {
                Ok(view) => serde_json::to_value(view),
                Err(ApiError::NotFound) => return Ok(None),
                Err(other) => return Err(other),
            }
        }
        Target::Content(Content::Reply(id)) => match threads::model::find_reply(conn, id)? {
            Some(row) if row.0.deleted_at.is_none() => {
                serde_json::to_value(threads::views::ReplyView::new(row))
            }
            _ => return Ok(None),
        },
        Target::Content(Content::Meetup(id)) => {
            match meetups::service::get(conn, id, Some(staff)) {
                Ok(view) => serde_json::to_value(view),
                Err(ApiError::NotFound) => return Ok(None),
                Err(other) => return Err(other),
            }
        }
        Target::User(id) => match User::find(conn, id).optional()? {
            Some(user) => serde_json::to_value(UserView::for_viewer(&user, Some(staff))),
            None => return Ok(None),
        },
    };
    Ok(Some(view.map_err(anyhow::Error::from)?))
}

/// Whether `reporter` can see the target (what cannot be seen cannot be reported).
fn visible_to(conn: &mut PgConnection, target: Target, reporter: &User) -> Result<bool, ApiError> {
    Ok(match target {
        Target::Content(Content::Thread(id)) => {
            threads::service::get_thread(conn, id, Some(reporter)).is_ok()
        }
        Target::Content(Content::Reply(id)) => match threads::model::find_reply(conn, id)? {
            Some((reply, _)) => match threads::model::find_thread(conn, reply.thread_id)? {
                Some((thread, _)) => {
                    visibility::can_see_reply(Some(reporter), reply.flags(), thread.flags())
                }
                None => false,
            },
            None => false,
        },
        Target::Content(Content::Meetup(id)) => {
            meetups::service::get(conn, id, Some(reporter)).is_ok()
        }
        Target::User(id) => User::find(conn, id).optional()?.is_some(),
    })
}

fn report_exists() -> ApiError {
    ApiError::conflict(
        "report_exists",
        "You have an open report on this already; a moderator will look at it.",
    )
}

/// Files a report; enough of them hide the content pending review.
pub fn report(
    conn: &mut PgConnection,
    reporter: &User,
    input: &ReportInput,
    auto_hide_threshold: u32,
    base_url: &str,
) -> Result<ReportView, ApiError> {
    conn.transaction(|conn| {
        if !visible_to(conn, input.target, reporter)? {
            return Err(ApiError::NotFound);
        }
        let row = model::insert_report(
            conn,
            &NewReport {
                reporter_id: reporter.id,
                target_type: input.target.target_type(),
                target_id: input.target.raw_id(),
                reason: input.reason,
                details: input.details.as_deref(),
            },
        )
        .map_err(|error| match error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => report_exists(),
            other => other.into(),
        })?;
        let open = model::open_reports_of(conn, input.target)?;
        if let Some(content) = input.target.content() {
            if rules::should_auto_hide(open, auto_hide_threshold) {
                let reason =
                    format!("Reported by {open} members; hidden until a moderator reviews it.");
                set_hidden(conn, Actor::System, content, true, Some(&reason), base_url)?;
            }
        }
        Ok(ReportView::new(
            row,
            reporter.username.clone(),
            None,
            open,
            None,
        ))
    })
}

/// A page of the review queue, oldest first, each report with its target as it is now.
pub fn queue(
    conn: &mut PgConnection,
    staff: &User,
    status: ReportStatus,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page<ReportView>, ApiError> {
    let after = pagination::decode_optional(QUEUE_LISTING, cursor)?;
    let rows = model::list_reports(conn, status, after, limit)?;
    let (rows, next_cursor) = pagination::split_page(rows, limit, |r| {
        pagination::encode(QUEUE_LISTING, &(r.created_at, r.id))
    });
    Ok(Page {
        items: report_views(conn, rows, staff)?,
        next_cursor,
    })
}

fn report_view(
    conn: &mut PgConnection,
    row: ReportRow,
    staff: &User,
) -> Result<ReportView, ApiError> {
    let mut views = report_views(conn, vec![row], staff)?;
    views.pop().ok_or(ApiError::NotFound)
}

/// Views of reports: who reported and handled them and the open counts are read for the whole
/// page at once; each target is read as staff see it now.
fn report_views(
    conn: &mut PgConnection,
    rows: Vec<ReportRow>,
    staff: &User,
) -> Result<Vec<ReportView>, ApiError> {
    let mut people: Vec<UserId> = rows
        .iter()
        .flat_map(|row| std::iter::once(row.reporter_id).chain(row.handled_by))
        .collect();
    people.sort_unstable();
    people.dedup();
    let names: HashMap<UserId, String> = model::usernames(conn, &people)?.into_iter().collect();
    let targets: Vec<(TargetType, i64)> = rows
        .iter()
        .map(|row| (row.target_type, row.target_id))
        .collect();
    let open: HashMap<(TargetType, i64), i64> = model::open_reports_of_many(conn, &targets)?
        .into_iter()
        .map(|(kind, id, n)| ((kind, id), n))
        .collect();
    let name_of = |id: UserId| names.get(&id).cloned().unwrap_or_default();
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let target = target_view(conn, row.target(), staff)?;
        let count = open
            .get(&(row.target_type, row.target_id))
            .copied()
            .unwrap_or(0);
        let reporter = name_of(row.reporter_id);
        let handler = row.handled_by.map(name_of);
        views.push(ReportView::new(row, reporter, handler, count, Some(target)));
    }
    Ok(views)
}

fn open_report(conn: &mut PgConnection, id: ReportId) -> Result<ReportRow, ApiError> {
    let row = model::lock_report(conn, id)?.ok_or(ApiError::NotFound)?;
    if row.status != ReportStatus::Open {
        return Err(ApiError::conflict(
            "report_closed",
            format!("This report is {} already.", row.status),
        ));
    }
    Ok(row)
}

/// Resolves a report, hiding its target if asked, and with it (unless told otherwise) the
/// other open reports of the same target.
pub fn resolve(
    conn: &mut PgConnection,
    staff: &User,
    id: ReportId,
    action: ResolveAction,
    note: Option<&str>,
    resolve_others: bool,
    base_url: &str,
) -> Result<ReportView, ApiError> {
    conn.transaction(|conn| {
        let row = open_report(conn, id)?;
        if action == ResolveAction::Hide {
            let content = row.target().content().ok_or_else(|| {
                ApiError::invalid_field(
                    "action",
                    "accounts cannot be hidden; suspend the member instead",
                )
            })?;
            let reason = note.unwrap_or(row.reason.as_str());
            let hidden = set_hidden(
                conn,
                Actor::Staff(staff),
                content,
                true,
                Some(reason),
                base_url,
            );
            match hidden {
                // Content deleted since it was reported: nothing left to hide.
                Ok(_) | Err(ApiError::NotFound) => {}
                Err(other) => return Err(other),
            }
        }
        let mut ids = vec![row.id];
        if resolve_others {
            ids.extend(model::other_open_reports(conn, row.target(), row.id)?);
        }
        model::close_reports(
            conn,
            &ids,
            ReportStatus::Resolved,
            Some(action),
            note,
            staff.id,
        )?;
        for closed in &ids {
            log(
                conn,
                Actor::Staff(staff),
                LogAction::ResolveReport,
                domain::log_report(*closed),
                note,
            )?;
        }
        let row = model::lock_report(conn, id)?.ok_or(ApiError::NotFound)?;
        report_view(conn, row, staff)
    })
}

pub fn dismiss(
    conn: &mut PgConnection,
    staff: &User,
    id: ReportId,
    note: Option<&str>,
) -> Result<ReportView, ApiError> {
    conn.transaction(|conn| {
        let row = open_report(conn, id)?;
        model::close_reports(
            conn,
            &[row.id],
            ReportStatus::Dismissed,
            None,
            note,
            staff.id,
        )?;
        log(
            conn,
            Actor::Staff(staff),
            LogAction::DismissReport,
            domain::log_report(row.id),
            note,
        )?;
        let row = model::lock_report(conn, id)?.ok_or(ApiError::NotFound)?;
        report_view(conn, row, staff)
    })
}

/// Hides or restores content as a moderator; answers the target as staff see it.
pub fn moderate_content(
    conn: &mut PgConnection,
    staff: &User,
    content: Content,
    hidden: bool,
    reason: Option<&str>,
    base_url: &str,
) -> Result<serde_json::Value, ApiError> {
    conn.transaction(|conn| {
        set_hidden(conn, Actor::Staff(staff), content, hidden, reason, base_url)?;
        target_view(conn, content.target(), staff)?.ok_or(ApiError::NotFound)
    })
}

/// Locks, unlocks, pins or unpins a thread.
pub fn set_thread_flag(
    conn: &mut PgConnection,
    staff: &User,
    id: ThreadId,
    flag: threads::model::ThreadFlag,
    on: bool,
    action: LogAction,
) -> Result<threads::views::ThreadView, ApiError> {
    conn.transaction(|conn| {
        threads::model::lock_thread(conn, id)?
            .filter(|t| t.deleted_at.is_none())
            .ok_or(ApiError::NotFound)?;
        threads::model::set_thread_flag(conn, id, flag, on)?;
        log(
            conn,
            Actor::Staff(staff),
            action,
            Content::Thread(id).log_target(),
            None,
        )?;
        threads::service::get_thread(conn, id, Some(staff))
    })
}

pub fn suspend(
    conn: &mut PgConnection,
    staff: &User,
    username: &str,
    suspension: &Suspension,
    base_url: &str,
) -> Result<UserView, ApiError> {
    let Suspension { until, reason } = suspension;
    let (until, reason) = (*until, reason.as_str());
    conn.transaction(|conn| {
        let target = accounts::service::member_named(conn, username)?;
        rules::ensure_can_suspend(staff, &target)?;
        let user = User::suspend(conn, target.id, until, reason)?;
        let entry = log(
            conn,
            Actor::Staff(staff),
            LogAction::Suspend,
            domain::log_user(user.id),
            Some(reason),
        )?;
        notifications::events::tell(
            conn,
            &format!("moderation:{}", entry.0),
            user.id,
            NotificationKind::AccountSuspended,
            None,
            notifications::Subject::default(),
            None,
        )?;
        crate::email::enqueue(
            conn,
            &user.email,
            "account_suspended",
            serde_json::json!({
                "username": user.username,
                "reason": reason,
                "until": until.map(|u| u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                "link": base_url,
            }),
        )?;
        Ok(UserView::for_viewer(&user, Some(staff)))
    })
}

pub fn unsuspend(
    conn: &mut PgConnection,
    staff: &User,
    username: &str,
) -> Result<UserView, ApiError> {
    conn.transaction(|conn| {
        let target = accounts::service::member_named(conn, username)?;
        rules::ensure_can_suspend(staff, &target)?;
        let user = User::unsuspend(conn, target.id)?;
        let entry = log(
            conn,
            Actor::Staff(staff),
            LogAction::Unsuspend,
            domain::log_user(user.id),
            None,
        )?;
        notifications::events::tell(
            conn,
            &format!("moderation:{}", entry.0),
            user.id,
            NotificationKind::AccountUnsuspended,
            None,
            notifications::Subject::default(),
            None,
        )?;
        Ok(UserView::for_viewer(&user, Some(staff)))
    })
}

pub fn set_role(
    conn: &mut PgConnection,
    admin: &User,
    username: &str,
    role: Role,
) -> Result<UserView, ApiError> {
    conn.transaction(|conn| {
        let admins = User::lock_admins(conn)?;
        let target = accounts::service::member_named(conn, username)?;
        rules::ensure_an_admin_remains(target.role(), role, admins)?;
        let user = User::set_role(conn, target.id, role)?;
        let change = format!("{} → {}", target.role().as_str(), role.as_str());
        log(
            conn,
            Actor::Staff(admin),
            LogAction::SetRole,
            domain::log_user(user.id),
            Some(&change),
        )?;
        Ok(UserView::for_viewer(&user, Some(admin)))
    })
}

pub fn log_page(
    conn: &mut PgConnection,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page<LogEntryView>, ApiError> {
    let before = pagination::decode_optional(LOG_LISTING, cursor)?;
    let rows = model::list_log(conn, before, limit)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |(row, _)| pagination::encode(LOG_LISTING, &row.id),
        LogEntryView::new,
    ))
}
