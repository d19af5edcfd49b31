//! The service's Prometheus registry and its own gauges and histograms, shared by the HTTP
//! middleware (request counts and latencies), the features that observe what they do
//! (search durations) and `GET /metrics`, which renders it.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::db::DbPool;
use crate::jobs;

/// The registry shared by the HTTP middleware and the service's own gauges.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
    jobs: IntGaugeVec,
    search_backlog: IntGauge,
    search_duration: HistogramVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let pool_connections = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections by state")
                .namespace("devforum"),
            &["state"],
        )?;
        let pool_max = IntGauge::with_opts(
            Opts::new("db_pool_max_connections", "Configured database pool size")
                .namespace("devforum"),
        )?;
        let jobs = IntGaugeVec::new(
            Opts::new("jobs", "Background jobs in the queue by status").namespace("devforum"),
            &["status"],
        )?;
        let search_backlog = IntGauge::with_opts(
            Opts::new(
                "search_sync_backlog",
                "Search index updates waiting for the engine (pending search.sync jobs)",
            )
            .namespace("devforum"),
        )?;
        let search_duration = HistogramVec::new(
            HistogramOpts::new(
                "search_duration_seconds",
                "Search queries by engine and outcome",
            )
            .namespace("devforum")
            .buckets(vec![
                0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
            ]),
            &["engine", "outcome"],
        )?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(search_backlog.clone()))?;
        registry.register(Box::new(search_duration.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        registry.register(Box::new(jobs.clone()))?;
        Ok(Metrics {
            registry,
            pool_connections,
            pool_max,
            jobs,
            search_backlog,
            search_duration,
        })
    }

    pub fn observe_pool(&self, pool: &DbPool) {
        let state = pool.state();
        let idle = i64::from(state.idle_connections);
        let total = i64::from(state.connections);
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(total - idle);
        self.pool_max.set(i64::from(pool.max_size()));
    }

    /// Records one search query (`ok` false: the engine failed to answer).
    pub fn observe_search(&self, engine: &str, ok: bool, elapsed: Duration) {
        self.search_duration
            .with_label_values(&[engine, if ok { "ok" } else { "error" }])
            .observe(elapsed.as_secs_f64());
    }

    pub fn observe_jobs(&self, depth: jobs::QueueDepth, search_backlog: i64) {
        self.search_backlog.set(search_backlog);
        self.jobs.with_label_values(&["pending"]).set(depth.pending);
        self.jobs.with_label_values(&["running"]).set(depth.running);
        self.jobs.with_label_values(&["failed"]).set(depth.failed);
    }

    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8_lossy(&buffer).into_owned())
    }
}
