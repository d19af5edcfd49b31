//! The reply a thread's author (or staff) chose as its solution, and the thread's `solved`
//! flag that follows it: set while the solution's reply is one a reader sees.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::author::AuthorRow;
use crate::ids::{ReplyId, ThreadId, UserId};
use crate::schema::{replies, thread_solutions, users};

/// The moderation log's actions for a choice and its removal (`moderation::domain::LogAction`
/// names them too; threads sit below moderation, and a test holds the two together).
pub const LOG_MARK: &str = "mark_solution";
pub const LOG_UNMARK: &str = "unmark_solution";

/// A thread's solution as the thread page shows it.
#[derive(Debug, Clone)]
pub struct SolutionRow {
    pub reply_id: ReplyId,
    pub body: String,
    pub author: AuthorRow,
    pub chosen_by: Option<AuthorRow>,
    pub chosen_at: DateTime<Utc>,
}

/// The reply chosen for the thread, whatever its state.
pub fn chosen_reply(conn: &mut PgConnection, thread: ThreadId) -> QueryResult<Option<ReplyId>> {
    thread_solutions::table
        .find(thread)
        .select(thread_solutions::reply_id)
        .first(conn)
        .optional()
}

/// The solution with its reply's body and author and who chose it, if its reply is one a
/// reader sees (two short queries by key: only solved threads ask).
pub fn visible_solution(
    conn: &mut PgConnection,
    thread: ThreadId,
) -> QueryResult<Option<SolutionRow>> {
    type Found = (ReplyId, String, AuthorRow, Option<UserId>, DateTime<Utc>);
    let found: Option<Found> = thread_solutions::table
        .inner_join(replies::table.inner_join(users::table))
        .filter(thread_solutions::thread_id.eq(thread))
        .filter(replies::deleted_at.is_null())
        .filter(diesel::dsl::not(replies::hidden))
        .select((
            thread_solutions::reply_id,
            replies::body,
            AuthorRow::as_select(),
            thread_solutions::chosen_by,
            thread_solutions::chosen_at,
        ))
        .first(conn)
        .optional()?;
    let Some((reply_id, body, author, chosen_by, chosen_at)) = found else {
        return Ok(None);
    };
    let chosen_by = match chosen_by {
        Some(id) => users::table
            .find(id)
            .select(AuthorRow::as_select())
            .first(conn)
            .optional()?,
        None => None,
    };
    Ok(Some(SolutionRow {
        reply_id,
        body,
        author,
        chosen_by,
        chosen_at,
    }))
}

/// Makes `reply` the thread's solution, replacing any other.
pub fn choose(
    conn: &mut PgConnection,
    thread: ThreadId,
    reply: ReplyId,
    by: UserId,
) -> QueryResult<()> {
    diesel::insert_into(thread_solutions::table)
        .values((
            thread_solutions::thread_id.eq(thread),
            thread_solutions::reply_id.eq(reply),
            thread_solutions::chosen_by.eq(by),
        ))
        .on_conflict(thread_solutions::thread_id)
        .do_update()
        .set((
            thread_solutions::reply_id.eq(reply),
            thread_solutions::chosen_by.eq(by),
            thread_solutions::chosen_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes the thread's solution; whether there was one.
pub fn remove(conn: &mut PgConnection, thread: ThreadId) -> QueryResult<bool> {
    diesel::delete(thread_solutions::table.find(thread))
        .execute(conn)
        .map(|n| n > 0)
}

/// Sets `threads.solved` from the solution's reply as it now is; whether it changed (then
/// the thread's search document changes too). The caller holds the thread's lock.
pub fn refresh_solved(conn: &mut PgConnection, thread: ThreadId) -> QueryResult<bool> {
    let changed = diesel::sql_query(
        "UPDATE threads t SET solved = NOT t.solved \
          WHERE t.id = $1 AND t.solved <> EXISTS ( \
                SELECT 1 FROM thread_solutions s JOIN replies r ON r.id = s.reply_id \
                 WHERE s.thread_id = t.id AND NOT r.hidden AND r.deleted_at IS NULL)",
    )
    .bind::<BigInt, _>(thread)
    .execute(conn)?;
    Ok(changed > 0)
}

/// The thread a reply belongs to when it is (or was) its thread's chosen solution.
pub fn thread_solved_by(conn: &mut PgConnection, reply: ReplyId) -> QueryResult<Option<ThreadId>> {
    thread_solutions::table
        .filter(thread_solutions::reply_id.eq(reply))
        .select(thread_solutions::thread_id)
        .first(conn)
        .optional()
}

/// Writes the choice (or its removal) to the moderation log, for staff.
pub fn log(
    conn: &mut PgConnection,
    actor: UserId,
    action: &str,
    thread: ThreadId,
    reason: &str,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO moderation_log (actor_id, action, target_type, target_id, reason) \
         VALUES ($1, $2, 'thread', $3, $4)",
    )
    .bind::<BigInt, _>(actor)
    .bind::<Text, _>(action)
    .bind::<BigInt, _>(thread)
    .bind::<Text, _>(reason)
    .execute(conn)?;
    Ok(())
}
