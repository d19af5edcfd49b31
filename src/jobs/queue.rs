//! Queries on the `jobs` table; every function takes the caller's connection so enqueueing
//! joins the caller's transaction.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Int4, Text};
use serde_json::Value;

use crate::ids::JobId;
use crate::schema::jobs;

crate::text_enum! {
    /// Where a job is in its life. A job that succeeds is deleted.
    pub enum JobStatus ("job status") {
        Pending => "pending",
        Running => "running",
        /// Out of attempts; kept for an operator to look at or retry.
        Failed => "failed",
    }
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub payload: Value,
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub locked_at: Option<DateTime<Utc>>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = jobs)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: &'a Value,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
}

/// The default number of attempts for jobs enqueued without an explicit limit.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 12;

/// Enqueues a job due now. Call it inside the transaction of the change that causes it.
pub fn enqueue(conn: &mut PgConnection, kind: &str, payload: &Value) -> QueryResult<JobId> {
    enqueue_at(conn, kind, payload, Utc::now(), DEFAULT_MAX_ATTEMPTS)
}

/// A job to enqueue: its kind and payload, due now, with the default attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub kind: &'static str,
    pub payload: Value,
}

/// A job for a row the statement enqueueing it also inserts (a reply): the statement writes
/// the new row's id into `payload` under the key `id_at` (`jsonb_set`), so the row and its
/// jobs go in with one round trip (`threads::model::post_reply`).
#[derive(Debug, Clone, PartialEq)]
pub struct JobForNewRow {
    pub spec: JobSpec,
    pub id_at: &'static str,
}

impl JobForNewRow {
    /// The job as the statement enqueues it for the row `id`.
    pub fn for_row(&self, id: i64) -> JobSpec {
        let mut spec = self.spec.clone();
        spec.payload[self.id_at] = Value::from(id);
        spec
    }
}

/// Jobs for a new row as the arrays a statement unnests: kinds, payloads, the keys that take
/// the row's id.
pub fn new_row_binds(jobs: &[JobForNewRow]) -> (Vec<&'static str>, Vec<Value>, Vec<&'static str>) {
    (
        jobs.iter().map(|job| job.spec.kind).collect(),
        jobs.iter().map(|job| job.spec.payload.clone()).collect(),
        jobs.iter().map(|job| job.id_at).collect(),
    )
}

/// Enqueues several jobs due now in one statement (a write that starts more than one kind of
/// work pays one round trip for all of them).
pub fn enqueue_all(conn: &mut PgConnection, specs: &[JobSpec]) -> QueryResult<()> {
    let now = Utc::now();
    let rows: Vec<NewJob<'_>> = specs
        .iter()
        .map(|spec| NewJob {
            kind: spec.kind,
            payload: &spec.payload,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            run_at: now,
        })
        .collect();
    // A text per number of rows, and callers pass a fixed few (a reply: two).
    crate::sql::prepared(diesel::insert_into(jobs::table).values(&rows)).execute(conn)?;
    Ok(())
}

pub fn enqueue_at(
    conn: &mut PgConnection,
    kind: &str,
    payload: &Value,
    run_at: DateTime<Utc>,
    max_attempts: i32,
) -> QueryResult<JobId> {
    diesel::insert_into(jobs::table)
        .values(NewJob {
            kind,
            payload,
            max_attempts,
            run_at,
        })
        .returning(jobs::id)
        .get_result(conn)
}

/// Claims up to `limit` due jobs of the given kinds for `worker_id`.
///
/// `FOR UPDATE SKIP LOCKED` lets any number of workers claim concurrently without ever
/// handing the same job to two of them.
pub fn claim(
    conn: &mut PgConnection,
    worker_id: &str,
    kinds: &[String],
    limit: i64,
) -> QueryResult<Vec<Job>> {
    diesel::sql_query(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_at = now(), \
                locked_by = $1, updated_at = now() \
         WHERE id IN ( \
             SELECT id FROM jobs \
             WHERE status = 'pending' AND run_at <= now() AND kind = ANY($2) \
             ORDER BY run_at, id \
             LIMIT $3 \
             FOR UPDATE SKIP LOCKED) \
         RETURNING *",
    )
    .bind::<Text, _>(worker_id)
    .bind::<Array<Text>, _>(kinds)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// A finished job leaves the queue.
pub fn complete(conn: &mut PgConnection, job_id: JobId) -> QueryResult<()> {
    diesel::delete(jobs::table.filter(jobs::id.eq(job_id))).execute(conn)?;
    Ok(())
}

/// Marks a job failed for good without further attempts (it can never succeed).
pub fn mark_failed(conn: &mut PgConnection, job_id: JobId, error: &str) -> QueryResult<()> {
    let error: String = error.chars().take(4000).collect();
    diesel::update(jobs::table.filter(jobs::id.eq(job_id)))
        .set((
            jobs::status.eq(JobStatus::Failed),
            jobs::last_error.eq(error),
            jobs::locked_at.eq(None::<DateTime<Utc>>),
            jobs::locked_by.eq(None::<String>),
            jobs::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives a running job back without charging the attempt: it failed because the database
/// was unreachable, which says nothing about the job. Only the worker holding it may.
pub fn release(
    conn: &mut PgConnection,
    job_id: JobId,
    worker_id: &str,
    error: &str,
) -> QueryResult<()> {
    let error: String = error.chars().take(4000).collect();
    diesel::update(
        jobs::table
            .filter(jobs::id.eq(job_id))
            .filter(jobs::status.eq(JobStatus::Running))
            .filter(jobs::locked_by.eq(worker_id)),
    )
    .set((
        jobs::status.eq(JobStatus::Pending),
        jobs::attempts.eq(jobs::attempts - 1),
        jobs::last_error.eq(error),
        jobs::run_at.eq(diesel::dsl::now),
        jobs::locked_at.eq(None::<DateTime<Utc>>),
        jobs::locked_by.eq(None::<String>),
        jobs::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: back to `pending` after the backoff, or `failed` for good once
/// the attempts are spent. Failed jobs stay in the table for an operator to inspect or retry.
pub fn record_failure(
    conn: &mut PgConnection,
    job: &Job,
    error: &str,
    retry_base: Duration,
    max_backoff: Duration,
) -> QueryResult<()> {
    if job.attempts >= job.max_attempts {
        mark_failed(conn, job.id, error)?;
    } else {
        let error: String = error.chars().take(4000).collect();
        let delay = backoff_delay(job.attempts, retry_base, max_backoff);
        let run_at =
            Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
        diesel::update(jobs::table.filter(jobs::id.eq(job.id)))
            .set((
                jobs::status.eq(JobStatus::Pending),
                jobs::last_error.eq(error),
                jobs::run_at.eq(run_at),
                jobs::locked_at.eq(None::<DateTime<Utc>>),
                jobs::locked_by.eq(None::<String>),
                jobs::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The delay before retrying after `attempts` failed attempts: `base · 2^(attempts-1)`,
/// capped at `max`.
pub fn backoff_delay(attempts: i32, base: Duration, max: Duration) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 30) as u32;
    base.saturating_mul(2u32.saturating_pow(exponent)).min(max)
}

/// Renews the lease of every job `worker_id` is running (it is alive and still on them).
pub fn renew_leases(conn: &mut PgConnection, worker_id: &str) -> QueryResult<usize> {
    diesel::update(
        jobs::table
            .filter(jobs::status.eq(JobStatus::Running))
            .filter(jobs::locked_by.eq(worker_id)),
    )
    .set(jobs::locked_at.eq(diesel::dsl::now))
    .execute(conn)
}

/// Puts back jobs whose worker vanished mid-run (crash, kill -9) once their lease expired.
pub fn requeue_abandoned(conn: &mut PgConnection, lease: Duration) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE jobs SET status = 'pending', locked_at = NULL, locked_by = NULL, \
                last_error = coalesce(last_error, 'abandoned by its worker'), updated_at = now() \
         WHERE status = 'running' AND locked_at < now() - make_interval(secs => $1)",
    )
    .bind::<Int4, _>(i32::try_from(lease.as_secs()).unwrap_or(i32::MAX))
    .execute(conn)
}

/// When the next pending job of these kinds becomes due, if any is waiting.
/// Whether a pending job of one of `kinds` is due now: the worker's probe, one index probe on
/// `jobs_pending_run_at_idx`.
pub fn any_due(conn: &mut PgConnection, kinds: &[String]) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        jobs::table
            .filter(jobs::status.eq(JobStatus::Pending))
            .filter(jobs::run_at.le(diesel::dsl::now))
            .filter(jobs::kind.eq_any(kinds)),
    ))
    .get_result(conn)
}

pub fn next_run_at(
    conn: &mut PgConnection,
    kinds: &[String],
) -> QueryResult<Option<DateTime<Utc>>> {
    jobs::table
        .filter(jobs::status.eq(JobStatus::Pending))
        .filter(jobs::kind.eq_any(kinds))
        .select(diesel::dsl::min(jobs::run_at))
        .first(conn)
}

/// Makes every failed job (optionally of one kind) runnable again with fresh attempts.
pub fn retry_failed(conn: &mut PgConnection, kind: Option<&str>) -> QueryResult<usize> {
    let mut query = diesel::update(jobs::table)
        .filter(jobs::status.eq(JobStatus::Failed))
        .into_boxed();
    if let Some(kind) = kind {
        query = query.filter(jobs::kind.eq(kind.to_string()));
    }
    query
        .set((
            jobs::status.eq(JobStatus::Pending),
            jobs::attempts.eq(0),
            jobs::run_at.eq(diesel::dsl::now),
            jobs::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, QueryableByName)]
pub struct QueueDepth {
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = BigInt)]
    pub running: i64,
    #[diesel(sql_type = BigInt)]
    pub failed: i64,
}

pub fn queue_depth(conn: &mut PgConnection) -> QueryResult<QueueDepth> {
    diesel::sql_query(
        "SELECT count(*) FILTER (WHERE status = 'pending') AS pending, \
                count(*) FILTER (WHERE status = 'running') AS running, \
                count(*) FILTER (WHERE status = 'failed') AS failed \
         FROM jobs",
    )
    .get_result(conn)
}

/// Jobs of one kind waiting to run (due now or later, including retries).
pub fn pending_of_kind(conn: &mut PgConnection, kind: &str) -> QueryResult<i64> {
    Ok(diesel::sql_query(
        "SELECT count(*) AS n FROM jobs WHERE status IN ('pending', 'running') AND kind = $1",
    )
    .bind::<diesel::sql_types::Text, _>(kind)
    .get_result::<crate::db::Count>(conn)?
    .n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_base_and_caps() {
        let base = Duration::from_secs(2);
        let max = Duration::from_secs(60);
        assert_eq!(backoff_delay(1, base, max), Duration::from_secs(2));
        assert_eq!(backoff_delay(2, base, max), Duration::from_secs(4));
        assert_eq!(backoff_delay(3, base, max), Duration::from_secs(8));
        assert_eq!(backoff_delay(6, base, max), Duration::from_secs(60));
        assert_eq!(backoff_delay(1000, base, max), Duration::from_secs(60));
        assert_eq!(backoff_delay(0, base, max), Duration::from_secs(2));
    }
}
