//! The statements of the digest (`service::digest` holds the use case).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use serde::Serialize;

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

/// A thread in a digest, and the section it goes in.
#[derive(Debug, QueryableByName, Serialize)]
pub struct DigestThread {
    #[diesel(sql_type = BigInt)]
    pub id: ThreadId,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = BigInt)]
    pub replies: i64,
    #[diesel(sql_type = Text)]
    #[serde(skip)]
    #[allow(dead_code)]
    pub section: String,
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

/// The threads of a digest since `since`, up to `per_section` per section: watched threads
/// with new replies, new threads in watched tags, then the most active of the rest; each
/// without what the member cannot see, muted, or wrote, nor anything by a member they blocked.
pub fn threads(
    conn: &mut PgConnection,
    member: UserId,
    since: DateTime<Utc>,
    per_section: i64,
) -> QueryResult<Vec<DigestThread>> {
    diesel::sql_query(
        "WITH fresh AS ( \
             SELECT r.thread_id, count(*) AS replies, max(r.created_at) AS latest \
             FROM replies r \
             WHERE r.created_at > $2 AND r.author_id <> $1 AND NOT r.hidden \
               AND r.deleted_at IS NULL \
               AND NOT EXISTS (SELECT 1 FROM user_blocks b \
                               WHERE b.blocker_id = $1 AND b.blocked_id = r.author_id) \
             GROUP BY r.thread_id \
         ), visible AS ( \
             SELECT t.* FROM threads t \
             WHERE NOT t.hidden AND t.deleted_at IS NULL \
               AND NOT EXISTS (SELECT 1 FROM thread_subscriptions s \
                               WHERE s.user_id = $1 AND s.thread_id = t.id AND s.level = 'muted') \
               AND NOT EXISTS (SELECT 1 FROM user_blocks b \
                               WHERE b.blocker_id = $1 AND b.blocked_id = t.author_id) \
         ), watched AS ( \
             SELECT t.id, t.title, f.replies, 'watched' AS section FROM visible t \
             JOIN fresh f ON f.thread_id = t.id \
             JOIN thread_subscriptions s ON s.thread_id = t.id AND s.user_id = $1 \
                                        AND s.level = 'watching' \
             ORDER BY f.latest DESC LIMIT $3 \
         ), tagged AS ( \
             SELECT t.id, t.title, a.reply_count::int8 AS replies, 'tagged' AS section \
             FROM visible t JOIN thread_activity a ON a.thread_id = t.id \
             WHERE t.created_at > $2 AND t.author_id <> $1 \
               AND EXISTS (SELECT 1 FROM tag_subscriptions ts \
                           WHERE ts.user_id = $1 AND ts.level = 'watching_first_post' \
                             AND ts.tag = ANY (t.tags)) \
               AND NOT EXISTS (SELECT 1 FROM tag_subscriptions ts \
                               WHERE ts.user_id = $1 AND ts.level = 'muted' \
                                 AND ts.tag = ANY (t.tags)) \
             ORDER BY t.created_at DESC LIMIT $3 \
         ), popular AS ( \
             SELECT t.id, t.title, f.replies, 'popular' AS section FROM visible t \
             JOIN fresh f ON f.thread_id = t.id \
             WHERE t.id NOT IN (SELECT id FROM watched) AND t.id NOT IN (SELECT id FROM tagged) \
               AND NOT EXISTS (SELECT 1 FROM tag_subscriptions ts \
                               WHERE ts.user_id = $1 AND ts.level = 'muted' \
                                 AND ts.tag = ANY (t.tags)) \
             ORDER BY f.replies DESC, t.id DESC LIMIT 5 \
         ) \
         SELECT * FROM watched UNION ALL SELECT * FROM tagged UNION ALL SELECT * FROM popular",
    )
    .bind::<BigInt, _>(member)
    .bind::<Timestamptz, _>(since)
    .bind::<BigInt, _>(per_section)
    .load(conn)
}
