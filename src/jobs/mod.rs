//! The durable job queue: features enqueue work in their own transaction; the worker runs it.

mod queue;
mod registry;
pub mod schedule;
mod worker;

pub use queue::{
    backoff_delay, claim, complete, enqueue, enqueue_all, enqueue_at, mark_failed, next_run_at,
    pending_of_kind, queue_depth, record_failure, release, requeue_abandoned, retry_failed, Job,
    JobSpec, JobStatus, NewJob, QueueDepth, DEFAULT_MAX_ATTEMPTS,
};
pub use registry::{BatchOutcome, JobContext, JobHandler, JobRegistry, Task};
pub use worker::{spawn_listener, Worker, WorkerHandle};

/// The NOTIFY channel the `jobs` insert trigger signals.
pub const NOTIFY_CHANNEL: &str = "devforum_jobs";
