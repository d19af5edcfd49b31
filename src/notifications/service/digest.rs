//! Digest mail: what happened in a member's watched threads and watched tags since their last
//! digest or visit, and the most active threads of the period. A run walks the members whose
//! daily or weekly digest is due; each member is claimed with one conditional update under
//! their row's lock, so two runs at once send one digest. Nothing is sent when nothing is new.
//! The run reads the period once, on reaching its first due member, and cuts each digest from
//! that picture (`notifications::period`).
//! A periodic task runs it every `digest_interval_secs` (0 leaves running it to whoever
//! enqueues the job, as the tests do).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::mail::{Draft, MailContext, Unsubscribe};
use super::unsubscribe::Scope;
use crate::ids::UserId;
use crate::notifications::domain::DigestFrequency;
use crate::notifications::model::digest as model;
use crate::notifications::period::{Limits, Period};

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
const LIMITS: Limits = Limits {
    watched: 10,
    tagged: 10,
    popular: 5,
};
/// The longest period a digest covers (weekly); a run reads this much once.
const LONGEST: chrono::Duration = chrono::Duration::days(7);

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
    let mut period = None;
    loop {
        let due = model::due_members(conn, now, after, BATCH)?;
        let Some(&last) = due.last() else {
            return Ok(sent);
        };
        let period = match &mut period {
            Some(period) => period,
            None => period.insert(read_period(conn, now)?),
        };
        for member in due {
            if send_one(conn, context, period, member, now)? {
                sent += 1;
            }
        }
        after = last;
    }
}

/// What happened in the longest period up to `now`, read once for the whole run.
fn read_period(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<Period> {
    let from = now - LONGEST;
    let replies = model::period_replies(conn, from, now)?;
    let threads = model::period_threads(conn, &Period::threads_of(&replies), from, now)?;
    Ok(Period::new(replies, threads))
}

/// Claims `member`'s digest (if still due: another run may have taken it) and sends it when
/// there is something new; one transaction, so a claimed digest is always sent.
fn send_one(
    conn: &mut PgConnection,
    context: &MailContext,
    picture: &mut Period,
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
        let lists = model::member_lists(conn, claimed.id)?;
        let content = picture.digest(claimed.id, &lists, from, LIMITS);
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
