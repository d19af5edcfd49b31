//! Typed jobs: a kind of background work is a struct (its payload, through serde) with a kind
//! name and a `run`, registered with one generic call. Features declare theirs in their
//! `FEATURE.jobs`; the registry turns each into the untyped handler the worker runs.
//!
//! ```ignore
//! #[derive(Serialize, Deserialize)]
//! pub struct Sweep {}
//!
//! impl Task for Sweep {
//!     const KIND: &'static str = "mentorship.sweep";
//!     type Needs = Timers;
//!     async fn run(self, ctx: JobContext, timers: Arc<Timers>) -> anyhow::Result<()> {
//!         ctx.with_conn(move |conn| { timers.sweep(conn, Utc::now())?; Ok(()) }).await
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

use super::worker::{JobContext, JobRegistry};

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
