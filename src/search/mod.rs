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
