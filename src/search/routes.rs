//! `GET /search`.

use actix_web::{web, HttpResponse};

use super::domain::{SearchParams, SearchQuery};
use super::views::SearchResults;
use super::SearchEngine;
use crate::error::{ApiError, Problem};
use crate::operations::Metrics;
use crate::reads::ReadPool;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/search").route(web::get().to(search)));
}

/// Threads, replies, meetups and mentors matching the words, best first, with facet counts
/// by kind and tag. Hidden and deleted content never appears.
#[utoipa::path(
    get, path = "/api/v1/search", tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "Matches, best first", body = SearchResults),
        (status = 400, description = "A parameter is not of the expected type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is out of range; every bad one is named", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The search engine is not answering (`search_unavailable`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn search(
    params: web::Query<SearchParams>,
    engine: web::Data<SearchEngine>,
    pool: ReadPool,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ApiError> {
    let query = SearchQuery::parse(params.into_inner())?;
    let started = std::time::Instant::now();
    let results = engine.search(&pool, query).await;
    metrics.observe_search(engine.name(), results.is_ok(), started.elapsed());
    Ok(HttpResponse::Ok().json(results?))
}
