//! Moderation actions. Each is one transaction that locks its target, acts, appends to the
//! moderation log and enqueues what follows from it (search updates, the member's email), so
//! an action and its record never part.

pub mod member_content;

pub mod appeals;

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::domain::{
    self, Content, LogAction, LogTargetType, QueueSort, ReportInput, ReportStatus, ResolveAction,
    Suspension, Target, TargetType,
};
use super::model::{self, NewLogEntry, NewReport, QueueFilter, ReportRow};
use super::rules;
use super::views::{ClaimView, LogEntryView, ReportPeople, ReportView};
use crate::accounts::views::UserView;
use crate::accounts::TrustLevel;
use crate::accounts::{self, Role, User};
use crate::config::{Settings, TrustSettings};
use crate::conversations;
use crate::error::ApiError;
use crate::ids::{ConversationId, MessageId, ModerationLogId, ReportId, ThreadId, UserId};
use crate::meetups;
use crate::notifications::{self, NotificationKind};
use crate::pagination::{self, Page};
use crate::search;
use crate::threads;
use crate::trust;
use crate::visibility;

pub const QUEUE_LISTING: &str = "mod:reports";
pub const LOG_LISTING: &str = "mod:log";

/// What moderation needs to know from the settings.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Where the web client is: links in the member's mail.
    pub base_url: String,
    /// The weight of open reports that hides content (0: never).
    pub auto_hide_reports: u32,
    pub claim_minutes: u32,
    pub trust: TrustSettings,
}

impl Policy {
    pub fn from_settings(settings: &Settings) -> Self {
        Policy {
            base_url: settings.web.base_url.clone(),
            auto_hide_reports: settings.moderation.auto_hide_reports,
            claim_minutes: settings.moderation.claim_minutes,
            trust: settings.trust.clone(),
        }
    }

    /// The web client's page where a member appeals the action `entry`.
    pub fn appeal_link(&self, entry: ModerationLogId) -> String {
        format!(
            "{}/appeal/{}",
            self.base_url.trim_end_matches('/'),
            entry.get()
        )
    }
}

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
pub(super) struct Hidden {
    pub author_id: UserId,
    /// What the author's notification links to.
    pub subject: notifications::Subject,
    /// "Your thread “Borrow checker woes”"
    pub description: String,
}

/// Hides or restores a thread, reply or meetup; the log entry when anything changed.
/// Counters, the search index, the author's trust level and email follow in the same
/// transaction.
pub fn set_hidden(
    conn: &mut PgConnection,
    actor: Actor<'_>,
    content: Content,
    hidden: bool,
    reason: Option<&str>,
    policy: &Policy,
) -> Result<Option<ModerationLogId>, ApiError> {
    let Some(target) = apply_hidden(conn, content, hidden)? else {
        return Ok(None);
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
    let now = chrono::Utc::now();
    if hidden {
        trust::model::mark_moderated(conn, target.author_id, now)?;
    }
    trust::service::recompute(conn, target.author_id, &policy.trust, now)?;
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
                "link": policy.base_url,
                "appeal_link": policy.appeal_link(entry),
            }),
        )?;
    }
    Ok(Some(entry))
}

/// Flips the switch under the target's row lock; `None` when it was already so.
pub(super) fn apply_hidden(
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
            threads::model::count_reply(
                conn,
                reply.thread_id,
                reply.author_id,
                if hidden { -1 } else { 1 },
            )?;
            threads::service::solutions::after_reply_changed(conn, id)?;
            search::enqueue(conn, id)?;
            Ok(Some(Hidden {
                author_id: reply.author_id,
                subject: notifications::Subject::reply(reply.thread_id, id),
                description: format!("Your reply in “{}”", thread.title),
            }))
        }
        Content::Message(id) => {
            let Some(message) = conversations::service::set_hidden(conn, id, hidden)? else {
                return Ok(None);
            };
            Ok(Some(Hidden {
                author_id: message.author,
                subject: notifications::Subject::message(message.conversation, id),
                description: format!("Your message in “{}”", message.subject),
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
                // The thread's title, so the queue can say where the reply was written.
                let title = threads::model::find_thread(conn, row.0.thread_id)?
                    .map(|(thread, _)| thread.title);
                serde_json::to_value(threads::views::ReplyView::new(row)).map(|mut view| {
                    view["thread_title"] = title.into();
                    view
                })
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
        Target::Content(Content::Message(id)) => {
            // That message alone, and the log says who was shown it.
            match conversations::service::reported_message(conn, id)? {
                Some(message) => {
                    log_viewing(conn, staff, id)?;
                    serde_json::to_value(message)
                }
                None => return Ok(None),
            }
        }
        Target::User(id) => match User::find(conn, id).optional()? {
            Some(user) => serde_json::to_value(UserView::for_viewer(&user, Some(staff))),
            None => return Ok(None),
        },
    };
    Ok(Some(view.map_err(anyhow::Error::from)?))
}

/// Records that `staff` was shown private message `id`, once per staff member and message.
fn log_viewing(conn: &mut PgConnection, staff: &User, id: MessageId) -> Result<(), ApiError> {
    let target = Content::Message(id).log_target();
    if !model::has_logged(conn, staff.id, LogAction::ViewMessage, target)? {
        log(
            conn,
            Actor::Staff(staff),
            LogAction::ViewMessage,
            target,
            None,
        )?;
    }
    Ok(())
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
        Target::Content(Content::Message(id)) => {
            conversations::service::participant_sees(conn, id, reporter)?
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

/// Files a report; enough of them (weighed by their reporters' trust levels) hide the content
/// pending review.
pub fn report(
    conn: &mut PgConnection,
    reporter: &User,
    input: &ReportInput,
    policy: &Policy,
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
                reporter_trust_level: reporter.trust_level,
            },
        )
        .map_err(|error| match error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => report_exists(),
            other => other.into(),
        })?;
        let levels = model::open_report_levels(conn, input.target)?;
        let open: i64 = levels.iter().map(|(_, n)| n).sum();
        if let Some(content) = input.target.content() {
            let weights = &policy.trust.report_weight;
            if trust::rules::should_auto_hide(&levels, weights, policy.auto_hide_reports) {
                let reason =
                    format!("Reported by {open} members; hidden until a moderator reviews it.");
                set_hidden(conn, Actor::System, content, true, Some(&reason), policy)?;
            }
        }
        Ok(ReportView::new(
            row,
            ReportPeople {
                reporter: reporter.username.clone(),
                ..ReportPeople::default()
            },
            open,
            None,
        ))
    })
}

/// A participant reports a message of their conversation: the one named, or the newest of
/// someone else's.
pub fn report_message(
    conn: &mut PgConnection,
    reporter: &User,
    (conversation, message): (ConversationId, Option<MessageId>),
    reason: domain::ReportReason,
    details: Option<&str>,
    policy: &Policy,
) -> Result<ReportView, ApiError> {
    conn.transaction(|conn| {
        let message =
            conversations::service::reportable_message(conn, conversation, reporter, message)?;
        let input = ReportInput {
            target: Content::Message(message).target(),
            reason,
            details: details.map(str::to_string),
        };
        report(conn, reporter, &input, policy)
    })
}

/// The review queue's listing name for a sort: a cursor is good for its own order only.
fn queue_listing(sort: QueueSort) -> &'static str {
    match sort {
        QueueSort::Oldest => QUEUE_LISTING,
        QueueSort::Newest => "mod:reports:newest",
        QueueSort::MostReported => "mod:reports:most_reported",
    }
}

/// A page of the review queue, filtered and sorted, each report with its target as it is now.
pub fn queue(
    conn: &mut PgConnection,
    staff: &User,
    filter: &QueueFilter,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page<ReportView>, ApiError> {
    let listing = queue_listing(filter.sort);
    let after = pagination::decode_optional(listing, cursor)?;
    let rows = model::list_reports(conn, filter, after, limit)?;
    let (rows, next_cursor) = pagination::split_page(rows, limit, |(r, count)| {
        pagination::encode(listing, &(*count, r.created_at, r.id))
    });
    let rows = rows.into_iter().map(|(row, _)| row).collect();
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

/// Views of reports: who reported, handled and claimed them, their authors' levels and the
/// open counts are read for the whole page at once; each target is read as staff see it now.
fn report_views(
    conn: &mut PgConnection,
    rows: Vec<ReportRow>,
    staff: &User,
) -> Result<Vec<ReportView>, ApiError> {
    let targets: Vec<(TargetType, i64)> = rows
        .iter()
        .map(|row| (row.target_type, row.target_id))
        .collect();
    let claims = model::claims_of(conn, &targets)?;
    let mut people: Vec<UserId> = rows
        .iter()
        .flat_map(|row| std::iter::once(row.reporter_id).chain(row.handled_by))
        .chain(claims.iter().map(|c| c.moderator_id))
        .collect();
    people.sort_unstable();
    people.dedup();
    let names: HashMap<UserId, String> = model::usernames(conn, &people)?.into_iter().collect();
    let open: HashMap<(TargetType, i64), i64> = model::open_reports_of_many(conn, &targets)?
        .into_iter()
        .map(|(kind, id, n)| ((kind, id), n))
        .collect();
    let levels: HashMap<(TargetType, i64), TrustLevel> =
        model::author_levels(conn, &targets)?.into_iter().collect();
    let name_of = |id: UserId| names.get(&id).cloned().unwrap_or_default();
    let claim_of = |key: (TargetType, i64)| {
        claims
            .iter()
            .find(|c| (c.target_type, c.target_id) == key)
            .map(|c| ClaimView {
                moderator: name_of(c.moderator_id),
                expires_at: c.expires_at,
            })
    };
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let key = (row.target_type, row.target_id);
        let target = target_view(conn, row.target(), staff)?;
        let people = ReportPeople {
            reporter: name_of(row.reporter_id),
            handled_by: row.handled_by.map(name_of),
            author_trust_level: levels.get(&key).copied(),
            claim: claim_of(key),
        };
        let count = open.get(&key).copied().unwrap_or(0);
        views.push(ReportView::new(row, people, count, Some(target)));
    }
    Ok(views)
}

fn ensure_open(row: &ReportRow) -> Result<(), ApiError> {
    if row.status != ReportStatus::Open {
        return Err(ApiError::conflict(
            "report_closed",
            format!("Report {} is {} already.", row.id.get(), row.status),
        ));
    }
    Ok(())
}

fn open_report(conn: &mut PgConnection, id: ReportId) -> Result<ReportRow, ApiError> {
    let row = model::lock_report(conn, id)?.ok_or(ApiError::NotFound)?;
    ensure_open(&row)?;
    Ok(row)
}

/// Another moderator's claim on the target keeps `staff` from acting on its reports.
fn ensure_not_claimed_by_another(
    conn: &mut PgConnection,
    target: Target,
    staff: &User,
) -> Result<(), ApiError> {
    let key = (target.target_type(), target.raw_id());
    let claims = model::claims_of(conn, &[key])?;
    match claims.into_iter().find(|c| c.moderator_id != staff.id) {
        Some(claim) => Err(claimed_by(conn, &claim)?),
        None => Ok(()),
    }
}

fn claimed_by(conn: &mut PgConnection, claim: &model::ClaimRow) -> Result<ApiError, ApiError> {
    let name = model::usernames(conn, &[claim.moderator_id])?
        .pop()
        .map_or_else(|| "Another moderator".to_string(), |(_, name)| name);
    Ok(ApiError::conflict(
        "report_claimed",
        format!(
            "{name} is handling this report until {}; leave it to them or wait until then.",
            claim
                .expires_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    ))
}

/// Claims a report's target for `staff` for the claim period (again: renews it); `409
/// report_claimed` while another moderator's claim holds.
pub fn claim(
    conn: &mut PgConnection,
    staff: &User,
    id: ReportId,
    policy: &Policy,
) -> Result<ReportView, ApiError> {
    conn.transaction(|conn| {
        let row = open_report(conn, id)?;
        let until = chrono::Utc::now() + chrono::Duration::minutes(i64::from(policy.claim_minutes));
        if model::claim(conn, row.target(), staff.id, until)?.is_none() {
            let key = (row.target_type, row.target_id);
            let holder = model::claims_of(conn, &[key])?.pop();
            return Err(match holder {
                Some(claim) => claimed_by(conn, &claim)?,
                None => ApiError::conflict("report_claimed", "Another moderator claimed it."),
            });
        }
        report_view(conn, row, staff)
    })
}

/// Gives a claim up: one's own, or (admins) anyone's; `409 report_claimed` for a moderator
/// releasing another's.
pub fn release(conn: &mut PgConnection, staff: &User, id: ReportId) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        let row = model::lock_report(conn, id)?.ok_or(ApiError::NotFound)?;
        if staff.role() != Role::Admin {
            ensure_not_claimed_by_another(conn, row.target(), staff)?;
        }
        model::release_claim(conn, row.target())?;
        Ok(())
    })
}

/// Closes open reports as resolved: hides each distinct target once if asked, logs each
/// report, and ends the claims on their targets.
fn resolve_rows(
    conn: &mut PgConnection,
    staff: &User,
    rows: &[ReportRow],
    action: ResolveAction,
    note: Option<&str>,
    policy: &Policy,
) -> Result<(), ApiError> {
    let mut targets: Vec<Target> = rows.iter().map(ReportRow::target).collect();
    targets.sort_by_key(|t| (t.target_type().as_str(), t.raw_id()));
    targets.dedup();
    for target in &targets {
        ensure_not_claimed_by_another(conn, *target, staff)?;
    }
    if action == ResolveAction::Hide {
        for target in &targets {
            let content = target.content().ok_or_else(|| {
                ApiError::invalid_field(
                    "action",
                    "accounts cannot be hidden; suspend the member instead",
                )
            })?;
            let reason = note.unwrap_or_else(|| {
                rows.iter()
                    .find(|r| r.target() == *target)
                    .map_or("reported", |r| r.reason.as_str())
            });
            let hidden = set_hidden(
                conn,
                Actor::Staff(staff),
                content,
                true,
                Some(reason),
                policy,
            );
            match hidden {
                // Content deleted since it was reported: nothing left to hide.
                Ok(_) | Err(ApiError::NotFound) => {}
                Err(other) => return Err(other),
            }
        }
    }
    let ids: Vec<ReportId> = rows.iter().map(|r| r.id).collect();
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
    for target in &targets {
        model::release_claim(conn, *target)?;
    }
    Ok(())
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
    policy: &Policy,
) -> Result<ReportView, ApiError> {
    conn.transaction(|conn| {
        let row = open_report(conn, id)?;
        let mut ids = vec![row.id];
        if resolve_others {
            ids.extend(model::other_open_reports(conn, row.target(), row.id)?);
        }
        let rows = model::lock_reports(conn, &ids)?;
        resolve_rows(conn, staff, &rows, action, note, policy)?;
        let row = model::lock_report(conn, id)?.ok_or(ApiError::NotFound)?;
        report_view(conn, row, staff)
    })
}

/// Resolves many open reports at once (all or none): each distinct target is hidden once
/// when asked. Every id must be an open report not claimed by another moderator.
pub fn resolve_many(
    conn: &mut PgConnection,
    staff: &User,
    ids: &[ReportId],
    action: ResolveAction,
    note: Option<&str>,
    policy: &Policy,
) -> Result<Vec<ReportView>, ApiError> {
    conn.transaction(|conn| {
        let rows = model::lock_reports(conn, ids)?;
        if rows.len() != ids.len() {
            return Err(ApiError::NotFound);
        }
        for row in &rows {
            ensure_open(row)?;
        }
        resolve_rows(conn, staff, &rows, action, note, policy)?;
        let rows = model::lock_reports(conn, ids)?;
        report_views(conn, rows, staff)
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
        ensure_not_claimed_by_another(conn, row.target(), staff)?;
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
        if model::open_report_levels(conn, row.target())?.is_empty() {
            model::release_claim(conn, row.target())?;
        }
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
    policy: &Policy,
) -> Result<serde_json::Value, ApiError> {
    conn.transaction(|conn| {
        set_hidden(conn, Actor::Staff(staff), content, hidden, reason, policy)?;
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
    policy: &Policy,
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
        let now = chrono::Utc::now();
        trust::model::mark_moderated(conn, user.id, now)?;
        trust::service::recompute(conn, user.id, &policy.trust, now)?;
        crate::email::enqueue(
            conn,
            &user.email,
            "account_suspended",
            serde_json::json!({
                "username": user.username,
                "reason": reason,
                "until": until.map(|u| u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                "link": policy.base_url,
                "appeal_link": policy.appeal_link(entry),
            }),
        )?;
        let user = User::find(conn, user.id)?;
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
        let user = lift_suspension(conn, staff, target.id, None)?;
        Ok(UserView::for_viewer(&user, Some(staff)))
    })
}

/// Lifts a member's suspension, logged, and tells them; inside the caller's transaction.
pub(super) fn lift_suspension(
    conn: &mut PgConnection,
    staff: &User,
    member: UserId,
    reason: Option<&str>,
) -> Result<User, ApiError> {
    let user = User::unsuspend(conn, member)?;
    let entry = log(
        conn,
        Actor::Staff(staff),
        LogAction::Unsuspend,
        domain::log_user(user.id),
        reason,
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
    Ok(user)
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
    let mut page = Page::from_rows(
        rows,
        limit,
        |(row, _)| pagination::encode(LOG_LISTING, &row.id),
        LogEntryView::new,
    );
    link_log_targets(conn, &mut page.items)?;
    Ok(page)
}

/// Where each entry's target is seen in the web client (a thread, the reply in its thread, a
/// meetup, a member's profile): two queries for the page, replies' threads and members' names.
fn link_log_targets(conn: &mut PgConnection, entries: &mut [LogEntryView]) -> Result<(), ApiError> {
    use crate::schema::{replies, users};
    let ids_of = |kind: LogTargetType| -> Vec<i64> {
        entries
            .iter()
            .filter(|e| e.target_type == kind && e.target_id > 0)
            .map(|e| e.target_id)
            .collect()
    };
    let reply_threads: std::collections::HashMap<i64, i64> = replies::table
        .filter(replies::id.eq_any(ids_of(LogTargetType::Reply)))
        .select((replies::id, replies::thread_id))
        .load::<(crate::ids::ReplyId, crate::ids::ThreadId)>(conn)?
        .into_iter()
        .map(|(reply, thread)| (reply.get(), thread.get()))
        .collect();
    let names: std::collections::HashMap<i64, String> = users::table
        .filter(users::id.eq_any(ids_of(LogTargetType::User)))
        .filter(users::deleted_at.is_null())
        .select((users::id, users::username))
        .load::<(UserId, String)>(conn)?
        .into_iter()
        .map(|(id, name)| (id.get(), name))
        .collect();
    for entry in entries {
        let id = entry.target_id;
        entry.target_path = match entry.target_type {
            LogTargetType::Thread => Some(format!("/t/{id}")),
            LogTargetType::Reply => reply_threads.get(&id).map(|t| format!("/t/{t}#reply-{id}")),
            LogTargetType::Meetup => Some(format!("/m/{id}")),
            LogTargetType::User => names.get(&id).map(|n| format!("/u/{n}")),
            // Staff never browse conversations: a message has no page to go to.
            LogTargetType::Report | LogTargetType::Appeal | LogTargetType::Message => None,
        };
    }
    Ok(())
}

/// An admin pins a member's level (`Some`), or lets it be computed again (`None`, computed at
/// once); logged.
pub fn pin_trust_level(
    conn: &mut PgConnection,
    admin: &User,
    username: &str,
    level: Option<TrustLevel>,
    settings: &TrustSettings,
) -> Result<UserView, ApiError> {
    conn.transaction(|conn| {
        let target = crate::accounts::service::member_named(conn, username)?;
        trust::model::pin(conn, target.id, level)?;
        if level.is_none() {
            trust::service::recompute(conn, target.id, settings, chrono::Utc::now())?;
        }
        let change = match level {
            Some(level) => format!("pinned at {level}"),
            None => "computed from activity".to_string(),
        };
        log(
            conn,
            Actor::Staff(admin),
            LogAction::SetTrustLevel,
            super::domain::log_user(target.id),
            Some(&change),
        )?;
        let user = User::find(conn, target.id)?;
        Ok(UserView::for_viewer(&user, Some(admin)))
    })
}

/// An account is erased: its open reports are dismissed, and the moderation log keeps every
/// action with the member's id given way to their reference and their names scrubbed.
pub fn on_member_erased(
    conn: &mut PgConnection,
    erasing: &accounts::service::erasure::Erasing<'_>,
) -> Result<(), ApiError> {
    model::dismiss_reports_by(conn, erasing.member.id)?;
    model::anonymise_log(conn, erasing.member, erasing.reference)?;
    Ok(())
}

/// An admin deletes the account named `username`; the moderation log records it, with the
/// member's names scrubbed from the reason.
pub fn delete_account(
    conn: &mut PgConnection,
    admin: &User,
    username: &str,
    reason: &str,
    erasure: &accounts::service::erasure::ErasureSettings,
) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        let member = accounts::service::member_named(conn, username)?;
        let erased = accounts::service::erasure::erase(conn, member.id, erasure)?;
        let reason = accounts::service::erasure::scrubbed(reason, &erased.member);
        model::log_deletion(conn, admin, &erased.reference, &reason)?;
        Ok(())
    })
}
