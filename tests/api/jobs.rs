//! The job queue against a real database: retries, backoff, failure, the probe's quick pick-up,
//! SKIP LOCKED across workers, graceful stop, abandoned jobs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use devforum::ids::JobId;
use devforum::jobs::{self, Job, JobRegistry, JobStatus, Worker};
use devforum::schema::jobs as jobs_table;
use diesel::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::helpers::{test_settings, wait_until, TestDatabase};

struct Harness {
    db: TestDatabase,
    settings: devforum::config::Settings,
    pool: devforum::db::DbPool,
}

fn harness(customise: impl FnOnce(&mut devforum::config::WorkerSettings)) -> Harness {
    let db = TestDatabase::create();
    let mut settings = test_settings(&db.url);
    customise(&mut settings.worker);
    let pool = devforum::db::build_pool(&settings.database).expect("pool");
    Harness { db, settings, pool }
}

impl Harness {
    fn start(&self, registry: JobRegistry) -> devforum::jobs::WorkerHandle {
        Worker::new(self.pool.clone(), registry, self.settings.worker.clone())
            .start(&self.settings.database, CancellationToken::new())
    }

    fn job(&self, id: JobId) -> Option<Job> {
        jobs_table::table
            .find(id)
            .select(Job::as_select())
            .first(&mut self.db.connect())
            .optional()
            .expect("query")
    }
}

#[tokio::test]
async fn a_successful_job_runs_once_and_leaves_the_queue() {
    let h = harness(|_| {});
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut registry = JobRegistry::new();
    let sink = seen.clone();
    registry.register("test.record", move |_ctx, job: Job| {
        let sink = sink.clone();
        async move {
            sink.lock()
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .push(job.payload["n"].as_i64());
            Ok(())
        }
    });
    let id = jobs::enqueue(
        &mut h.db.connect(),
        "test.record",
        &serde_json::json!({"n": 7}),
    )
    .expect("enqueue");
    let worker = h.start(registry);
    assert!(
        wait_until(Duration::from_secs(5), || h.job(id).is_none()).await,
        "job never completed"
    );
    worker.shutdown().await;
    assert_eq!(*seen.lock().expect("lock"), vec![Some(7)]);
}

#[tokio::test]
async fn a_failing_job_retries_with_exponential_backoff_then_is_kept_as_failed() {
    let h = harness(|w| {
        w.retry_base_ms = 200;
        w.max_backoff_secs = 10;
    });
    let attempts_at = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let mut registry = JobRegistry::new();
    let sink = attempts_at.clone();
    registry.register("test.always_fails", move |_ctx, job: Job| {
        let sink = sink.clone();
        async move {
            sink.lock()
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .push(Instant::now());
            anyhow::bail!("smtp refused attempt {}", job.attempts)
        }
    });
    let id = jobs::enqueue_at(
        &mut h.db.connect(),
        "test.always_fails",
        &serde_json::json!({}),
        Utc::now(),
        3,
    )
    .expect("enqueue");
    let worker = h.start(registry);
    let failed = wait_until(Duration::from_secs(10), || {
        h.job(id).is_some_and(|job| job.status == JobStatus::Failed)
    })
    .await;
    worker.shutdown().await;
    assert!(failed, "job did not end failed: {:?}", h.job(id));

    let job = h.job(id).expect("failed jobs are kept");
    assert_eq!(job.attempts, 3);
    assert_eq!(job.last_error.as_deref(), Some("smtp refused attempt 3"));
    assert!(job.locked_by.is_none());

    let times = attempts_at.lock().expect("lock").clone();
    assert_eq!(times.len(), 3, "exactly max_attempts attempts");
    // Delays: ≥ 200 ms after the first failure, ≥ 400 ms after the second.
    let first_gap = times[1] - times[0];
    let second_gap = times[2] - times[1];
    assert!(first_gap >= Duration::from_millis(190), "{first_gap:?}");
    assert!(second_gap >= Duration::from_millis(390), "{second_gap:?}");
    assert!(second_gap > first_gap, "{first_gap:?} then {second_gap:?}");
}

#[tokio::test]
async fn a_job_that_fails_then_succeeds_is_completed() {
    let h = harness(|w| w.retry_base_ms = 20);
    let attempts_seen = Arc::new(Mutex::new(Vec::new()));
    let mut registry = JobRegistry::new();
    let sink = attempts_seen.clone();
    registry.register("test.flaky", move |_ctx, job: Job| {
        let sink = sink.clone();
        async move {
            sink.lock()
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .push(job.attempts);
            if job.attempts < 3 {
                anyhow::bail!("not yet");
            }
            Ok(())
        }
    });
    let id =
        jobs::enqueue(&mut h.db.connect(), "test.flaky", &serde_json::json!({})).expect("enqueue");
    let worker = h.start(registry);
    assert!(
        wait_until(Duration::from_secs(5), || h.job(id).is_none()).await,
        "{:?}",
        h.job(id)
    );
    worker.shutdown().await;
    // Each run is one attempt, counted before it runs: two failures, then the success,
    // and nothing after it.
    assert_eq!(*attempts_seen.lock().expect("lock"), vec![1, 2, 3]);
}

#[tokio::test]
async fn a_committed_job_is_picked_up_through_the_probe_not_the_poll() {
    // With a one-minute poll, only the probe's wake-up can explain a quick pick-up.
    let h = harness(|w| w.poll_interval_ms = 60_000);
    let mut registry = JobRegistry::new();
    registry.register("test.noop", |_ctx, _job| async { Ok(()) });
    let worker = h.start(registry);
    // Let the worker go to sleep on its empty queue and the probe connect.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let enqueued_at = Instant::now();
    let id =
        jobs::enqueue(&mut h.db.connect(), "test.noop", &serde_json::json!({})).expect("enqueue");
    assert!(
        wait_until(Duration::from_secs(5), || h.job(id).is_none()).await,
        "never picked up"
    );
    let latency = enqueued_at.elapsed();
    worker.shutdown().await;
    assert!(latency < Duration::from_secs(5), "took {latency:?}");
}

#[tokio::test]
async fn a_rolled_back_enqueue_never_runs() {
    let h = harness(|_| {});
    let mut conn = h.db.connect();
    let result: Result<(), diesel::result::Error> = conn.transaction(|conn| {
        jobs::enqueue(conn, "test.noop", &serde_json::json!({}))?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(result.is_err());
    let depth = jobs::queue_depth(&mut conn).expect("depth");
    assert_eq!(depth.pending, 0);
}

#[tokio::test]
async fn many_workers_never_run_the_same_job_twice() {
    let h = harness(|w| w.concurrency = 8);
    let seen = Arc::new(Mutex::new(Vec::<JobId>::new()));
    let mut conn = h.db.connect();
    let mut ids = Vec::new();
    for n in 0..120 {
        ids.push(
            jobs::enqueue(&mut conn, "test.count", &serde_json::json!({"n": n})).expect("enqueue"),
        );
    }
    let mut workers = Vec::new();
    for _ in 0..3 {
        let mut registry = JobRegistry::new();
        let sink = seen.clone();
        registry.register("test.count", move |_ctx, job: Job| {
            let sink = sink.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(2)).await;
                sink.lock()
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .push(job.id);
                Ok(())
            }
        });
        workers.push(h.start(registry));
    }
    let done = wait_until(Duration::from_secs(20), || {
        jobs::queue_depth(&mut h.db.connect())
            .map(|d| d.pending + d.running)
            .unwrap_or(1)
            == 0
    })
    .await;
    for worker in workers {
        worker.shutdown().await;
    }
    assert!(done, "queue did not drain");
    let mut seen = seen.lock().expect("lock").clone();
    seen.sort_unstable();
    ids.sort_unstable();
    assert_eq!(seen, ids, "every job exactly once");
}

#[tokio::test]
async fn shutdown_lets_the_job_in_hand_finish() {
    let h = harness(|_| {});
    let finished = Arc::new(Mutex::new(false));
    let started = Arc::new(tokio::sync::Notify::new());
    let mut registry = JobRegistry::new();
    let (flag, signal) = (finished.clone(), started.clone());
    registry.register("test.slow", move |_ctx, _job| {
        let (flag, signal) = (flag.clone(), signal.clone());
        async move {
            signal.notify_one();
            tokio::time::sleep(Duration::from_millis(700)).await;
            *flag.lock().map_err(|e| anyhow::anyhow!("{e}"))? = true;
            Ok(())
        }
    });
    let id =
        jobs::enqueue(&mut h.db.connect(), "test.slow", &serde_json::json!({})).expect("enqueue");
    let worker = h.start(registry);
    tokio::time::timeout(Duration::from_secs(5), started.notified())
        .await
        .expect("job started");
    worker.shutdown().await;
    assert!(*finished.lock().expect("lock"), "the job was cut short");
    assert!(h.job(id).is_none(), "the finished job was recorded as done");
}

#[tokio::test]
async fn a_job_abandoned_by_a_dead_worker_is_run_again_after_its_lease() {
    let h = harness(|w| w.lease_secs = 1);
    let mut conn = h.db.connect();
    let id = jobs::enqueue(&mut conn, "test.noop", &serde_json::json!({})).expect("enqueue");
    // Simulate a worker that claimed the job and died two minutes ago.
    diesel::update(jobs_table::table.find(id))
        .set((
            jobs_table::status.eq(JobStatus::Running),
            jobs_table::attempts.eq(1),
            jobs_table::locked_by.eq("dead-worker"),
            jobs_table::locked_at.eq(Utc::now() - chrono::Duration::minutes(2)),
        ))
        .execute(&mut conn)
        .expect("update");
    let mut registry = JobRegistry::new();
    registry.register("test.noop", |_ctx, _job| async { Ok(()) });
    let worker = h.start(registry);
    assert!(
        wait_until(Duration::from_secs(5), || h.job(id).is_none()).await,
        "{:?}",
        h.job(id)
    );
    worker.shutdown().await;
}

#[tokio::test]
async fn a_long_job_holds_one_slot_and_the_jobs_behind_it_still_run() {
    let h = harness(|w| w.concurrency = 2);
    let (started, release) = (
        Arc::new(tokio::sync::Notify::new()),
        Arc::new(tokio::sync::Notify::new()),
    );
    let mut registry = JobRegistry::new();
    let (signal, wait) = (started.clone(), release.clone());
    registry.register("test.long", move |_ctx, _job| {
        let (signal, wait) = (signal.clone(), wait.clone());
        async move {
            signal.notify_one();
            wait.notified().await;
            Ok(())
        }
    });
    registry.register("test.noop", |_ctx, _job| async { Ok(()) });
    let long =
        jobs::enqueue(&mut h.db.connect(), "test.long", &serde_json::json!({})).expect("enqueue");
    let worker = h.start(registry);
    tokio::time::timeout(Duration::from_secs(5), started.notified())
        .await
        .expect("the long job started");
    // Enqueued while the long job runs: each is run in the free slot, one after the other.
    let quick: Vec<JobId> = (0..3)
        .map(|_| {
            jobs::enqueue(&mut h.db.connect(), "test.noop", &serde_json::json!({}))
                .expect("enqueue")
        })
        .collect();
    assert!(
        wait_until(Duration::from_secs(5), || quick
            .iter()
            .all(|id| h.job(*id).is_none()))
        .await,
        "the quick jobs waited for the long one"
    );
    assert!(h.job(long).is_some(), "the long job is still running");
    release.notify_one();
    assert!(wait_until(Duration::from_secs(5), || h.job(long).is_none()).await);
    worker.shutdown().await;
}

#[tokio::test]
async fn a_job_running_longer_than_its_lease_is_not_taken_for_abandoned() {
    let h = harness(|w| w.lease_secs = 1);
    let runs = Arc::new(Mutex::new(0));
    let mut registry = JobRegistry::new();
    let counter = runs.clone();
    registry.register("test.slow", move |_ctx, _job| {
        let counter = counter.clone();
        async move {
            *counter.lock().map_err(|e| anyhow::anyhow!("{e}"))? += 1;
            tokio::time::sleep(Duration::from_millis(2500)).await;
            Ok(())
        }
    });
    let id =
        jobs::enqueue(&mut h.db.connect(), "test.slow", &serde_json::json!({})).expect("enqueue");
    let worker = h.start(registry);
    assert!(wait_until(Duration::from_secs(10), || h.job(id).is_none()).await);
    worker.shutdown().await;
    assert_eq!(
        *runs.lock().expect("lock"),
        1,
        "the job was run again while it ran"
    );
}

#[tokio::test]
async fn jobs_of_unknown_kinds_are_left_for_workers_that_know_them() {
    let h = harness(|_| {});
    let mut conn = h.db.connect();
    let foreign =
        jobs::enqueue(&mut conn, "test.other_version", &serde_json::json!({})).expect("enqueue");
    let known = jobs::enqueue(&mut conn, "test.noop", &serde_json::json!({})).expect("enqueue");
    let mut registry = JobRegistry::new();
    registry.register("test.noop", |_ctx, _job| async { Ok(()) });
    let worker = h.start(registry);
    assert!(wait_until(Duration::from_secs(5), || h.job(known).is_none()).await);
    worker.shutdown().await;
    let foreign = h.job(foreign).expect("still queued");
    assert_eq!((foreign.status, foreign.attempts), (JobStatus::Pending, 0));
}

#[tokio::test]
async fn failed_jobs_can_be_retried_by_an_operator() {
    let h = harness(|_| {});
    let mut conn = h.db.connect();
    let id = jobs::enqueue(&mut conn, "test.noop", &serde_json::json!({})).expect("enqueue");
    diesel::update(jobs_table::table.find(id))
        .set((
            jobs_table::status.eq(JobStatus::Failed),
            jobs_table::attempts.eq(12),
        ))
        .execute(&mut conn)
        .expect("update");
    assert_eq!(
        jobs::retry_failed(&mut conn, Some("test.noop")).expect("retry"),
        1
    );
    let job = h.job(id).expect("job");
    assert_eq!((job.status, job.attempts), (JobStatus::Pending, 0));
}
