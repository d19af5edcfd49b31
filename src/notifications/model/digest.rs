//! The statements of the digest (`service::digest` holds the use case).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};

use crate::ids::{ThreadId, UserId};
use crate::notifications::domain::DigestFrequency;

/// Whether members with `digest` are due: their last digest (or, before the first, their
/// joining) is a period old. `$1` is the run's time.
const DUE: &str = "u.digest <> 'never' AND u.email_verified AND u.email_undeliverable_at IS NULL \
     AND (u.suspended_at IS NULL OR u.suspended_until <= $1) \
     AND COALESCE(u.last_digest_at, u.created_at) <= $1 - CASE u.digest \
         WHEN 'daily' THEN interval '1 day' ELSE interval '7 days' END";

/// A member whose digest this run has claimed.
#[derive(Debug, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: UserId,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub digest: DigestFrequency,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub previous: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_seen_at: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: UserId,
}

/// Up to `limit` members whose digest is due at `now`, with ids after `after`, in id order.
pub fn due_members(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    after: UserId,
    limit: i64,
) -> QueryResult<Vec<UserId>> {
    let rows = diesel::sql_query(format!(
        "SELECT u.id FROM users u WHERE {DUE} AND u.id > $2 ORDER BY u.id LIMIT $3"
    ))
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .load::<IdRow>(conn)?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// Claims `member`'s digest under their row's lock, if it is still due (another run may have
/// taken it): their `last_digest_at` becomes `now`.
pub fn claim(
    conn: &mut PgConnection,
    member: UserId,
    now: DateTime<Utc>,
) -> QueryResult<Option<Claimed>> {
    diesel::sql_query(format!(
        "UPDATE users u SET last_digest_at = $1 \
         FROM (SELECT id, last_digest_at AS previous FROM users WHERE id = $2 FOR UPDATE) p \
         WHERE u.id = p.id AND {DUE} \
         RETURNING u.id, u.username, u.email, u.digest, p.previous, u.last_seen_at"
    ))
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(member)
    .get_result(conn)
    .optional()
}

/// A visible reply of the period: where, by whom, when.
#[derive(Debug, Clone, QueryableByName)]
pub struct PeriodReply {
    #[diesel(sql_type = BigInt)]
    pub thread_id: ThreadId,
    #[diesel(sql_type = BigInt)]
    pub author_id: UserId,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// A visible thread that a digest of the period may show.
#[derive(Debug, Clone, QueryableByName)]
pub struct PeriodThread {
    #[diesel(sql_type = BigInt)]
    pub id: ThreadId,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = BigInt)]
    pub author_id: UserId,
    #[diesel(sql_type = Array<Text>)]
    pub tags: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    pub reply_count: i32,
}

/// What one member follows, mutes and blocks: what their digest is cut to.
#[derive(Debug, Clone, Default, QueryableByName)]
pub struct MemberLists {
    #[diesel(sql_type = Array<BigInt>)]
    pub blocked: Vec<UserId>,
    #[diesel(sql_type = Array<BigInt>)]
    pub watched_threads: Vec<ThreadId>,
    #[diesel(sql_type = Array<BigInt>)]
    pub muted_threads: Vec<ThreadId>,
    #[diesel(sql_type = Array<Text>)]
    pub watched_tags: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub muted_tags: Vec<String>,
}

/// Every visible reply (in a visible thread) written after `from` and up to `to`: one scan of
/// the period for the whole run, whatever the number of members.
pub fn period_replies(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<PeriodReply>> {
    diesel::sql_query(
        "SELECT r.thread_id, r.author_id, r.created_at FROM replies r \
         JOIN threads t ON t.id = r.thread_id \
         WHERE r.created_at > $1 AND r.created_at <= $2 AND NOT r.hidden \
           AND r.deleted_at IS NULL AND NOT t.hidden AND t.deleted_at IS NULL",
    )
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)
}

/// The visible threads among `ids` (those with replies in the period) or started after `from`
/// and up to `to`.
pub fn period_threads(
    conn: &mut PgConnection,
    ids: &[ThreadId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<PeriodThread>> {
    diesel::sql_query(
        "SELECT t.id, t.title, t.author_id, t.tags, t.created_at, a.reply_count \
         FROM threads t JOIN thread_activity a ON a.thread_id = t.id \
         WHERE (t.id = ANY ($1) OR (t.created_at > $2 AND t.created_at <= $3)) \
           AND NOT t.hidden AND t.deleted_at IS NULL",
    )
    .bind::<Array<BigInt>, _>(ids)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)
}

/// The threads and tags `member` watches or muted, and the members they blocked.
pub fn member_lists(conn: &mut PgConnection, member: UserId) -> QueryResult<MemberLists> {
    diesel::sql_query(
        "SELECT ARRAY(SELECT blocked_id FROM user_blocks WHERE blocker_id = $1) AS blocked, \
                ARRAY(SELECT thread_id FROM thread_subscriptions \
                      WHERE user_id = $1 AND level = 'watching') AS watched_threads, \
                ARRAY(SELECT thread_id FROM thread_subscriptions \
                      WHERE user_id = $1 AND level = 'muted') AS muted_threads, \
                ARRAY(SELECT tag FROM tag_subscriptions \
                      WHERE user_id = $1 AND level = 'watching_first_post') AS watched_tags, \
                ARRAY(SELECT tag FROM tag_subscriptions \
                      WHERE user_id = $1 AND level = 'muted') AS muted_tags",
    )
    .bind::<BigInt, _>(member)
    .get_result(conn)
}
