//! The queries behind trust levels: a member's activity, their level, their posts of the day.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz};

use super::rules::{Activity, PostKind};
use crate::accounts::TrustLevel;
use crate::ids::UserId;
use crate::schema::users;

#[derive(QueryableByName)]
struct ActivityRow {
    #[diesel(sql_type = Bool)]
    email_verified: bool,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    posts: i64,
    #[diesel(sql_type = BigInt)]
    replies_received: i64,
    #[diesel(sql_type = BigInt)]
    solutions: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_moderated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    trust_level: TrustLevel,
    #[diesel(sql_type = Bool)]
    trust_level_pinned: bool,
}

/// A member's level as stored, whether an admin pinned it, and their activity; the counts stop
/// at `cap` (enough to tell the levels apart), so a prolific member costs no more than a new
/// one. `None` for an unknown or erased account.
pub fn activity(
    conn: &mut PgConnection,
    user: UserId,
    cap: i64,
) -> QueryResult<Option<(TrustLevel, bool, Activity)>> {
    let row: Option<ActivityRow> = diesel::sql_query(
        "SELECT u.email_verified, u.created_at, u.last_moderated_at, u.trust_level, \
                u.trust_level_pinned, \
                (SELECT count(*) FROM (SELECT 1 FROM threads \
                     WHERE author_id = u.id AND deleted_at IS NULL AND NOT hidden LIMIT $2) t) \
              + (SELECT count(*) FROM (SELECT 1 FROM replies \
                     WHERE author_id = u.id AND deleted_at IS NULL AND NOT hidden LIMIT $2) r) \
                AS posts, \
                (SELECT count(*) FROM (SELECT 1 FROM threads t JOIN replies r ON r.thread_id = t.id \
                     WHERE t.author_id = u.id AND r.author_id <> u.id \
                       AND r.deleted_at IS NULL AND NOT r.hidden LIMIT $2) x) AS replies_received, \
                (SELECT count(*) FROM (SELECT 1 FROM replies r \
                     JOIN thread_solutions s ON s.reply_id = r.id \
                     WHERE r.author_id = u.id AND r.deleted_at IS NULL AND NOT r.hidden \
                     LIMIT $2) s) AS solutions \
         FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL",
    )
    .bind::<BigInt, _>(user)
    .bind::<BigInt, _>(cap)
    .get_result(conn)
    .optional()?;
    Ok(row.map(|row| {
        (
            row.trust_level,
            row.trust_level_pinned,
            Activity {
                email_verified: row.email_verified,
                joined_at: row.created_at,
                posts: row.posts,
                replies_received: row.replies_received,
                solutions: row.solutions,
                last_moderated_at: row.last_moderated_at,
            },
        )
    }))
}

/// Stores a computed level; an admin's pin wins (then nothing changes). Whether it changed.
pub fn store_level(conn: &mut PgConnection, user: UserId, level: TrustLevel) -> QueryResult<bool> {
    diesel::update(
        users::table
            .find(user)
            .filter(users::trust_level_pinned.eq(false))
            .filter(users::trust_level.ne(level)),
    )
    .set(users::trust_level.eq(level))
    .execute(conn)
    .map(|n| n > 0)
}

/// Pins a level (an admin's), or unpins it (`None`: computed again from the next event).
pub fn pin(conn: &mut PgConnection, user: UserId, level: Option<TrustLevel>) -> QueryResult<()> {
    match level {
        Some(level) => diesel::update(users::table.find(user))
            .set((
                users::trust_level.eq(level),
                users::trust_level_pinned.eq(true),
            ))
            .execute(conn),
        None => diesel::update(users::table.find(user))
            .set(users::trust_level_pinned.eq(false))
            .execute(conn),
    }
    .map(drop)
}

/// Accounts whose level is computed, by id, after `after`.
pub fn computed_accounts(
    conn: &mut PgConnection,
    after: UserId,
    limit: i64,
) -> QueryResult<Vec<UserId>> {
    users::table
        .filter(users::id.gt(after))
        .filter(users::trust_level_pinned.eq(false))
        .filter(users::deleted_at.is_null())
        .order(users::id.asc())
        .select(users::id)
        .limit(limit)
        .load(conn)
}

#[derive(QueryableByName)]
struct DayRow {
    #[diesel(sql_type = BigInt)]
    posted: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    oldest: Option<DateTime<Utc>>,
}

/// How many threads or replies the member started in the day before `now` (deleted ones
/// too: deleting does not give a post back), and when the oldest of them was.
pub fn posted_in_last_day(
    conn: &mut PgConnection,
    user: UserId,
    kind: PostKind,
    now: DateTime<Utc>,
) -> QueryResult<(i64, Option<DateTime<Utc>>)> {
    let table = match kind {
        PostKind::Thread => "threads",
        PostKind::Reply => "replies",
        PostKind::Conversation => "conversations",
    };
    let row: DayRow = diesel::sql_query(format!(
        "SELECT count(*) AS posted, min(created_at) AS oldest FROM {table} \
         WHERE author_id = $1 AND created_at > $2 - interval '1 day'"
    ))
    .bind::<BigInt, _>(user)
    .bind::<Timestamptz, _>(now)
    .get_result(conn)?;
    Ok((row.posted, row.oldest))
}

/// Notes a moderation action against the member (their content hidden, their account
/// suspended) at `at`.
pub fn mark_moderated(conn: &mut PgConnection, user: UserId, at: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(users::table.find(user))
        .set(users::last_moderated_at.eq(Some(at)))
        .execute(conn)
        .map(drop)
}

/// Recomputes when the last action against the member that still stands was: hides of their
/// content, suspensions and hides of all their content, less those overturned on appeal or
/// undone.
pub fn refresh_last_moderated(conn: &mut PgConnection, user: UserId) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE users SET last_moderated_at = ( \
             SELECT max(l.created_at) FROM moderation_log l \
             WHERE l.action IN ('hide', 'auto_hide', 'suspend', 'hide_member_content') \
               AND NOT EXISTS (SELECT 1 FROM appeals a \
                               WHERE a.log_id = l.id AND a.status = 'overturned') \
               AND NOT EXISTS (SELECT 1 FROM member_content_actions m \
                               WHERE m.log_id = l.id AND m.undone_by IS NOT NULL) \
               AND ((l.target_type = 'user' AND l.target_id = $1) \
                 OR (l.target_type = 'thread' AND l.target_id IN \
                        (SELECT id FROM threads WHERE author_id = $1)) \
                 OR (l.target_type = 'reply' AND l.target_id IN \
                        (SELECT id FROM replies WHERE author_id = $1)) \
                 OR (l.target_type = 'meetup' AND l.target_id IN \
                        (SELECT id FROM meetups WHERE organizer_id = $1)))) \
         WHERE id = $1",
    )
    .bind::<BigInt, _>(user)
    .execute(conn)
    .map(drop)
}

/// For a statement on `thread_activity`: whether the thread's author could still rise (not
/// `regular` yet, not pinned), so a reply to their thread is worth recomputing their level
/// for. Asked within the statement that posts the reply (`threads::model::post_reply`), it
/// costs no round trip of its own.
pub const ACTIVITY_AUTHOR_MAY_RISE: &str =
    "EXISTS (SELECT 1 FROM users u WHERE u.id = thread_activity.author_id \
             AND u.trust_level <> 'regular' AND NOT u.trust_level_pinned)";
