//! Notification use cases: the inbox, following threads, and the fan-out job; mail, the
//! digest and unsubscribe links in their own files.

pub mod digest;
pub mod mail;
pub mod unsubscribe;

use diesel::prelude::*;

use super::domain::{
    self, DigestFrequency, EmailPreference, MessagesSetting, SubscriptionLevel, SubscriptionReason,
    TagLevel,
};
use super::events::{NotifyReply, NotifyThread};
use super::model;
use super::views::{
    NotificationSettingsView, NotificationView, SubscriptionView, TagSubscriptionView, UnreadCount,
};
use crate::accounts::auth::{self, BearerClaims};
use crate::accounts::{self, User};
use crate::error::ApiError;
use crate::ids::{NotificationId, ThreadId, UserId};
use crate::pagination::{self, Page};

pub const INBOX_LISTING: &str = "notifications";

/// Runs the fan-out of one reply (the job's work); safe to run again. A reply's mentions and
/// its other notifications share one event, so whoever it mentions and also answers is told
/// once, and an edit tells only members not told before.
pub fn deliver_reply(conn: &mut PgConnection, job: &NotifyReply) -> QueryResult<usize> {
    let event = format!("reply:{}", job.reply_id.0);
    conn.transaction(|conn| {
        let Some(body) = model::reply_body(conn, job.reply_id)? else {
            return Ok(0);
        };
        let mentioned = domain::mentioned(&body);
        model::fan_out_reply(conn, job.reply_id, &event, &mentioned, job.edited)
    })
}

/// Runs the fan-out of one thread (the job's work); safe to run again.
pub fn deliver_thread(conn: &mut PgConnection, job: &NotifyThread) -> QueryResult<usize> {
    let event = format!("thread:{}", job.thread_id.0);
    conn.transaction(|conn| {
        let Some(body) = model::thread_body(conn, job.thread_id)? else {
            return Ok(0);
        };
        let mentioned = domain::mentioned(&body);
        model::fan_out_thread(conn, job.thread_id, &event, &mentioned, job.edited)
    })
}

pub struct InboxQuery {
    pub unread_only: bool,
    pub before: Option<NotificationId>,
    pub limit: i64,
}

pub fn inbox(
    conn: &mut PgConnection,
    user: &User,
    query: &InboxQuery,
) -> Result<Page<NotificationView>, ApiError> {
    let rows = model::inbox(
        conn,
        user.id,
        query.unread_only,
        query.before,
        query.limit + 1,
    )?;
    Ok(Page::from_rows(
        rows,
        query.limit,
        |row| pagination::encode(INBOX_LISTING, &row.id.0),
        NotificationView::new,
    ))
}

/// The unread count for the holder of a verified token, whose session is checked by the same
/// statement.
pub fn unread_count(
    conn: &mut PgConnection,
    claims: &BearerClaims,
) -> Result<UnreadCount, ApiError> {
    let row = model::session_and_unread_count(conn, claims.user_id, claims.session)?;
    auth::ensure_current_session(claims, row.map(|(stored, _)| stored))?;
    Ok(UnreadCount {
        unread: row.map_or(0, |(_, unread)| unread),
    })
}

/// The unread count of a member already authenticated (an API token's).
pub fn unread_count_of(conn: &mut PgConnection, member: UserId) -> Result<UnreadCount, ApiError> {
    Ok(UnreadCount {
        unread: model::unread_count(conn, member)?,
    })
}

pub fn mark_read(conn: &mut PgConnection, user: &User, id: NotificationId) -> Result<(), ApiError> {
    if model::mark_read(conn, user.id, id)? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// Marks the member's notifications in `scope` read (none there is no error).
pub fn mark_read_in(
    conn: &mut PgConnection,
    user: &User,
    scope: crate::notifications::domain::ReadScope,
) -> Result<(), ApiError> {
    model::mark_read_in(conn, user.id, scope)?;
    Ok(())
}

/// 404 unless the thread exists and the member may see it.
fn ensure_visible(conn: &mut PgConnection, thread: ThreadId, user: &User) -> Result<(), ApiError> {
    match model::thread_flags(conn, thread)? {
        Some(flags) if crate::visibility::can_see(Some(user), flags) => Ok(()),
        _ => Err(ApiError::NotFound),
    }
}

/// How the member follows a thread they can see (`normal` without a reason when they never
/// did).
pub fn subscription(
    conn: &mut PgConnection,
    user: &User,
    thread: ThreadId,
) -> Result<SubscriptionView, ApiError> {
    ensure_visible(conn, thread, user)?;
    Ok(match model::subscription(conn, user.id, thread)? {
        Some(row) => SubscriptionView {
            level: row.level,
            reason: Some(row.reason),
        },
        None => SubscriptionView {
            level: SubscriptionLevel::Normal,
            reason: None,
        },
    })
}

pub fn choose_subscription(
    conn: &mut PgConnection,
    user: &User,
    thread: ThreadId,
    level: SubscriptionLevel,
) -> Result<SubscriptionView, ApiError> {
    conn.transaction(|conn| {
        ensure_visible(conn, thread, user)?;
        model::choose(conn, user.id, thread, level)?;
        Ok(SubscriptionView {
            level,
            reason: Some(SubscriptionReason::Chosen),
        })
    })
}

/// How the member follows a tag that exists.
pub fn tag_subscription(
    conn: &mut PgConnection,
    user: &User,
    tag: &str,
) -> Result<TagSubscriptionView, ApiError> {
    ensure_tag_exists(conn, tag)?;
    let level = model::tag_level(conn, user.id, tag)?.unwrap_or(TagLevel::Normal);
    Ok(TagSubscriptionView { level })
}

pub fn choose_tag_subscription(
    conn: &mut PgConnection,
    user: &User,
    tag: &str,
    level: TagLevel,
) -> Result<TagSubscriptionView, ApiError> {
    ensure_tag_exists(conn, tag)?;
    model::set_tag_level(conn, user.id, tag, level)?;
    Ok(TagSubscriptionView { level })
}

fn ensure_tag_exists(conn: &mut PgConnection, tag: &str) -> Result<(), ApiError> {
    use crate::schema::tags::dsl as t;
    let exists: bool =
        diesel::select(diesel::dsl::exists(t::tags.filter(t::name.eq(tag)))).get_result(conn)?;
    if exists {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// `user` blocks the member named `username`: that member's posts and actions tell them
/// nothing from now on, and what they were told leaves their inbox.
pub fn block(conn: &mut PgConnection, user: &User, username: &str) -> Result<(), ApiError> {
    let blocked = accounts::service::member_named(conn, username)?;
    if blocked.id == user.id {
        return Err(ApiError::conflict(
            "cannot_block_self",
            "You cannot block yourself.",
        ));
    }
    model::block(conn, user.id, blocked.id)?;
    Ok(())
}

pub fn unblock(conn: &mut PgConnection, user: &User, username: &str) -> Result<(), ApiError> {
    let blocked = accounts::service::member_named(conn, username)?;
    model::unblock(conn, user.id, blocked.id)?;
    Ok(())
}

/// The member's email preferences.
pub fn settings(
    conn: &mut PgConnection,
    user: &User,
) -> Result<NotificationSettingsView, ApiError> {
    let (email, digest) = model::mail_settings(conn, user.id)?;
    let messages = model::messages_setting(conn, user.id)?;
    Ok(NotificationSettingsView {
        email,
        digest,
        messages,
    })
}

/// Changes what was sent of the member's email preferences.
pub fn update_settings(
    conn: &mut PgConnection,
    user: &User,
    email: Option<EmailPreference>,
    digest: Option<DigestFrequency>,
    messages: Option<MessagesSetting>,
) -> Result<NotificationSettingsView, ApiError> {
    conn.transaction(|conn| {
        let (email, digest) = model::set_mail_settings(conn, user.id, email, digest)?;
        if let Some(messages) = messages {
            model::set_messages_setting(conn, user.id, messages)?;
        }
        let messages = model::messages_setting(conn, user.id)?;
        Ok(NotificationSettingsView {
            email,
            digest,
            messages,
        })
    })
}
