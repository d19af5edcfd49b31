//! Periodic tasks in the durable queue. A task has a kind (a job handler) and a period; time is
//! cut into periods from the Unix epoch, and each period of each task gets exactly one job,
//! due at the period's start: whichever worker process first inserts the period's row into
//! `scheduled_runs` enqueues the job in the same transaction, every other one finds the row
//! and does nothing. Nothing is held only in memory: a restarted or added worker sees the
//! rows, and a period whose job was enqueued is never enqueued again.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamptz};
use serde_json::json;

use super::queue;

/// A task run once per `every`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periodic {
    pub kind: String,
    pub every: Duration,
}

/// The start of the period `now` falls in: periods of `every` counted from the Unix epoch.
pub fn period_start(now: DateTime<Utc>, every: Duration) -> DateTime<Utc> {
    let every_ms = every.as_millis().max(1) as i64;
    let now_ms = now.timestamp_millis();
    let start_ms = now_ms - now_ms.rem_euclid(every_ms);
    DateTime::from_timestamp_millis(start_ms).unwrap_or(now)
}

/// Enqueues the job of each task whose current period has none yet; the kinds enqueued.
pub fn enqueue_due(
    conn: &mut PgConnection,
    tasks: &[Periodic],
    now: DateTime<Utc>,
) -> QueryResult<Vec<String>> {
    let mut enqueued = Vec::new();
    for task in tasks {
        let start = period_start(now, task.every);
        let inserted = conn.transaction(|conn| {
            let inserted = diesel::sql_query(
                "INSERT INTO scheduled_runs (task, period_start) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind::<Text, _>(&task.kind)
            .bind::<Timestamptz, _>(start)
            .execute(conn)?;
            if inserted == 0 {
                return Ok(false);
            }
            diesel::sql_query("DELETE FROM scheduled_runs WHERE task = $1 AND period_start < $2")
                .bind::<Text, _>(&task.kind)
                .bind::<Timestamptz, _>(start)
                .execute(conn)?;
            queue::enqueue_at(
                conn,
                &task.kind,
                &json!({ "period_start": start }),
                start,
                queue::DEFAULT_MAX_ATTEMPTS,
            )?;
            QueryResult::Ok(true)
        })?;
        if inserted {
            enqueued.push(task.kind.clone());
        }
    }
    Ok(enqueued)
}

/// A periodic task's latest period and when its job was enqueued, for `devforum jobs stats`.
#[derive(Debug, QueryableByName)]
pub struct LastRun {
    #[diesel(sql_type = Text)]
    pub task: String,
    #[diesel(sql_type = Timestamptz)]
    pub period_start: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub enqueued_at: DateTime<Utc>,
}

pub fn last_runs(conn: &mut PgConnection) -> QueryResult<Vec<LastRun>> {
    diesel::sql_query(
        "SELECT task, period_start, enqueued_at FROM scheduled_runs ORDER BY task, period_start",
    )
    .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_cut_from_the_epoch() {
        let hour = Duration::from_secs(3600);
        let at = DateTime::parse_from_rfc3339("2026-12-02T15:42:10Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            period_start(at, hour).to_rfc3339(),
            "2026-12-02T15:00:00+00:00"
        );
        // A boundary belongs to the period it starts.
        let boundary = DateTime::parse_from_rfc3339("2026-12-02T16:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(period_start(boundary, hour), boundary);
        let quarter = Duration::from_secs(900);
        assert_eq!(
            period_start(at, quarter).to_rfc3339(),
            "2026-12-02T15:30:00+00:00"
        );
    }
}
