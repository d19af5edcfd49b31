//! Where members left off (`thread_reads`): one row per member and thread they opened, holding
//! the last reply read and how many readable replies were up to it then. A listing's unread
//! count is the thread's reply count minus that number: no reply is counted at read time.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamptz};

use crate::ids::{ReplyId, ThreadId, UserId};
use crate::schema::{reading_marks, replies, thread_reads};
use crate::sql;

/// A member's position in one thread.
#[derive(Debug, Clone, Copy, Queryable, Selectable)]
#[diesel(table_name = thread_reads)]
pub struct Position {
    pub thread_id: ThreadId,
    pub last_read_reply_id: Option<ReplyId>,
    pub read_replies: i32,
}

pub fn position(
    conn: &mut PgConnection,
    user: UserId,
    thread: ThreadId,
) -> QueryResult<Option<Position>> {
    thread_reads::table
        .find((user, thread))
        .select(Position::as_select())
        .first(conn)
        .optional()
}

/// Since when a thread the member never opened is "new" to them: their previous visit (their
/// account's creation before they had one), or when they last marked everything read if later.
pub fn new_since(conn: &mut PgConnection, user: UserId) -> QueryResult<DateTime<Utc>> {
    #[derive(QueryableByName)]
    struct Since {
        #[diesel(sql_type = Timestamptz)]
        since: DateTime<Utc>,
    }
    let row: Since = sql::prepared(
        diesel::sql_query(
            "SELECT GREATEST(COALESCE(m.previous_visit_at, u.created_at), m.all_read_at) AS since \
               FROM users u LEFT JOIN reading_marks m ON m.user_id = u.id \
              WHERE u.id = $1",
        )
        .bind::<BigInt, _>(user),
    )
    .get_result(conn)?;
    Ok(row.since)
}

/// The thread a reply belongs to.
pub fn thread_of_reply(conn: &mut PgConnection, reply: ReplyId) -> QueryResult<Option<ThreadId>> {
    replies::table
        .find(reply)
        .filter(replies::deleted_at.is_null())
        .select(replies::thread_id)
        .first(conn)
        .optional()
}

/// Moves the member's position in a thread forward to `reply` (`None`: the question only),
/// never back: a position already at or past it is left as it is. The readable replies up to
/// it are counted here, once, in the same statement.
pub fn advance(
    conn: &mut PgConnection,
    user: UserId,
    thread: ThreadId,
    reply: Option<ReplyId>,
) -> QueryResult<()> {
    sql::prepared(
        diesel::sql_query(
            "INSERT INTO thread_reads AS t (user_id, thread_id, last_read_reply_id, read_replies) \
             SELECT $1, $2, $3, ( \
                    SELECT count(*) FROM replies r, replies p \
                     WHERE p.id = $3 AND r.thread_id = $2 \
                       AND (r.created_at, r.id) <= (p.created_at, p.id) \
                       AND r.deleted_at IS NULL AND NOT r.hidden) \
             ON CONFLICT (user_id, thread_id) DO UPDATE \
                SET last_read_reply_id = excluded.last_read_reply_id, \
                    read_replies = excluded.read_replies, updated_at = now() \
              WHERE excluded.last_read_reply_id IS NOT NULL \
                AND (t.last_read_reply_id IS NULL \
                     OR t.last_read_reply_id < excluded.last_read_reply_id)",
        )
        .bind::<BigInt, _>(user)
        .bind::<BigInt, _>(thread)
        .bind::<Nullable<BigInt>, _>(reply),
    )
    .execute(conn)
    .map(drop)
}

/// Everything the member opened is read up to its last readable reply, and what was started
/// until now is no longer new to them.
pub fn mark_all_read(conn: &mut PgConnection, user: UserId) -> QueryResult<()> {
    sql::prepared(
        diesel::sql_query(
            "UPDATE thread_reads t \
                SET read_replies = a.reply_count, updated_at = now(), \
                    last_read_reply_id = COALESCE(( \
                        SELECT r.id FROM replies r \
                         WHERE r.thread_id = t.thread_id \
                           AND r.deleted_at IS NULL AND NOT r.hidden \
                         ORDER BY r.created_at DESC, r.id DESC LIMIT 1), t.last_read_reply_id) \
               FROM thread_activity a \
              WHERE t.user_id = $1 AND a.thread_id = t.thread_id \
                AND t.read_replies < a.reply_count",
        )
        .bind::<BigInt, _>(user),
    )
    .execute(conn)?;
    sql::prepared(
        diesel::sql_query(
            "INSERT INTO reading_marks (user_id, all_read_at) VALUES ($1, now()) \
             ON CONFLICT (user_id) DO UPDATE SET all_read_at = excluded.all_read_at",
        )
        .bind::<BigInt, _>(user),
    )
    .execute(conn)
    .map(drop)
}

/// An erased member leaves no trace of what they read.
pub fn forget(conn: &mut PgConnection, user: UserId) -> QueryResult<()> {
    diesel::delete(thread_reads::table.filter(thread_reads::user_id.eq(user))).execute(conn)?;
    diesel::delete(reading_marks::table.find(user))
        .execute(conn)
        .map(drop)
}
