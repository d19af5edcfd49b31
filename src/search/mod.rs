//! One search box over threads, replies, meetups and mentors, with two engines behind one
//! interface: PostgreSQL full-text search (the default, needs nothing else) and Meilisearch.
//!
//! PostgreSQL stays the source of truth. Changes enqueue `search.sync` jobs in their own
//! transaction (`sync`); the worker hands them to the engine in batches; `devforum reindex`
//! rebuilds everything (`reindex`). Every answer is checked against the source tables before
//! it leaves (`document::visible`), so hidden or deleted content never shows, even while the
//! index is catching up.

pub mod document;
pub mod domain;
pub mod engine;
pub mod meili;
pub mod meili_http;
pub mod postgres;
pub mod reindex;
pub mod routes;
pub mod sync;
pub mod views;

pub use document::{votes_bucket, DocRef, Kind};
pub use domain::{SearchParams, SearchQuery};
pub use engine::SearchEngine;
pub use sync::{enqueue, enqueue_thread_and_replies, sync_job, SyncRequest, SEARCH_SYNC_JOB};
pub use views::SearchResults;

use utoipa::OpenApi;

use crate::config::Settings;
use crate::feature::{Feature, Mount};
use crate::jobs::JobRegistry;

pub const FEATURE: Feature = Feature {
    mount: Mount::Api,
    doc: Doc::openapi,
    routes: routes::configure,
    jobs,
};

#[derive(OpenApi)]
#[openapi(tags((
    name = "search",
    description = "One search over threads, replies, meetups and mentors"
)))]
struct Doc;

/// Index updates go to the engine many at once: one large write beats many small ones.
fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    let engine = SearchEngine::from_settings(&settings.search)?;
    registry.register_batch(SEARCH_SYNC_JOB, sync::MAX_BATCH, move |ctx, jobs| {
        engine::run_batch(engine.clone(), ctx, jobs)
    });
    Ok(())
}
