//! One search box over threads, replies, meetups and mentors, with two engines behind one
//! interface: PostgreSQL full-text search (the default, needs nothing else) and Meilisearch.
//!
//! PostgreSQL stays the source of truth. Changes enqueue `search.sync` jobs in their own
//! transaction (`sync`); the worker hands them to the engine in batches; `devforum reindex`
//! rebuilds everything (`reindex`). Every answer is checked against the source tables before
//! it leaves (`document::visible`), so hidden or deleted content never shows, even while the
//! index is catching up.
//!
//! # Search
//!
//! ```text
//! thread/reply write ──same transaction──► search.sync job {type, id, with_replies}
//!                                                 │ the worker's probe wakes its search lane
//!                                                 ▼
//! batch of ≤500 jobs ── BEGIN; pg_advisory_xact_lock(writers) ──► read the rows' current state
//!         │              (visible → document; hidden/deleted/gone → removal; a thread's title,
//!         │               tags or visibility change → its replies too)
//!         ├── postgres:    upsert/delete search_documents (same transaction) ─► COMMIT
//!         └── meilisearch: hand the writes to Meilisearch (live index + one being rebuilt)
//!                          ─► COMMIT ─► wait for the tasks; a failure retries the whole batch
//! ```
//!
//! - **One interface.** `SearchEngine` (`postgres` or `meilisearch`, from `search.engine`) offers
//!   `search`, `sync`, `is_up`; handlers, the worker and `reindex` never look inside.
//! - **Jobs say what changed, never how.** A batch reads the rows' state when it runs, so
//!   retries, duplicates and out-of-order jobs all converge on the current state. The writers'
//!   advisory lock spans "read rows → hand writes to the engine", so the engine receives states in
//!   the order they were read: an older state can never overwrite a newer one. With Meilisearch
//!   this holds one pooled connection and one transaction while the engine accepts the writes
//!   (not while it processes them), at most `search.meilisearch.timeout_ms`; only sync batches
//!   and the rebuild take that lock, so members never wait on it
//!   (`members_writes_do_not_wait_for_a_sync_stuck_on_a_slow_meilisearch`). Search jobs run in
//!   a worker lane of their own, so a slow SMTP server never delays the index (and vice versa).
//! - **Nothing lost.** A job is deleted only after the engine has the change (PostgreSQL: the same
//!   commit; Meilisearch: its tasks succeeded). Engine down, slow or failing a task → the batch
//!   fails → each job retries with backoff (`worker.*`); when the engine is back the backlog
//!   drains (`devforum_search_sync_backlog`).
//! - **Never shown when hidden.** Removal from the index is the first guard; every answer also
//!   passes `document::visible` (one query on the source tables for the page's ids), so content
//!   hidden or deleted a moment ago, or behind the index's back, never appears.
//! - **Ranking, the same on both engines.** Every word must match (typos forgiven). Title
//!   matches come before tag matches before body matches; among equal matches, better voted
//!   first (votes bucketed by powers of two, `document::votes_bucket`, so a vote re-syncs a
//!   document only when its bucket moves), then newer. Synonyms from `search.synonyms`
//!   (`"k8s kubernetes"`) work both ways. `tests/api/relevance.rs` holds a judged query set over
//!   a small forum with newer, better-voted decoys: both engines must put an expected thread in
//!   the top 3 for 90 % of the queries, and the test prints each engine's MRR.
//! - **PostgreSQL engine.** `search_documents` holds one row per searchable thing with a stored
//!   `tsvector`: title (A, not for replies: a reply is found by its own words), tags (B), body as
//!   plain text (C), with a position gap between parts so a phrase never spans two fields, and
//!   each tag again as a lexeme `#tag` no typed word can produce, so a tag filter is intersected
//!   inside the GIN index. `search_text()` splits dotted and scoped identifiers
//!   (`asyncio.gather`, `std::move`) on both sides, which the default parser would keep whole.
//!   Queries use `websearch_to_tsquery` (quotes, `-word`, `or`); `search_expand()` rewrites the
//!   tsquery with the synonym groups the query touches (groups are picked in Rust: expansion
//!   costs milliseconds, and most queries have none). Work per query is bounded: the newest
//!   1,050 matches (the deepest reachable hit, offset 1,000 + limit 50) are the candidates; one
//!   statement returns them with their rank (`ts_rank_cd`, after the limit) and whether the
//!   title matched (`title_document`); ranking, the total and the facets are computed from them
//!   in Rust, and a second statement reads the page's fields and `ts_headline` snippets. A query
//!   that matches nothing is retried with each unknown word replaced by its nearest indexed word
//!   (`pg_trgm` similarity over `search_lexemes`, the index's vocabulary).
//! - **Meilisearch engine.** One index (`search.meilisearch.index`) holds all four kinds with a
//!   `type` attribute, so one request ranks, filters, paginates and facets across kinds natively,
//!   which multi-search with federation would only approximate (facets and totals merged by hand).
//!   Settings (searchable attributes in rank order, filterable `type`/`tags`/`city`/`starts_at`/
//!   `skills`/`languages`/`thread_id`, sortable dates, ranking rules `words, typo,
//!   attributeRank, proximity, exactness, sort, votes:desc, created_at:desc`, the synonyms,
//!   `maxTotalHits` 1,050, facet values by count, prefix and facet search off) are compared with
//!   the index's at start-up and applied only where they differ: applying settings makes
//!   Meilisearch reindex everything (half a minute for a million documents). Prefix search is
//!   off because its databases cost 1–3 s per index update at that size, which new posts would
//!   wait for. Queries retrieve only what a hit shows (the cropped, highlighted body comes in
//!   `_formatted`). The SDK talks through `meili_http::BytesClient`, which sends bodies as bytes:
//!   the SDK's own client zero-fills an 8 MiB buffer per request. Every call is bounded by
//!   `search.meilisearch.timeout_ms`; a query that fails or times out is `503 search_unavailable`.
//! - **Reindex.** PostgreSQL: under the writers' lock (held for the whole rebuild, so changes
//!   wait and apply to the new index afterwards), every document goes into a stand-in table with
//!   no index, read on one connection and written by one writer per core; then the lexicon
//!   (`ts_stat`) and every index of the live tables (copied from their own definitions) are
//!   built once, and the stand-ins replace the live tables in one short transaction, keeping
//!   every index and constraint name; readers use the old tables until then.
//!   Meilisearch: documents go to a fresh `<index>_rebuild` (recorded in `search_rebuilds`, so
//!   the worker writes every change to both meanwhile), then the two are swapped under the lock
//!   and the old one deleted: search answers from the old index throughout.

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
pub use sync::{
    enqueue, enqueue_thread_and_replies, sync_job, sync_new_reply_job, SyncRequest, SEARCH_SYNC_JOB,
};
pub use views::SearchResults;

use utoipa::OpenApi;

use crate::config::Settings;
use crate::feature::Feature;
use crate::jobs::JobRegistry;

pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, jobs);

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
