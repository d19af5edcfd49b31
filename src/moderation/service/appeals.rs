//! Appeals: a member contests a moderation action against them (a hide of their content,
//! the hide of all their recent content, or their suspension) once; staff other than the
//! action's moderator decide. Overturning undoes the action in the same transaction; either
//! outcome is logged and mailed to the member.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Bool, Integer, Timestamptz};

use crate::accounts::User;
use crate::error::ApiError;
use crate::ids::{AppealId, ModerationLogId, UserId};
use crate::moderation::domain::{
    self, AppealOutcome, AppealStatus, LogAction, LogTargetType, Target,
};
use crate::moderation::model::appeals::*;
use crate::moderation::model::{self, LogRow};
use crate::moderation::rules;
use crate::moderation::service::member_content;
use crate::moderation::service::{self, log, set_hidden, Actor, Policy};
use crate::moderation::views::{AppealView, LogEntryView};
use crate::notifications::{self, NotificationKind};
use crate::pagination::{self, Page};
use crate::schema::appeals;
use crate::trust;

pub const QUEUE_LISTING: &str = "mod:appeals";

/// Which appeals the queue lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum QueueStatus {
    Open,
    Decided,
}

/// Whether the logged action is against `member`: a hide of their content, or an action on
/// their account.
fn is_against(conn: &mut PgConnection, entry: &LogRow, member: UserId) -> QueryResult<bool> {
    match entry.target_type.content(entry.target_id) {
        Some(content) => Ok(author_of(conn, content)? == Some(member)),
        None => Ok(entry.target_type == LogTargetType::User && entry.target_id == member.get()),
    }
}

/// Whether the action still stands: the content is hidden, the account suspended, the
/// member-content action not undone.
fn stands(conn: &mut PgConnection, entry: &LogRow, member: &User) -> QueryResult<bool> {
    match entry.action {
        LogAction::Hide | LogAction::AutoHide => match entry.target_type.content(entry.target_id) {
            Some(content) => is_hidden(conn, content),
            None => Ok(false),
        },
        LogAction::Suspend => Ok(member.is_suspended_at(Utc::now())),
        LogAction::HideMemberContent => member_content::stands(conn, entry.id),
        _ => Ok(false),
    }
}

/// A member appeals an action against them, once. `404` for an action that is not theirs to
/// appeal (or no such entry), `409 appeal_exists` the second time, `409 action_undone` when
/// it no longer stands.
pub fn file(
    conn: &mut PgConnection,
    member: &User,
    entry_id: ModerationLogId,
    text: &str,
) -> Result<AppealView, ApiError> {
    conn.transaction(|conn| {
        let (entry, _) = model::log_entry(conn, entry_id)?.ok_or(ApiError::NotFound)?;
        if !entry.action.appealable() || !is_against(conn, &entry, member.id)? {
            return Err(ApiError::NotFound);
        }
        let exists: bool = diesel::select(diesel::dsl::exists(
            appeals::table.filter(appeals::log_id.eq(entry.id)),
        ))
        .get_result(conn)?;
        if exists {
            return Err(appeal_exists());
        }
        if !stands(conn, &entry, member)? {
            return Err(ApiError::conflict(
                "action_undone",
                "This action no longer stands: there is nothing left to appeal.",
            ));
        }
        let row: AppealRow = diesel::insert_into(appeals::table)
            .values((
                appeals::log_id.eq(entry.id),
                appeals::appellant_id.eq(member.id),
                appeals::text.eq(text),
                appeals::automatic.eq(entry.action == LogAction::AutoHide),
            ))
            .returning(AppealRow::as_returning())
            .get_result(conn)
            .map_err(|error| match error {
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                    appeal_exists()
                }
                other => other.into(),
            })?;
        view(conn, row, None)
    })
}

fn appeal_exists() -> ApiError {
    ApiError::conflict(
        "appeal_exists",
        "You have appealed this action already; each action can be appealed once.",
    )
}

/// Decides an appeal: upheld leaves the action; overturned undoes it (restores the content,
/// lifts the suspension, undoes the member-content action) in the same transaction. Logged,
/// and the member is told and mailed either way.
pub fn decide(
    conn: &mut PgConnection,
    staff: &User,
    id: AppealId,
    outcome: AppealOutcome,
    note: &str,
    policy: &Policy,
) -> Result<AppealView, ApiError> {
    conn.transaction(|conn| {
        let appeal: AppealRow = appeals::table
            .find(id)
            .select(AppealRow::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(ApiError::NotFound)?;
        if appeal.status != AppealStatus::Open {
            return Err(ApiError::conflict(
                "appeal_decided",
                format!("This appeal was {} already.", appeal.status),
            ));
        }
        let (entry, _) = model::log_entry(conn, appeal.log_id)?.ok_or(ApiError::NotFound)?;
        rules::ensure_can_decide(staff, entry.actor_id, appeal.appellant_id)?;
        if outcome == AppealOutcome::Overturned {
            overturn(conn, staff, &entry, appeal.appellant_id, note, policy)?;
        }
        let row: AppealRow = diesel::update(appeals::table.find(id))
            .set((
                appeals::status.eq(outcome.status()),
                appeals::decided_by.eq(Some(staff.id)),
                appeals::note.eq(Some(note)),
                appeals::decided_at.eq(Some(Utc::now())),
            ))
            .returning(AppealRow::as_returning())
            .get_result(conn)?;
        let decision = log(
            conn,
            Actor::Staff(staff),
            outcome.log_action(),
            domain::log_appeal(id),
            Some(note),
        )?;
        trust::model::refresh_last_moderated(conn, appeal.appellant_id)?;
        trust::service::recompute(conn, appeal.appellant_id, &policy.trust, Utc::now())?;
        tell(conn, &row, &entry, decision, outcome, note, policy)?;
        view(conn, row, Some(staff))
    })
}

/// Undoes the appealed action.
fn overturn(
    conn: &mut PgConnection,
    staff: &User,
    entry: &LogRow,
    appellant: UserId,
    note: &str,
    policy: &Policy,
) -> Result<(), ApiError> {
    let reason = format!("appeal against #{} overturned: {note}", entry.id.get());
    match entry.action {
        LogAction::Hide | LogAction::AutoHide => {
            let Some(content) = entry.target_type.content(entry.target_id) else {
                return Ok(());
            };
            // Deleted by its author since: nothing to show again.
            match set_hidden(
                conn,
                Actor::Staff(staff),
                content,
                false,
                Some(&reason),
                policy,
            ) {
                Ok(_) | Err(ApiError::NotFound) => Ok(()),
                Err(other) => Err(other),
            }
        }
        LogAction::Suspend => {
            let member = User::find(conn, appellant)?;
            if member.is_suspended_at(Utc::now()) {
                service::lift_suspension(conn, staff, appellant, Some(&reason))?;
            }
            Ok(())
        }
        LogAction::HideMemberContent => {
            match member_content::undo(conn, staff, entry.id, Some(&reason), policy) {
                Ok(_) | Err(ApiError::Conflict { .. }) => Ok(()),
                Err(other) => Err(other),
            }
        }
        _ => Ok(()),
    }
}

/// The member's notification and mail about the decision.
fn tell(
    conn: &mut PgConnection,
    appeal: &AppealRow,
    entry: &LogRow,
    decision: ModerationLogId,
    outcome: AppealOutcome,
    note: &str,
    policy: &Policy,
) -> Result<(), ApiError> {
    notifications::events::tell(
        conn,
        &format!("moderation:{}", decision.0),
        appeal.appellant_id,
        NotificationKind::AppealDecided,
        None,
        notifications::Subject::default(),
        None,
    )?;
    let member = User::find(conn, appeal.appellant_id)?;
    let what = match entry.action {
        LogAction::Suspend => "the suspension of your account",
        LogAction::HideMemberContent => "the hiding of your recent posts",
        _ => match entry.target_type {
            LogTargetType::Thread => "the hiding of your thread",
            LogTargetType::Reply => "the hiding of your reply",
            _ => "the hiding of your meetup",
        },
    };
    crate::email::enqueue(
        conn,
        &member.email,
        "appeal_decided",
        serde_json::json!({
            "username": member.username,
            "what": what,
            "overturned": outcome == AppealOutcome::Overturned,
            "note": note,
            "link": policy.base_url,
        }),
    )?;
    Ok(())
}

/// An appeal as its appellant (`staff` none) or staff see it.
fn view(
    conn: &mut PgConnection,
    row: AppealRow,
    staff: Option<&User>,
) -> Result<AppealView, ApiError> {
    let appellant = User::find(conn, row.appellant_id)?;
    let decided_by = match row.decided_by {
        Some(id) => model::usernames(conn, &[id])?.pop().map(|(_, name)| name),
        None => None,
    };
    let (action, content) = match staff {
        Some(staff) => {
            let (entry, actor) = model::log_entry(conn, row.log_id)?.ok_or(ApiError::NotFound)?;
            let target = match entry.target_type.content(entry.target_id) {
                Some(content) => Some(content.target()),
                None if entry.target_type == LogTargetType::User => {
                    Some(Target::User(UserId(entry.target_id)))
                }
                None => None,
            };
            let content = match target {
                Some(target) => service::target_view(conn, target, staff)?,
                None => None,
            };
            (Some(LogEntryView::new((entry, actor))), Some(content))
        }
        None => (None, None),
    };
    Ok(AppealView {
        id: row.id,
        log_id: row.log_id,
        status: row.status,
        text: row.text,
        appellant: appellant.username,
        appellant_trust_level: appellant.trust_level,
        automatic: row.automatic,
        created_at: row.created_at,
        decided_by,
        decided_at: row.decided_at,
        note: row.note,
        action,
        content,
    })
}

/// A page of appeals, automatic hides first, then oldest first; each with the action and
/// the content as staff see them.
pub fn queue(
    conn: &mut PgConnection,
    staff: &User,
    status: QueueStatus,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page<AppealView>, ApiError> {
    let after: Option<(i32, DateTime<Utc>, AppealId)> =
        pagination::decode_optional(QUEUE_LISTING, cursor)?;
    let mut query = appeals::table
        .select(AppealRow::as_select())
        .order((
            appeals::automatic.desc(),
            appeals::created_at.asc(),
            appeals::id.asc(),
        ))
        .limit(limit + 1)
        .into_boxed();
    query = match status {
        QueueStatus::Open => query.filter(appeals::status.eq(AppealStatus::Open)),
        QueueStatus::Decided => query.filter(appeals::status.ne(AppealStatus::Open)),
    };
    if let Some((rank, created_at, id)) = after {
        query = query.filter(
            sql::<Bool>(
                "(CASE WHEN appeals.automatic THEN 0 ELSE 1 END, appeals.created_at, appeals.id) > (",
            )
            .bind::<Integer, _>(rank)
            .sql(", ")
            .bind::<Timestamptz, _>(created_at)
            .sql(", ")
            .bind::<BigInt, _>(id)
            .sql(")"),
        );
    }
    let rows = query.load(conn)?;
    let (rows, next_cursor) = pagination::split_page(rows, limit, |r| {
        let rank = if r.automatic { 0 } else { 1 };
        pagination::encode(QUEUE_LISTING, &(rank, r.created_at, r.id))
    });
    let items = rows
        .into_iter()
        .map(|row| view(conn, row, Some(staff)))
        .collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor })
}
