//! Acting on a member's whole recent content: hiding everything they posted since a time is
//! one logged action (a spammer's run of posts), and undoing it is one more.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::{self, User};
use crate::error::ApiError;
use crate::ids::ModerationLogId;
use crate::moderation::domain::{self, Content, LogAction};
use crate::moderation::model::member_content::*;
use crate::moderation::rules;
use crate::moderation::service::{apply_hidden, log, Actor, Policy};
use crate::notifications::{self, NotificationKind};
use crate::trust;

/// What a member-content action did.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberContentView {
    /// The log entry of the action: `POST /mod/log/{id}/undo` undoes it.
    pub log_id: ModerationLogId,
    pub member: String,
    pub since: DateTime<Utc>,
    /// Threads, replies and meetups it hid (or restored, for an undo).
    pub threads: i64,
    pub replies: i64,
    pub meetups: i64,
}

impl Item {
    fn content(&self) -> Option<Content> {
        self.kind.content(self.id)
    }
}

#[derive(Default)]
struct Counts {
    threads: i64,
    replies: i64,
    meetups: i64,
}

impl Counts {
    fn add(&mut self, content: Content) {
        match content {
            Content::Thread(_) => self.threads += 1,
            Content::Reply(_) => self.replies += 1,
            Content::Meetup(_) => self.meetups += 1,
            // Hiding all of a member's content leaves their private messages alone.
            Content::Message(_) => {}
        }
    }

    fn total(&self) -> i64 {
        self.threads + self.replies + self.meetups
    }

    fn view(
        self,
        log_id: ModerationLogId,
        member: &User,
        since: DateTime<Utc>,
    ) -> MemberContentView {
        MemberContentView {
            log_id,
            member: member.username.clone(),
            since,
            threads: self.threads,
            replies: self.replies,
            meetups: self.meetups,
        }
    }
}

/// Hides everything `username` posted since `since` that is shown, as one logged action; the
/// member is told once. Nothing to hide is `409 nothing_to_hide` and logs nothing.
pub fn hide(
    conn: &mut PgConnection,
    staff: &User,
    username: &str,
    since: DateTime<Utc>,
    reason: &str,
    policy: &Policy,
) -> Result<MemberContentView, ApiError> {
    conn.transaction(|conn| {
        let member = accounts::service::member_named(conn, username)?;
        rules::ensure_can_suspend(staff, &member)?;
        let entry = log(
            conn,
            Actor::Staff(staff),
            LogAction::HideMemberContent,
            domain::log_user(member.id),
            Some(reason),
        )?;
        diesel::sql_query(
            "INSERT INTO member_content_actions (log_id, member_id, since) VALUES ($1, $2, $3)",
        )
        .bind::<BigInt, _>(entry)
        .bind::<BigInt, _>(member.id)
        .bind::<Timestamptz, _>(since)
        .execute(conn)?;
        let mut counts = Counts::default();
        for item in shown_since(conn, member.id, since)? {
            let Some(content) = item.content() else {
                continue;
            };
            if apply_hidden(conn, content, true)?.is_some() {
                counts.add(content);
                diesel::sql_query(
                    "INSERT INTO member_content_action_items (log_id, content_type, content_id) \
                     VALUES ($1, $2, $3)",
                )
                .bind::<BigInt, _>(entry)
                .bind::<Text, _>(item.kind)
                .bind::<BigInt, _>(item.id)
                .execute(conn)?;
            }
        }
        if counts.total() == 0 {
            return Err(ApiError::conflict(
                "nothing_to_hide",
                format!("{} has posted nothing shown since then.", member.username),
            ));
        }
        let now = Utc::now();
        trust::model::mark_moderated(conn, member.id, now)?;
        trust::service::recompute(conn, member.id, &policy.trust, now)?;
        notifications::events::tell(
            conn,
            &format!("moderation:{}", entry.0),
            member.id,
            NotificationKind::ContentHidden,
            None,
            notifications::Subject::default(),
            None,
        )?;
        crate::email::enqueue(
            conn,
            &member.email,
            "content_hidden",
            serde_json::json!({
                "username": member.username,
                "what": format!(
                    "Everything you posted since {} ({} post{})",
                    since.format("%Y-%m-%d %H:%M UTC"),
                    counts.total(),
                    if counts.total() == 1 { "" } else { "s" }
                ),
                "reason": reason,
                "link": policy.base_url,
                "appeal_link": policy.appeal_link(entry),
            }),
        )?;
        Ok(counts.view(entry, &member, since))
    })
}

/// Whether the action logged as `entry` still stands (not undone).
pub fn stands(conn: &mut PgConnection, entry: ModerationLogId) -> QueryResult<bool> {
    Ok(lock_action(conn, entry)?.is_some_and(|a| a.undone_by.is_none()))
}

/// Undoes a member-content action as one logged action: what it hid and is still hidden is
/// shown again. `404` for a log entry of another kind; `409 already_undone` the second time.
pub fn undo(
    conn: &mut PgConnection,
    staff: &User,
    entry: ModerationLogId,
    reason: Option<&str>,
    policy: &Policy,
) -> Result<MemberContentView, ApiError> {
    conn.transaction(|conn| {
        let action = lock_action(conn, entry)?.ok_or(ApiError::NotFound)?;
        if action.undone_by.is_some() {
            return Err(ApiError::conflict(
                "already_undone",
                "This action was undone already.",
            ));
        }
        let member = User::find(conn, action.member_id)?;
        let why = reason.map_or_else(
            || format!("undoes #{}", entry.get()),
            |r| format!("undoes #{}: {r}", entry.get()),
        );
        let undo_entry = log(
            conn,
            Actor::Staff(staff),
            LogAction::RestoreMemberContent,
            domain::log_user(member.id),
            Some(&why),
        )?;
        diesel::sql_query("UPDATE member_content_actions SET undone_by = $2 WHERE log_id = $1")
            .bind::<BigInt, _>(entry)
            .bind::<BigInt, _>(undo_entry)
            .execute(conn)?;
        let items: Vec<Item> = diesel::sql_query(
            "SELECT content_type AS kind, content_id AS id FROM member_content_action_items \
             WHERE log_id = $1 ORDER BY 1, 2",
        )
        .bind::<BigInt, _>(entry)
        .load(conn)?;
        let mut counts = Counts::default();
        for item in items {
            let Some(content) = item.content() else {
                continue;
            };
            // Deleted since: nothing to show again.
            match apply_hidden(conn, content, false) {
                Ok(Some(_)) => counts.add(content),
                Ok(None) | Err(ApiError::NotFound) => {}
                Err(other) => return Err(other),
            }
        }
        trust::model::refresh_last_moderated(conn, member.id)?;
        trust::service::recompute(conn, member.id, &policy.trust, Utc::now())?;
        notifications::events::tell(
            conn,
            &format!("moderation:{}", undo_entry.0),
            member.id,
            NotificationKind::ContentRestored,
            None,
            notifications::Subject::default(),
            None,
        )?;
        Ok(counts.view(undo_entry, &member, action.since))
    })
}
