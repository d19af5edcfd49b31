//! Digest mail: what happened in a member's watched threads and watched tags since their last
//! digest or visit, and the most active threads of the period. A run walks the members whose
//! daily or weekly digest is due; each member is claimed with one conditional update under
//! their row's lock, so two runs at once send one digest. Nothing is sent when nothing is new.
//! A periodic task runs it every `digest_interval_secs` (0 leaves running it to whoever
//! enqueues the job, as the tests do).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use serde::Serialize;

use super::domain::DigestFrequency;
use super::mail::{Draft, MailContext, Unsubscribe};
use super::unsubscribe::Scope;
use crate::ids::{ThreadId, UserId};

/// The job that sends the digests that are due.
pub const DIGEST_JOB: &str = "notification.digests";

/// One digest run (periodic).
#[derive(serde::Deserialize)]
pub struct DigestRun {}

impl crate::jobs::ConnTask for DigestRun {
    const KIND: &'static str = DIGEST_JOB;
    type Needs = MailContext;

    fn run(self, conn: &mut PgConnection, mail: &MailContext) -> anyhow::Result<()> {
        let sent = run(conn, mail, Utc::now())?;
        tracing::info!(sent, "digest run");
        Ok(())
    }
}

/// Members claimed per query while a run walks the due ones.
const BATCH: i64 = 200;
/// Threads shown per section.
const SECTION: i64 = 10;

/// Whether members with `digest` are due: their last digest (or, before the first, their
/// joining) is a period old. `$1` is the run's time.
const DUE: &str = "u.digest <> 'never' AND u.email_verified AND u.email_undeliverable_at IS NULL \
     AND (u.suspended_at IS NULL OR u.suspended_until <= $1) \
     AND COALESCE(u.last_digest_at, u.created_at) <= $1 - CASE u.digest \
         WHEN 'daily' THEN interval '1 day' ELSE interval '7 days' END";

#[derive(Debug, QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: UserId,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    digest: DigestFrequency,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    previous: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_seen_at: Option<DateTime<Utc>>,
}

#[derive(Debug, QueryableByName, Serialize)]
struct DigestThread {
    #[diesel(sql_type = BigInt)]
    id: ThreadId,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = BigInt)]
    replies: i64,
    #[diesel(sql_type = Text)]
    #[serde(skip)]
    #[allow(dead_code)]
    section: String,
}

/// What one digest holds.
#[derive(Debug, Serialize)]
struct Content {
    watched: Vec<DigestThread>,
    tagged: Vec<DigestThread>,
    popular: Vec<DigestThread>,
}

impl Content {
    fn is_empty(&self) -> bool {
        self.watched.is_empty() && self.tagged.is_empty() && self.popular.is_empty()
    }
}

/// Where a digest starts: the last digest or visit, whichever is later, and never further back
/// than one period.
pub fn since(
    previous: Option<DateTime<Utc>>,
    last_seen: Option<DateTime<Utc>>,
    period: chrono::Duration,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    [Some(now - period), previous, last_seen]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(now - period)
}

/// Sends every digest due at `now`; returns how many were sent.
pub fn run(
    conn: &mut PgConnection,
    context: &MailContext,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut sent = 0;
    let mut after = UserId(0);
    loop {
        let due: Vec<UserId> = diesel::sql_query(format!(
            "SELECT u.id FROM users u WHERE {DUE} AND u.id > $2 ORDER BY u.id LIMIT $3"
        ))
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(BATCH)
        .load::<IdRow>(conn)?
        .into_iter()
        .map(|row| row.id)
        .collect();
        let Some(&last) = due.last() else {
            return Ok(sent);
        };
        for member in due {
            if send_one(conn, context, member, now)? {
                sent += 1;
            }
        }
        after = last;
    }
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: UserId,
}

/// Claims `member`'s digest (if still due: another run may have taken it) and sends it when
/// there is something new; one transaction, so a claimed digest is always sent.
fn send_one(
    conn: &mut PgConnection,
    context: &MailContext,
    member: UserId,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    conn.transaction(|conn| {
        let claimed: Option<Claimed> = diesel::sql_query(format!(
            "UPDATE users u SET last_digest_at = $1 \
             FROM (SELECT id, last_digest_at AS previous FROM users WHERE id = $2 FOR UPDATE) p \
             WHERE u.id = p.id AND {DUE} \
             RETURNING u.id, u.username, u.email, u.digest, p.previous, u.last_seen_at"
        ))
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(member)
        .get_result(conn)
        .optional()?;
        let Some(claimed) = claimed else {
            return Ok(false);
        };
        let Some(period) = claimed.digest.period() else {
            return Ok(false);
        };
        let from = since(claimed.previous, claimed.last_seen_at, period, now);
        let content = content(conn, claimed.id, from)?;
        if content.is_empty() {
            return Ok(false);
        }
        let token = context.keys.issue(claimed.id, Scope::Digest)?;
        let unsubscribe =
            Unsubscribe::links(&context.base_url, &token, Scope::Digest.describe(None));
        let draft = Draft::new(
            "digest",
            serde_json::json!({
                "username": claimed.username,
                "period": match claimed.digest { DigestFrequency::Daily => "day", _ => "week" },
                "base_url": context.base_url,
                "watched": content.watched,
                "tagged": content.tagged,
                "popular": content.popular,
            }),
        );
        let message = unsubscribe.render(&claimed.email, &draft)?;
        crate::email::enqueue_message(conn, &message)?;
        Ok(true)
    })
}

/// The three sections, each without what the member cannot see, muted, or wrote, nor anything
/// by a member they blocked.
fn content(conn: &mut PgConnection, member: UserId, since: DateTime<Utc>) -> QueryResult<Content> {
    let rows: Vec<DigestThread> = diesel::sql_query(
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
             SELECT t.id, t.title, t.reply_count::int8 AS replies, 'tagged' AS section \
             FROM visible t \
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
    .bind::<BigInt, _>(SECTION)
    .load(conn)?;
    let mut content = Content {
        watched: Vec::new(),
        tagged: Vec::new(),
        popular: Vec::new(),
    };
    for row in rows {
        match row.section.as_str() {
            "watched" => content.watched.push(row),
            "tagged" => content.tagged.push(row),
            _ => content.popular.push(row),
        }
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_digest_starts_at_the_later_of_the_last_digest_and_visit_within_one_period() {
        let now = DateTime::from_timestamp(10_000_000, 0).unwrap_or_default();
        let week = Duration::days(7);
        assert_eq!(since(None, None, week, now), now - week);
        let visit = now - Duration::days(2);
        assert_eq!(
            since(Some(now - Duration::days(7)), Some(visit), week, now),
            visit
        );
        let digest = now - Duration::days(1);
        assert_eq!(since(Some(digest), Some(visit), week, now), digest);
        assert_eq!(
            since(Some(now - Duration::days(30)), None, week, now),
            now - week
        );
    }
}
