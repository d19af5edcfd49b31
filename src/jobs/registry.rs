//! The job registry: which kinds this process runs and how. Typed jobs: a kind of background work is a struct (its payload, through serde) with a kind
//! name and a `run`, registered with one generic call. Features declare theirs in their
//! `FEATURE.jobs`; the registry turns each into the untyped handler the worker runs.
//!
//! ```ignore
//! #[derive(Deserialize)]
//! pub struct Sweep {}
//!
//! impl ConnTask for Sweep {          // work on one connection; `Task` for async work
//!     const KIND: &'static str = "mentorship.sweep";
//!     type Needs = Timers;
//!     fn run(self, conn: &mut PgConnection, timers: &Timers) -> anyhow::Result<()> {
//!         timers.sweep(conn, Utc::now())?;
//!         Ok(())
//!     }
//! }
//!
//! registry.add::<Sweep>(timers);                       // on demand
//! registry.add_periodic::<Sweep>(every, timers);        // also once per `every`
//! ```

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use diesel::PgConnection;
use serde::de::DeserializeOwned;

use super::queue::Job;
use super::schedule::Periodic;
use crate::db::DbPool;
use crate::ids::JobId;
use std::collections::HashMap;
use std::pin::Pin;

/// What a handler gets besides the job: the pool, for reading and writing in its own
/// transactions.
#[derive(Clone)]
pub struct JobContext {
    pub pool: DbPool,
}

pub type JobFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
pub type JobHandler = Arc<dyn Fn(JobContext, Job) -> JobFuture + Send + Sync>;

/// What a batch handler says about its jobs: `Err` retries the whole batch; `Ok` completes
/// every job except the rejected ones, which can never succeed (a malformed payload) and are
/// marked failed at once, kept for an operator.
pub type BatchOutcome = anyhow::Result<Vec<(JobId, String)>>;
pub type BatchFuture = Pin<Box<dyn Future<Output = BatchOutcome> + Send>>;
pub type BatchHandler = Arc<dyn Fn(JobContext, Vec<Job>) -> BatchFuture + Send + Sync>;

#[derive(Clone)]
pub(super) struct BatchKind {
    pub(super) max_batch: usize,
    pub(super) handler: BatchHandler,
}

/// Job kinds this process knows how to run. Jobs of other kinds are left for workers that
/// know them (a rolling deploy may run two versions side by side).
#[derive(Clone, Default)]
pub struct JobRegistry {
    pub(super) handlers: HashMap<String, JobHandler>,
    pub(super) batch_handlers: HashMap<String, BatchKind>,
    /// Single kinds run in a lane of their own, with its number of slots.
    pub(super) own_lanes: HashMap<String, usize>,
    periodic: Vec<Periodic>,
}

impl JobRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register<F, Fut>(&mut self, kind: &str, handler: F) -> &mut Self
    where
        F: Fn(JobContext, Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let handler: JobHandler = Arc::new(move |ctx, job| Box::pin(handler(ctx, job)));
        self.handlers.insert(kind.to_string(), handler);
        self
    }

    /// Registers a kind whose jobs are handled many at once (up to `max_batch`), for sinks
    /// that prefer one large write to many small ones (the search index). A worker runs one
    /// batch of a kind at a time.
    pub fn register_batch<F, Fut>(&mut self, kind: &str, max_batch: usize, handler: F) -> &mut Self
    where
        F: Fn(JobContext, Vec<Job>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = BatchOutcome> + Send + 'static,
    {
        let handler: BatchHandler = Arc::new(move |ctx, jobs| Box::pin(handler(ctx, jobs)));
        self.batch_handlers.insert(
            kind.to_string(),
            BatchKind {
                max_batch: max_batch.max(1),
                handler,
            },
        );
        self
    }

    /// Schedules one job of `kind` (whose handler is registered too) per `every`, through the
    /// queue (`jobs::schedule`). A zero period schedules nothing.
    pub fn schedule(&mut self, kind: &str, every: Duration) -> &mut Self {
        if !every.is_zero() {
            self.periodic.push(Periodic {
                kind: kind.to_string(),
                every,
            });
        }
        self
    }

    /// The periodic tasks this registry schedules.
    pub fn periodic(&self) -> &[Periodic] {
        &self.periodic
    }

    /// Every kind this registry runs, one job or a batch at a time.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self
            .handlers
            .keys()
            .chain(self.batch_handlers.keys())
            .cloned()
            .collect();
        kinds.sort();
        kinds
    }

    /// The single kinds that share the common lane.
    pub(super) fn single_kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self
            .handlers
            .keys()
            .filter(|kind| !self.own_lanes.contains_key(*kind))
            .cloned()
            .collect();
        kinds.sort();
        kinds
    }

    /// The single kinds with a lane of their own, and its slots.
    pub(super) fn own_lanes(&self) -> Vec<(String, usize)> {
        let mut lanes: Vec<(String, usize)> = self
            .own_lanes
            .iter()
            .map(|(kind, slots)| (kind.clone(), *slots))
            .collect();
        lanes.sort();
        lanes
    }

    pub(super) fn handler(&self, kind: &str) -> Option<JobHandler> {
        self.handlers.get(kind).cloned()
    }
}

/// A kind of job. The struct is the payload; `Needs` is what a run uses that is built once
/// per worker from the settings (a mailer, the site's URL, signing keys).
pub trait Task: DeserializeOwned + Send + 'static {
    /// The `jobs.kind` of its rows; never renamed once released (queued rows keep it).
    const KIND: &'static str;
    type Needs: Send + Sync + 'static;

    fn run(
        self,
        ctx: JobContext,
        needs: Arc<Self::Needs>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// A job whose work needs one connection and nothing asynchronous: most of them. Implement
/// this and the type is a [`Task`] that runs on the blocking pool.
pub trait ConnTask: DeserializeOwned + Send + 'static {
    const KIND: &'static str;
    type Needs: Send + Sync + 'static;

    fn run(self, conn: &mut PgConnection, needs: &Self::Needs) -> anyhow::Result<()>;
}

impl<T: ConnTask> Task for T {
    const KIND: &'static str = <T as ConnTask>::KIND;
    type Needs = <T as ConnTask>::Needs;

    async fn run(self, ctx: JobContext, needs: Arc<Self::Needs>) -> anyhow::Result<()> {
        ctx.with_conn(move |conn| ConnTask::run(self, conn, &needs))
            .await
    }
}

impl JobContext {
    /// Runs `work` with one pooled connection on the blocking thread pool: how most jobs do
    /// their part (each use case opens its own transaction).
    pub async fn with_conn<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        F: FnOnce(&mut PgConnection) -> anyhow::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        crate::db::blocking(&self.pool, move |pool| {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
    }
}

impl JobRegistry {
    /// Registers `T`: its jobs are decoded from their payload and run with `needs`.
    pub fn add<T: Task>(&mut self, needs: T::Needs) -> &mut Self {
        let needs = Arc::new(needs);
        self.register(T::KIND, move |ctx, job| {
            let needs = needs.clone();
            async move {
                let task: T = serde_json::from_value(job.payload)?;
                task.run(ctx, needs).await
            }
        })
    }

    /// Registers `T` in a lane of its own with `slots` jobs at once: work that waits on
    /// others (a webhook's receiver) never takes the common lane's slots.
    pub fn add_in_lane<T: Task>(&mut self, needs: T::Needs, slots: usize) -> &mut Self {
        self.own_lanes.insert(T::KIND.to_string(), slots.max(1));
        self.add::<T>(needs)
    }

    /// Registers `T` and schedules one job of it per `every` (a zero period schedules none).
    pub fn add_periodic<T: Task>(&mut self, every: Duration, needs: T::Needs) -> &mut Self {
        self.add::<T>(needs);
        self.schedule(T::KIND, every)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Nothing {}

    impl Task for Nothing {
        const KIND: &'static str = "test.nothing";
        type Needs = ();
        async fn run(self, _ctx: JobContext, _needs: Arc<()>) -> anyhow::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_periodic_task_is_registered_and_scheduled_once() {
        let mut registry = JobRegistry::new();
        registry.add_periodic::<Nothing>(Duration::from_secs(60), ());
        assert_eq!(registry.kinds(), vec!["test.nothing".to_string()]);
        assert_eq!(registry.periodic().len(), 1);
        assert_eq!(registry.periodic()[0].kind, "test.nothing");

        let mut never = JobRegistry::new();
        never.add_periodic::<Nothing>(Duration::ZERO, ());
        assert_eq!(
            never.kinds().len(),
            1,
            "a zero period still runs jobs on demand"
        );
        assert!(never.periodic().is_empty());
    }
}
