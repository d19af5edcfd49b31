//! The background worker: claims due jobs, runs their handlers, records the outcome.
//!
//! A probe thread holds one connection and asks, every [`PROBE_INTERVAL`], whether a job of
//! the worker's kinds is due (one indexed `EXISTS`); if so it wakes the lanes. So a committed
//! job, or a retry falling due, is picked up within tens of milliseconds by any worker process,
//! and no enqueueing transaction pays for a `NOTIFY` (whose lock makes commits that notify
//! happen one at a time). The poll interval covers the time the probe is reconnecting.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use futures_util::future::join_all;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::queue::{self, Job};
use super::registry::{BatchHandler, BatchKind, JobContext, JobRegistry};
use super::schedule;
use crate::config::{DatabaseSettings, WorkerSettings};
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;

/// The longest pause between checks while the database is down.
const MAX_OUTAGE_PAUSE: Duration = Duration::from_secs(5);

/// How often the probe asks whether a job is due: the pick-up latency's bound, at the cost
/// of one index probe per interval per worker process (40 a second; 0.02 ms each in
/// `pg_stat_statements` during `bench/notification_streams.py`).
pub const PROBE_INTERVAL: Duration = Duration::from_millis(25);

pub struct Worker {
    pool: DbPool,
    registry: JobRegistry,
    settings: WorkerSettings,
    id: String,
}

/// Jobs of some kinds, claimed and run together, woken by their own notification.
struct Lane {
    kinds: Vec<String>,
    limit: usize,
    /// The handler of a batch kind; `None` runs each job on its own.
    batch: Option<BatchHandler>,
    wakeup: Arc<Notify>,
}

/// Wakes a worker's lanes at once: for a request that has just committed jobs in the worker's
/// own process, so they need not wait for the next probe (up to [`PROBE_INTERVAL`]). The
/// default wakes nothing, for a process without a worker: the probe of a process that has one
/// finds the jobs.
#[derive(Clone, Default)]
pub struct Waker {
    lanes: Arc<[Arc<Notify>]>,
}

impl Waker {
    pub fn wake(&self) {
        self.lanes.iter().for_each(|lane| lane.notify_one());
    }
}

/// A running worker; `shutdown` lets the jobs in hand finish, then stops.
pub struct WorkerHandle {
    waker: Waker,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
    probe: Option<std::thread::JoinHandle<()>>,
}

impl WorkerHandle {
    /// Wakes this worker's lanes (see [`Waker`]).
    pub fn waker(&self) -> Waker {
        self.waker.clone()
    }

    pub fn cancellation_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    pub async fn shutdown(self) {
        self.shutdown.cancel();
        self.wait().await;
    }

    /// Waits for the worker to stop (after its token was cancelled elsewhere).
    pub async fn wait(self) {
        if let Err(error) = self.task.await {
            tracing::error!(%error, "worker task ended abnormally");
        }
        if let Some(probe) = self.probe {
            let _ = tokio::task::spawn_blocking(move || probe.join()).await;
        }
    }
}

impl Worker {
    pub fn new(pool: DbPool, registry: JobRegistry, settings: WorkerSettings) -> Self {
        let id = format!(
            "{}:{}:{}",
            hostname(),
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Worker {
            pool,
            registry,
            settings,
            id,
        }
    }

    /// Starts the worker loop and its probe thread.
    pub fn start(self, database: &DatabaseSettings, shutdown: CancellationToken) -> WorkerHandle {
        let lanes = self.lanes();
        let waker = Waker {
            lanes: lanes.iter().map(|lane| lane.wakeup.clone()).collect(),
        };
        let kinds = self.registry.kinds();
        let probe = spawn_probe(database.clone(), kinds, waker.clone(), shutdown.clone());
        let token = shutdown.clone();
        let task = tokio::spawn(async move { self.run(lanes, token).await });
        WorkerHandle {
            waker,
            shutdown,
            task,
            probe: Some(probe),
        }
    }

    /// The worker's lanes: one for the single jobs (up to `concurrency` at once), one per kind
    /// registered with a lane of its own (webhook deliveries), and one per batch kind, so a
    /// slow mail server never delays the search index, nor a slow receiver anything else.
    fn lanes(&self) -> Vec<Lane> {
        let mut lanes = Vec::new();
        let single_kinds = self.registry.single_kinds();
        if !single_kinds.is_empty() {
            lanes.push(Lane {
                kinds: single_kinds,
                limit: self.settings.concurrency,
                batch: None,
                wakeup: Arc::new(Notify::new()),
            });
        }
        for (kind, slots) in self.registry.own_lanes() {
            lanes.push(Lane {
                kinds: vec![kind],
                limit: slots,
                batch: None,
                wakeup: Arc::new(Notify::new()),
            });
        }
        let mut batch_kinds: Vec<(&String, &BatchKind)> =
            self.registry.batch_handlers.iter().collect();
        batch_kinds.sort_by(|a, b| a.0.cmp(b.0));
        for (kind, batch) in batch_kinds {
            lanes.push(Lane {
                kinds: vec![kind.clone()],
                limit: batch.max_batch,
                batch: Some(batch.handler.clone()),
                wakeup: Arc::new(Notify::new()),
            });
        }
        lanes
    }

    async fn run(self, lanes: Vec<Lane>, shutdown: CancellationToken) {
        tracing::info!(worker = %self.id, kinds = ?self.registry.kinds(), "worker started");
        futures_util::future::join3(
            self.reap_abandoned_until(&shutdown),
            self.schedule_until(&shutdown),
            join_all(lanes.iter().map(|lane| self.run_lane(lane, &shutdown))),
        )
        .await;
        tracing::info!(worker = %self.id, "worker stopped");
    }

    /// Every third of a lease (at most every 30 s): renews the leases of the jobs this worker
    /// is running, so a job that runs longer than its lease is never taken for abandoned and
    /// run twice, then puts back the jobs of workers that vanished.
    async fn reap_abandoned_until(&self, shutdown: &CancellationToken) {
        let every = (Duration::from_secs(self.settings.lease_secs) / 3)
            .clamp(Duration::from_millis(100), Duration::from_secs(30));
        let mut interval = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = interval.tick() => {
                    self.renew_leases().await;
                    self.requeue_abandoned().await;
                }
            }
        }
    }

    /// Every `schedule_tick_ms`: enqueues the job of each periodic task whose period has none
    /// (any number of workers may do this at once; each period gets one job).
    async fn schedule_until(&self, shutdown: &CancellationToken) {
        let tasks = self.registry.periodic().to_vec();
        if tasks.is_empty() {
            return;
        }
        let every = Duration::from_millis(self.settings.schedule_tick_ms.max(10));
        let mut interval = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = interval.tick() => {
                    let tasks = tasks.clone();
                    let enqueued = db::write(&self.pool, move |conn| {
                        Ok(schedule::enqueue_due(conn, &tasks, chrono::Utc::now())?)
                    })
                    .await;
                    match enqueued {
                        Ok(kinds) if !kinds.is_empty() => tracing::debug!(?kinds, "periodic tasks enqueued"),
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, "could not schedule the periodic tasks"),
                    }
                }
            }
        }
    }

    async fn renew_leases(&self) {
        let id = self.id.clone();
        if let Err(error) =
            db::write(&self.pool, move |conn| Ok(queue::renew_leases(conn, &id)?)).await
        {
            tracing::warn!(%error, "could not renew the leases of running jobs");
        }
    }

    async fn run_lane(&self, lane: &Lane, shutdown: &CancellationToken) {
        match &lane.batch {
            Some(handler) => self.run_batch_lane(lane, handler, shutdown).await,
            None => self.run_single_lane(lane, shutdown).await,
        }
    }

    /// Up to `lane.limit` jobs at once, each slot refilled as soon as its job ends: a long
    /// job (a digest run) takes one slot and never holds up the jobs behind it (a reply's
    /// notifications).
    async fn run_single_lane(&self, lane: &Lane, shutdown: &CancellationToken) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms.max(10));
        let mut running = FuturesUnordered::new();
        loop {
            let free = lane.limit.saturating_sub(running.len());
            if shutdown.is_cancelled() {
                // Jobs in hand always run to the end: that is what makes SIGTERM graceful.
                while running.next().await.is_some() {}
                return;
            }
            if free > 0 {
                match self.claim(&lane.kinds, free).await {
                    Ok(claimed) if !claimed.is_empty() => {
                        running.extend(claimed.into_iter().map(|job| self.execute(job, shutdown)));
                        continue;
                    }
                    Ok(_) => {}
                    Err(error) if error.is_database_outage() => {
                        // The jobs in hand record their own outcome once it is back.
                        if running.is_empty() {
                            self.wait_for_database(shutdown).await;
                            continue;
                        }
                    }
                    Err(error) => tracing::warn!(%error, "could not claim jobs"),
                }
            }
            let sleep_for = if free > 0 {
                self.time_until_next_job(&lane.kinds, poll).await
            } else {
                poll
            };
            tokio::select! {
                _ = shutdown.cancelled() => {}
                Some(()) = running.next(), if !running.is_empty() => {}
                _ = lane.wakeup.notified() => {}
                _ = tokio::time::sleep(sleep_for) => {}
            }
        }
    }

    /// One batch of the lane's kind at a time.
    async fn run_batch_lane(
        &self,
        lane: &Lane,
        handler: &BatchHandler,
        shutdown: &CancellationToken,
    ) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms.max(10));
        while !shutdown.is_cancelled() {
            let claimed = match self.claim(&lane.kinds, lane.limit).await {
                Ok(claimed) => claimed,
                Err(error) if error.is_database_outage() => {
                    self.wait_for_database(shutdown).await;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(%error, "could not claim jobs");
                    Vec::new()
                }
            };
            if !claimed.is_empty() {
                // A batch in hand always runs to the end, even when shutdown was requested.
                self.execute_batch(handler.clone(), claimed, shutdown).await;
                continue;
            }
            let sleep_for = self.time_until_next_job(&lane.kinds, poll).await;
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = lane.wakeup.notified() => {}
                _ = tokio::time::sleep(sleep_for) => {}
            }
        }
    }

    async fn claim(&self, kinds: &[String], limit: usize) -> Result<Vec<Job>, ApiError> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let kinds = kinds.to_vec();
        let id = self.id.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        db::write(&self.pool, move |conn| {
            Ok(queue::claim(conn, &id, &kinds, limit)?)
        })
        .await
    }

    /// While the database is unreachable the worker claims nothing (so no job spends an
    /// attempt on the outage) and checks back with a growing pause; it resumes by itself.
    async fn wait_for_database(&self, shutdown: &CancellationToken) {
        tracing::warn!(worker = %self.id, "database unavailable; worker paused");
        let mut pause = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
            let reachable = db::read(&self.pool, Cost::Large, |conn| {
                diesel::sql_query("SELECT 1").execute(conn)?;
                Ok(())
            })
            .await;
            if reachable.is_ok() {
                tracing::info!(worker = %self.id, "database reachable; worker resumed");
                return;
            }
            pause = (pause * 2).min(MAX_OUTAGE_PAUSE);
        }
    }

    /// Records what became of jobs in hand. The database may be down just then (the outage
    /// may be why a job failed): the record waits for it rather than leaving the jobs to
    /// their lease, so a job is neither run twice nor charged for the outage.
    async fn record_outcome<F>(&self, shutdown: &CancellationToken, record: F)
    where
        F: Fn(&mut PgConnection) -> QueryResult<()> + Clone + Send + 'static,
    {
        loop {
            let attempt = record.clone();
            match db::write(&self.pool, move |conn| Ok(attempt(conn)?)).await {
                Ok(()) => return,
                Err(error) if error.is_database_outage() && !shutdown.is_cancelled() => {
                    self.wait_for_database(shutdown).await;
                }
                Err(error) => {
                    // The lease brings the jobs back if this bookkeeping was lost.
                    tracing::error!(error = ?error, "could not record job outcome");
                    return;
                }
            }
        }
    }

    async fn time_until_next_job(&self, kinds: &[String], poll: Duration) -> Duration {
        let kinds = kinds.to_vec();
        let next = db::read(&self.pool, Cost::Large, move |conn| {
            Ok(queue::next_run_at(conn, &kinds)?)
        })
        .await;
        match next {
            Ok(Some(at)) => (at - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(poll),
            _ => poll,
        }
    }

    async fn requeue_abandoned(&self) {
        let lease = Duration::from_secs(self.settings.lease_secs);
        match db::write(&self.pool, move |conn| {
            Ok(queue::requeue_abandoned(conn, lease)?)
        })
        .await
        {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "requeued jobs abandoned by a vanished worker"),
            Err(error) => tracing::warn!(%error, "could not requeue abandoned jobs"),
        }
    }

    async fn execute(&self, job: Job, shutdown: &CancellationToken) {
        let span = tracing::info_span!("job", job_id = job.id.get(), kind = %job.kind, attempt = job.attempts);
        async {
            let Some(handler) = self.registry.handler(&job.kind) else {
                return;
            };
            let context = JobContext {
                pool: self.pool.clone(),
            };
            let started = std::time::Instant::now();
            // A panicking handler must not take the worker down with it.
            let outcome = tokio::spawn(handler(context, job.clone()).in_current_span()).await;
            let outcome = match outcome {
                Ok(result) => result,
                Err(join_error) => Err(anyhow::anyhow!("job handler panicked: {join_error}")),
            };
            let job_id = job.id;
            match outcome {
                Ok(()) => {
                    tracing::info!(
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "job done"
                    );
                    self.record_outcome(shutdown, move |conn| queue::complete(conn, job_id))
                        .await
                }
                Err(error) if db::is_outage(&error) => {
                    let message = format!("{error:#}");
                    tracing::warn!(error = %message, "job interrupted by a database outage; its attempt is given back");
                    let worker = self.id.clone();
                    self.record_outcome(shutdown, move |conn| {
                        queue::release(conn, job_id, &worker, &message)
                    })
                    .await
                }
                Err(error) => {
                    let message = format!("{error:#}");
                    if job.attempts >= job.max_attempts {
                        tracing::error!(error = %message, "job failed for good");
                    } else {
                        tracing::warn!(error = %message, "job failed; will retry");
                    }
                    let base = Duration::from_millis(self.settings.retry_base_ms);
                    let max = Duration::from_secs(self.settings.max_backoff_secs);
                    self.record_outcome(shutdown, move |conn| {
                        queue::record_failure(conn, &job, &message, base, max)
                    })
                    .await
                }
            }
        }
        .instrument(span)
        .await
    }
}

impl Worker {
    /// Runs one batch: success completes every job but the rejected ones; an error records
    /// a failed attempt (with backoff) for each.
    async fn execute_batch(
        &self,
        handler: BatchHandler,
        jobs: Vec<Job>,
        shutdown: &CancellationToken,
    ) {
        let kind = jobs.first().map(|job| job.kind.clone()).unwrap_or_default();
        let span = tracing::info_span!("job_batch", %kind, jobs = jobs.len());
        async {
            let context = JobContext {
                pool: self.pool.clone(),
            };
            let started = std::time::Instant::now();
            let outcome = tokio::spawn(handler(context, jobs.clone()).in_current_span()).await;
            let outcome = match outcome {
                Ok(result) => result,
                Err(join_error) => Err(anyhow::anyhow!("batch handler panicked: {join_error}")),
            };
            let base = Duration::from_millis(self.settings.retry_base_ms);
            let max = Duration::from_secs(self.settings.max_backoff_secs);
            let jobs = Arc::new(jobs);
            match outcome {
                Ok(rejected) => {
                    tracing::info!(
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        rejected = rejected.len(),
                        "job batch done"
                    );
                    for (job_id, reason) in &rejected {
                        tracing::error!(job_id = job_id.get(), %reason, "job rejected; kept as failed");
                    }
                    let rejected = Arc::new(rejected);
                    self.record_outcome(shutdown, move |conn| {
                        conn.transaction(|conn| {
                            for job in jobs.iter() {
                                match rejected.iter().find(|(id, _)| *id == job.id) {
                                    Some((_, reason)) => queue::mark_failed(conn, job.id, reason)?,
                                    None => queue::complete(conn, job.id)?,
                                }
                            }
                            Ok(())
                        })
                    })
                    .await
                }
                Err(error) if db::is_outage(&error) => {
                    let message = format!("{error:#}");
                    tracing::warn!(error = %message, "job batch interrupted by a database outage; attempts given back");
                    let worker = self.id.clone();
                    self.record_outcome(shutdown, move |conn| {
                        conn.transaction(|conn| {
                            for job in jobs.iter() {
                                queue::release(conn, job.id, &worker, &message)?;
                            }
                            Ok(())
                        })
                    })
                    .await
                }
                Err(error) => {
                    let message = format!("{error:#}");
                    tracing::warn!(error = %message, "job batch failed; its jobs will retry");
                    self.record_outcome(shutdown, move |conn| {
                        conn.transaction(|conn| {
                            for job in jobs.iter() {
                                queue::record_failure(conn, job, &message, base, max)?;
                            }
                            Ok(())
                        })
                    })
                    .await
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// Asks on a connection of its own, every [`PROBE_INTERVAL`], whether a job of `kinds` is
/// due, and wakes the lanes when one is.
pub fn spawn_probe(
    database: DatabaseSettings,
    kinds: Vec<String>,
    waker: Waker,
    shutdown: CancellationToken,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("devforum-job-probe".into())
        .spawn(move || {
            let mut pause = Duration::from_millis(250);
            while !shutdown.is_cancelled() {
                let started = std::time::Instant::now();
                match probe_until_error(&database, &kinds, &waker, &shutdown) {
                    Ok(()) => break,
                    Err(error) => {
                        // Back off while the database stays down; start over after a
                        // connection that lasted.
                        if started.elapsed() > MAX_OUTAGE_PAUSE {
                            pause = Duration::from_millis(250);
                        }
                        if pause <= Duration::from_millis(250) {
                            tracing::warn!(error = %error, "job probe lost its connection; reconnecting");
                        } else {
                            tracing::debug!(error = %error, "job probe still reconnecting");
                        }
                        // The lanes' own poll covers the time until the probe is back.
                        std::thread::sleep(pause);
                        pause = (pause * 2).min(MAX_OUTAGE_PAUSE);
                    }
                }
            }
        })
        .unwrap_or_else(|error| {
            tracing::error!(%error, "could not start the job probe; relying on polling");
            std::thread::spawn(|| {})
        })
}

fn probe_until_error(
    database: &DatabaseSettings,
    kinds: &[String],
    waker: &Waker,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let mut conn = db::connect(database)?;
    while !shutdown.is_cancelled() {
        if queue::any_due(&mut conn, kinds)? {
            waker.wake();
        }
        std::thread::sleep(PROBE_INTERVAL);
    }
    Ok(())
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    #[test]
    fn a_waker_wakes_every_lane_and_the_default_none() {
        let lanes = [Arc::new(Notify::new()), Arc::new(Notify::new())];
        let waker = Waker {
            lanes: lanes.to_vec().into(),
        };
        assert!(
            lanes[0].notified().now_or_never().is_none(),
            "not yet woken"
        );
        waker.wake();
        for lane in &lanes {
            assert!(lane.notified().now_or_never().is_some(), "a lane slept on");
        }
        Waker::default().wake();
    }
}
