//! `GET /search`.

use actix_web::get;
use actix_web::{web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain::{SearchParams, SearchQuery};
use super::views::SearchResults;
use super::SearchEngine;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::reads::ReadPool;
use crate::slow_reads::SlowReads;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(search);
}

/// Threads, replies, meetups and mentors matching the words, best first, with facet counts
/// by kind and tag. Hidden and deleted content never appears.
#[utoipa::path(
    tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "Matches, best first", body = SearchResults),
        (status = 400, description = "A parameter is not of the expected type"),
        (status = 422, description = "A parameter is out of range; every bad one is named"),
        (status = 503, description = "The search engine is not answering \
                                      (`search_unavailable`), searches already hold their share \
                                      of the database (`busy`), or this one ran past its time \
                                      (`query_timeout`); `Retry-After` says when to try again"),
    )
)]
#[get("/search")]
pub async fn search(
    params: web::Query<SearchParams>,
    engine: web::Data<SearchEngine>,
    pool: ReadPool,
    metrics: web::Data<Metrics>,
    slow_reads: web::Data<SlowReads>,
) -> Result<HttpResponse, ApiError> {
    let query = SearchQuery::parse(params.into_inner())?;
    let started = std::time::Instant::now();
    let results = engine.search(&pool, &slow_reads, query).await;
    metrics.observe_search(engine.name(), results.is_ok(), started.elapsed());
    Ok(HttpResponse::Ok().json(results?))
}
