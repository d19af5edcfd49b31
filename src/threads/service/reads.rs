//! Where a member left off: moving their position, marking everything read, and what their
//! listings say they have not read.

use std::collections::HashMap;

use diesel::prelude::*;

use super::access::ensure_visible;
use crate::accounts::service::erasure::Erasing;
use crate::accounts::User;
use crate::error::ApiError;
use crate::ids::{ReplyId, ThreadId};
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
    Ok(())
}

/// The member's unread replies and "new" marks on a page of summaries: one statement more
/// than the page itself ([`reads::reading_of`]).
pub fn annotate(
    conn: &mut PgConnection,
    member: &User,
    items: &mut [ThreadSummary],
) -> Result<(), ApiError> {
    if items.is_empty() {
        return Ok(());
    }
    let ids: Vec<ThreadId> = items.iter().map(|item| item.id).collect();
    let (since, positions) = reads::reading_of(conn, member.id, &ids)?;
    let positions: HashMap<ThreadId, Position> =
        positions.into_iter().map(|p| (p.thread_id, p)).collect();
    for item in items {
        let position = positions.get(&item.id);
        item.unread_replies = Some(unread(item.reply_count, position));
        item.new = Some(
            position.is_none()
                && item.created_at > since
                && item.author.username != member.username,
        );
    }
    Ok(())
}

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
