//! The bulkhead for reads whose cost grows with the data (a search, the staff queues): they
//! share `database.slow_reads` connections at most, each statement limited to
//! `database.slow_statement_timeout_ms`, so a flood of them can hold neither every pooled
//! connection nor any one for long. Thread pages, replies and posting never wait behind them:
//! they take their connections from the rest of the pool.
//!
//! A slow read waits up to `database.slow_read_wait_ms` for its share; when the share stays
//! taken it answers `503 busy` with `Retry-After`, and a statement past its time is cancelled
//! by PostgreSQL and answers `503 query_timeout` (`error.rs`). Both are counted in
//! `devforum_slow_reads_refused_total{reason}`.

use std::sync::Arc;
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use prometheus::{IntCounterVec, Opts};
use tokio::sync::Semaphore;

use crate::config::DatabaseSettings;
use crate::db::{self, Cost, ReadSource};
use crate::error::ApiError;

/// The problem code of a slow read refused because its share of the pool is taken.
pub const BUSY: &str = "busy";

/// The share of the pool slow reads may hold, and how long each of their statements may run.
#[derive(Clone)]
pub struct SlowReads {
    permits: Arc<Semaphore>,
    wait: Duration,
    statement_timeout_ms: u64,
    refused: IntCounterVec,
}

impl SlowReads {
    pub fn new(settings: &DatabaseSettings) -> prometheus::Result<Self> {
        Ok(SlowReads {
            permits: Arc::new(Semaphore::new(share(
                settings.slow_reads,
                settings.pool_size,
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            ))),
            wait: Duration::from_millis(settings.slow_read_wait_ms),
            statement_timeout_ms: settings.slow_statement_timeout_ms,
            refused: IntCounterVec::new(
                Opts::new(
                    "slow_reads_refused_total",
                    "Slow reads (searches, staff queues) refused: busy (their share of the pool \
                     was taken) or timeout (a statement ran past its limit)",
                )
                .namespace("devforum"),
                &["reason"],
            )?,
        })
    }

    /// Registers the refusal counter with the process's metrics.
    pub fn register(&self, registry: &prometheus::Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.refused.clone()))
    }

    /// Runs `work` as a slow read: within the share, in a transaction whose statements stop
    /// after the time limit.
    pub async fn read<S, T, F>(&self, source: &S, work: F) -> Result<T, ApiError>
    where
        S: ReadSource + ?Sized,
        F: Fn(&mut PgConnection) -> Result<T, ApiError> + Send + Sync + 'static,
        T: Send + 'static,
    {
        let Ok(Ok(permit)) =
            tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await
        else {
            self.refused.with_label_values(&["busy"]).inc();
            return Err(ApiError::unavailable(
                BUSY,
                "Too many searches and lists like this one are running at the moment; please try again \
                 in a moment.",
            ));
        };
        let timeout_ms = self.statement_timeout_ms;
        let work = Arc::new(work);
        let answer = db::read(source, Cost::Large, move |conn| {
            let work = work.clone();
            conn.transaction(|conn| {
                diesel::sql_query(format!("SET LOCAL statement_timeout = {timeout_ms}"))
                    .execute(conn)?;
                work(conn)
            })
        })
        .await;
        drop(permit);
        if matches!(&answer, Err(ApiError::Unavailable { code, .. }) if *code == crate::error::QUERY_TIMEOUT)
        {
            self.refused.with_label_values(&["timeout"]).inc();
        }
        answer
    }
}

/// The connections slow reads may hold: as configured, or by default (`0`) half the cores
/// (a slow read keeps a database core busy: half is left to everything else); never more
/// than half the pool, never none.
pub fn share(configured: u32, pool_size: u32, cores: usize) -> usize {
    let wanted = match configured {
        0 => (cores / 2).max(1),
        n => n as usize,
    };
    let most = (pool_size as usize / 2).max(1);
    wanted.clamp(1, most)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_reads_hold_half_the_cores_by_default_at_most_half_the_pool_and_at_least_one() {
        assert_eq!(share(3, 10, 2), 3);
        assert_eq!(share(8, 10, 2), 5);
        assert_eq!(share(3, 1, 2), 1);
        assert_eq!(share(3, 4, 2), 2);
        // By default, half the cores.
        assert_eq!(share(0, 10, 2), 1);
        assert_eq!(share(0, 10, 1), 1);
        assert_eq!(share(0, 20, 8), 4);
        assert_eq!(share(0, 4, 16), 2);
    }
}
