//! Notification use cases: the inbox, following threads, and the fan-out job.

use diesel::prelude::*;

use super::domain::{SubscriptionLevel, SubscriptionReason};
use super::events::NotifyReply;
use super::model;
use super::views::{NotificationView, SubscriptionView, UnreadCount};
use crate::accounts::User;
use crate::error::ApiError;
use crate::ids::{NotificationId, ThreadId};
use crate::pagination::{self, Page};
use crate::threads;

pub const INBOX_LISTING: &str = "notifications";

/// Runs the fan-out of one reply (the job's work); safe to run again.
pub fn deliver_reply(conn: &mut PgConnection, job: &NotifyReply) -> QueryResult<usize> {
    let event = format!("reply:{}", job.reply_id.0);
    conn.transaction(|conn| model::fan_out_reply(conn, job.reply_id, &event))
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

pub fn unread_count(conn: &mut PgConnection, user: &User) -> Result<UnreadCount, ApiError> {
    Ok(UnreadCount {
        unread: model::unread_count(conn, user.id)?,
    })
}

pub fn mark_read(conn: &mut PgConnection, user: &User, id: NotificationId) -> Result<(), ApiError> {
    if model::mark_read(conn, user.id, id)? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

pub fn mark_read_up_to(
    conn: &mut PgConnection,
    user: &User,
    up_to: NotificationId,
) -> Result<(), ApiError> {
    model::mark_read_up_to(conn, user.id, up_to)?;
    Ok(())
}

/// How the member follows a thread they can see (`normal` without a reason when they never
/// did).
pub fn subscription(
    conn: &mut PgConnection,
    user: &User,
    thread: ThreadId,
) -> Result<SubscriptionView, ApiError> {
    threads::service::ensure_visible(conn, thread, user)?;
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
        threads::service::ensure_visible(conn, thread, user)?;
        model::choose(conn, user.id, thread, level)?;
        Ok(SubscriptionView {
            level,
            reason: Some(SubscriptionReason::Chosen),
        })
    })
}
