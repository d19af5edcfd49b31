//! The durable job queue: features enqueue work in their own transaction; the worker runs it.
//!
//! # Background jobs
//!
//! ```text
//! feature transaction ──INSERT INTO jobs──► jobs table (committed with the feature's change)
//!                                                │
//! probe thread (own connection; every 25 ms: EXISTS a due pending job of my kinds?)
//!         │ wakes
//!         ▼
//! worker loop ── claim: UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) ──► handlers
//!         │            success → row deleted
//!         │            failure → pending again at now + base·2^(attempts-1) (capped), last_error kept
//!         │            attempts exhausted → status 'failed', kept for `devforum jobs retry-failed`
//!         └── every lease/3 (at most 30 s): renew the leases of the jobs this worker runs, then
//!             'running' jobs past their lease (a worker died) go back to 'pending'
//! ```
//!
//! - **Lanes.** Single jobs run in one lane of `worker.concurrency` slots, each refilled as soon
//!   as its job ends, so a long job (a digest run) holds one slot and the jobs behind it (a
//!   reply's notifications) go on; each batch kind (search sync, mail) has a lane of its own.
//!
//! - Enqueueing is a plain insert on the caller's connection, so it commits or rolls back with
//!   the change that caused it: a committed registration always gets its email, a rolled-back one
//!   never does.
//! - `FOR UPDATE SKIP LOCKED` lets any number of workers (in `serve` processes or
//!   `devforum worker`) claim concurrently without ever running one job twice.
//! - The probe makes pick-up latency tens of milliseconds, for new jobs and retries falling
//!   due alike, in every worker process. It replaced a `NOTIFY` from an insert trigger, whose
//!   lock made every enqueueing commit (each reply's) wait for the one before it
//!   (`migrations/2026-12-10-000100_jobs_without_notify`). The poll interval
//!   (`worker.poll_interval_ms`) only covers the time the probe reconnects. A request that has
//!   just committed jobs in a process with a worker (a new thread or reply) wakes it at once
//!   through its [`Waker`] instead of waiting for the probe.
//! - A worker only claims kinds it has handlers for (`startup::job_registry`), so two versions
//!   can run side by side during a deploy.
//! - Kinds registered with `register_batch` (`search.sync`) are claimed up to their batch size at
//!   once and handed to one handler call; each such kind has its own lane (claim loop and
//!   wake-up), beside the lane of single jobs.
//! - On SIGTERM the worker stops claiming, lets the jobs in hand finish, and the process exits.
//! - **Periodic tasks** (`jobs::schedule`, `JobRegistry::register_periodic`): time is cut into
//!   periods of the task's length from the Unix epoch; every `worker.schedule_tick_ms` each
//!   worker tries to insert `(task, period_start)` into `scheduled_runs` and, only if the insert
//!   took (the primary key lets one worker win), enqueues the task's job due at the period's
//!   start, in the same transaction. With two (or eight) workers the period gets one job; after a
//!   restart the row is there and nothing is enqueued again; a period whose job is delayed (the
//!   database was down) is caught up by the next tick. Only each task's latest period is kept.
//!   `devforum jobs stats` lists them. The digest run predates this and still schedules its
//!   next run itself.

mod queue;
mod registry;
pub mod schedule;
mod worker;

pub use queue::{
    backoff_delay, claim, complete, enqueue, enqueue_all, enqueue_at, mark_failed, new_row_binds,
    next_run_at, pending_of_kind, queue_depth, record_failure, release, requeue_abandoned,
    retry_failed, Job, JobForNewRow, JobSpec, JobStatus, NewJob, QueueDepth, DEFAULT_MAX_ATTEMPTS,
};
pub use registry::{BatchOutcome, ConnTask, JobContext, JobHandler, JobRegistry, Task};
pub use worker::{spawn_probe, Waker, Worker, WorkerHandle, PROBE_INTERVAL};
