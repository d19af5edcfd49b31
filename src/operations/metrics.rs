//! `GET /metrics`: Prometheus text. Request counts and latencies come from the
//! actix-web-prom middleware; pool and job-queue gauges are refreshed on each scrape.

use actix_web::{web, HttpResponse};
use prometheus::{Encoder, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

use crate::db::{self, DbPool};
use crate::jobs;

/// The registry shared by the HTTP middleware and the service's own gauges.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
    jobs: IntGaugeVec,
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
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        registry.register(Box::new(jobs.clone()))?;
        Ok(Metrics {
            registry,
            pool_connections,
            pool_max,
            jobs,
        })
    }

    fn observe_pool(&self, pool: &DbPool) {
        let state = pool.state();
        let idle = i64::from(state.idle_connections);
        let total = i64::from(state.connections);
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(total - idle);
        self.pool_max.set(i64::from(pool.max_size()));
    }

    fn observe_jobs(&self, depth: jobs::QueueDepth) {
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

/// Prometheus metrics in text exposition format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"))
)]
pub async fn metrics(metrics: web::Data<Metrics>, pool: web::Data<DbPool>) -> HttpResponse {
    metrics.observe_pool(&pool);
    // Scrapes still answer while the database is down; the queue gauges then keep their
    // last value and the pool gauges show the trouble.
    match db::run(&pool, |conn| Ok(jobs::queue_depth(conn)?)).await {
        Ok(depth) => metrics.observe_jobs(depth),
        Err(error) => tracing::warn!(error = ?error, "could not read the job queue depth"),
    }
    match metrics.render() {
        Ok(body) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(body),
        Err(error) => actix_web::ResponseError::error_response(&crate::error::ApiError::Internal(
            error.into(),
        )),
    }
}
