//! Digest mail: what happened in a member's watched threads and watched tags since their last
//! digest or visit, and the most active threads of the period. A run walks the members whose
//! daily or weekly digest is due; each member is claimed with one conditional update under
//! their row's lock, so two runs at once send one digest. Nothing is sent when nothing is new.
//! A periodic task runs it every `digest_interval_secs` (0 leaves running it to whoever
//! enqueues the job, as the tests do).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::mail::{Draft, MailContext, Unsubscribe};
use super::unsubscribe::Scope;
use crate::ids::UserId;
use crate::notifications::domain::DigestFrequency;
use crate::notifications::model::digest::{self as model, DigestThread};

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
        let due = model::due_members(conn, now, after, BATCH)?;
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

/// Claims `member`'s digest (if still due: another run may have taken it) and sends it when
/// there is something new; one transaction, so a claimed digest is always sent.
fn send_one(
    conn: &mut PgConnection,
    context: &MailContext,
    member: UserId,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    conn.transaction(|conn| {
        let Some(claimed) = model::claim(conn, member, now)? else {
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
    let rows = model::threads(conn, member, since, SECTION)?;
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
