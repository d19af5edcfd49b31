//! `GET /metrics`: Prometheus text. Request counts and latencies come from the
//! actix-web-prom middleware; pool and job-queue gauges are refreshed on each scrape.

use crate::db::{self, Cost, DbPool};
use crate::metrics::Metrics;
use crate::{jobs, search};
use actix_web::get;
use actix_web::{web, HttpResponse};

/// Prometheus metrics in text exposition format.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(metrics: web::Data<Metrics>, pool: web::Data<DbPool>) -> HttpResponse {
    metrics.observe_pool(&pool);
    // Scrapes still answer while the database is down; the queue gauges then keep their
    // last value and the pool gauges show the trouble.
    let depths = db::read(&pool, Cost::Large, |conn| {
        let depth = jobs::queue_depth(conn)?;
        let search_backlog = jobs::pending_of_kind(conn, search::SEARCH_SYNC_JOB)?;
        Ok((depth, search_backlog))
    })
    .await;
    match depths {
        Ok((depth, search_backlog)) => metrics.observe_jobs(depth, search_backlog),
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
