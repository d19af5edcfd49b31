//! Where a member left off: moving their position, marking everything read, and what their
//! listings say they have not read.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::access::ensure_visible;
use crate::accounts::service::erasure::Erasing;
use crate::accounts::User;
use crate::error::ApiError;
use crate::ids::{ReplyId, ThreadId, UserId};
use crate::threads::model::reads::{self, Position};
use crate::threads::views::ThreadSummary;

/// The member read the thread up to `reply` (`None`: its question). A position never moves
/// back; a reply of another thread is refused.
pub fn mark_read(
    conn: &mut PgConnection,
    member: &User,
    thread: ThreadId,
    reply: Option<ReplyId>,
) -> Result<(), ApiError> {
    ensure_visible(conn, thread, member)?;
    if let Some(reply) = reply {
        if reads::thread_of_reply(conn, reply)? != Some(thread) {
            return Err(ApiError::invalid_field(
                "last_read_reply_id",
                "is not a reply of this thread",
            ));
        }
    }
    reads::advance(conn, member.id, thread, reply)?;
    Ok(())
}

/// Everything the member opened is read, and nothing started until now is new to them.
pub fn mark_all_read(conn: &mut PgConnection, member: &User) -> Result<(), ApiError> {
    conn.transaction(|conn| reads::mark_all_read(conn, member.id))?;
    NEW_SINCE.invalidate(&(member.id, member.created_at));
    Ok(())
}

/// The member's unread replies and "new" mark on a summary, from their position in the thread
/// (the last reply read and how many replies that was; none: never opened).
pub fn annotate(
    item: &mut ThreadSummary,
    member: &User,
    position: Option<(Option<ReplyId>, i32)>,
    since: DateTime<Utc>,
) {
    let read = position.map(|(last_read_reply_id, read_replies)| Position {
        thread_id: item.id,
        last_read_reply_id,
        read_replies,
    });
    item.unread_replies = Some(unread(item.reply_count, read.as_ref()));
    item.new =
        Some(read.is_none() && item.created_at > since && item.author.username != member.username);
}

/// Since when a thread the member never opened is "new" to them ([`reads::new_since`]), kept a
/// minute per member and process so a list costs no statement for it: it moves only with a
/// new visit (after an hour away) or "mark all read", which forgets it here at once.
pub fn new_since(conn: &mut PgConnection, member: &User) -> Result<DateTime<Utc>, ApiError> {
    let key = (member.id, member.created_at);
    if let Some(since) = NEW_SINCE.get(&key) {
        return Ok(since);
    }
    let since = reads::new_since(conn, member.id)?;
    NEW_SINCE.insert(key, since);
    Ok(since)
}

/// Keyed by the account's id and creation time: an id alone could name another account of
/// another database in the same process (the tests run many side by side).
type SinceKey = (UserId, DateTime<Utc>);

static NEW_SINCE: LazyLock<moka::sync::Cache<SinceKey, DateTime<Utc>>> = LazyLock::new(|| {
    moka::sync::Cache::builder()
        .max_capacity(100_000)
        .time_to_live(std::time::Duration::from_secs(60))
        .build()
});

/// Replies past the member's position: the readable replies now less those read then (never
/// below zero: a read reply deleted since lowers the count).
pub fn unread(reply_count: i32, position: Option<&Position>) -> i32 {
    position.map_or(0, |p| (reply_count - p.read_replies).max(0))
}

/// The member's position in a thread, for the thread's page to open at the first unread reply.
pub fn position(
    conn: &mut PgConnection,
    member: &User,
    thread: ThreadId,
) -> Result<Option<Position>, ApiError> {
    Ok(reads::position(conn, member.id, thread)?)
}

/// Erasure step: what the member read and was writing goes with the account.
pub fn on_member_erased(conn: &mut PgConnection, erasing: &Erasing<'_>) -> Result<(), ApiError> {
    reads::forget(conn, erasing.member.id)?;
    crate::threads::model::drafts::forget(conn, erasing.member.id)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_is_what_came_after_the_position_and_never_negative() {
        let at = |read_replies| Position {
            thread_id: ThreadId(1),
            last_read_reply_id: Some(ReplyId(9)),
            read_replies,
        };
        assert_eq!(unread(10, Some(&at(7))), 3);
        assert_eq!(unread(10, Some(&at(10))), 0);
        assert_eq!(unread(5, Some(&at(7))), 0);
        assert_eq!(unread(10, None), 0);
    }
}
