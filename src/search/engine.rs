//! The engine behind the search box: which one this process uses, searching with the
//! visibility guard, and handing batches of changes to it.

use std::collections::HashSet;
use std::time::Instant;

use anyhow::Context;
use diesel::prelude::*;

use crate::config::{SearchEngineKind, SearchSettings};
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;
use crate::jobs::{self, BatchOutcome, Job};
use crate::reads::ReadPool;
use crate::slow_reads::SlowReads;

use super::document::{self, DocRef};
use super::domain::SearchQuery;
use super::sync::{self, SyncRequest};
use super::views::{Hit, SearchResults};
use super::{meili, postgres};

/// The engine this process searches and indexes with (`search.engine`).
#[derive(Clone)]
pub enum SearchEngine {
    Postgres(postgres::Postgres),
    Meilisearch(meili::Meilisearch),
}

impl SearchEngine {
    pub fn from_settings(settings: &SearchSettings) -> anyhow::Result<Self> {
        Ok(match settings.engine {
            SearchEngineKind::Postgres => {
                SearchEngine::Postgres(postgres::Postgres::new(settings.synonyms.clone()))
            }
            SearchEngineKind::Meilisearch => SearchEngine::Meilisearch(meili::Meilisearch::new(
                &settings.meilisearch,
                settings.synonym_groups(),
            )?),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            SearchEngine::Postgres(_) => SearchEngineKind::Postgres.as_str(),
            SearchEngine::Meilisearch(_) => SearchEngineKind::Meilisearch.as_str(),
        }
    }

    /// Creates the Meilisearch index and applies its settings, waiting for both; a server
    /// that is down now is only logged (queries answer 503 and index writes retry until it
    /// is back, when this is done again).
    pub async fn prepare(&self) {
        if let SearchEngine::Meilisearch(meili) = self {
            match meili.ensure_prepared().await {
                Ok(()) => tracing::info!(index = meili.index_uid(), "Meilisearch index ready"),
                Err(error) => tracing::warn!(
                    error = format!("{error:#}"),
                    "Meilisearch is not ready; search answers 503 until it is"
                ),
            }
        }
    }

    /// Whether the engine can answer queries now (`/ready`): for Meilisearch, the server
    /// answers and the index is prepared (a missing preparation is started).
    pub async fn is_up(&self, pool: &DbPool) -> bool {
        match self {
            SearchEngine::Postgres(_) => db::read(pool, Cost::Large, |conn| {
                diesel::sql_query("SELECT 1 FROM search_documents LIMIT 1").execute(conn)?;
                Ok(())
            })
            .await
            .is_ok(),
            SearchEngine::Meilisearch(meili) => {
                if !meili.is_prepared() {
                    meili.prepare_in_background();
                    return false;
                }
                meili.is_healthy().await
            }
        }
    }

    /// Answers a query: the engine's hits, less anything no longer visible.
    /// On PostgreSQL the query is a slow read (`slow_reads`): within its share of the pool and
    /// its time limit, never in the way of thread pages and posting.
    pub async fn search(
        &self,
        pool: &ReadPool,
        slow_reads: &SlowReads,
        query: SearchQuery,
    ) -> Result<SearchResults, ApiError> {
        let started = Instant::now();
        let (hits, total, facets) = match self {
            SearchEngine::Postgres(engine) => {
                let engine = engine.clone();
                slow_reads
                    .read(&pool, move |conn| {
                        let found = engine.search(conn, &query)?;
                        let refs: Vec<DocRef> = found.hits.iter().map(Hit::doc_ref).collect();
                        let visible = visible_set(conn, &refs)?;
                        Ok((
                            keep_visible(found.hits, &visible),
                            found.total,
                            found.facets,
                        ))
                    })
                    .await?
            }
            SearchEngine::Meilisearch(meili) => {
                let found = meili.search(&query).await.map_err(|error| {
                    if meili::is_index_missing(&error) {
                        meili.forget_preparation();
                    }
                    tracing::warn!(error = format!("{error:#}"), "Meilisearch query failed");
                    ApiError::unavailable(
                        "search_unavailable",
                        "Search is unavailable at the moment; please try again shortly.",
                    )
                })?;
                let refs: Vec<DocRef> = found.hits.iter().map(Hit::doc_ref).collect();
                let visible = db::read(&pool, Cost::Large, move |conn| {
                    Ok(visible_set(conn, &refs)?)
                })
                .await?;
                let hits = keep_visible(found.hits, &visible);
                (hits, found.total, found.facets)
            }
        };
        Ok(SearchResults {
            hits,
            estimated_total: total,
            facets,
            processing_time_ms: started.elapsed().as_millis() as u64,
            engine: self.name().to_string(),
        })
    }

    /// Brings the index in line with the current state of the requested rows. An error
    /// leaves the jobs to be retried; nothing is acknowledged before the engine has it.
    pub async fn sync(&self, pool: &DbPool, requests: Vec<SyncRequest>) -> anyhow::Result<()> {
        match self {
            SearchEngine::Postgres(_) => {
                db::write(pool, move |conn| {
                    conn.transaction(|conn| {
                        sync::lock_writers(conn)?;
                        let changes = sync::plan(conn, &requests)?;
                        postgres::apply(conn, &changes)?;
                        Ok(())
                    })
                })
                .await?;
                Ok(())
            }
            SearchEngine::Meilisearch(meili) => {
                meili.ensure_prepared().await?;
                let writer = meili.clone();
                let runtime = tokio::runtime::Handle::current();
                // Read the rows and hand the writes to the engine under the writers' lock,
                // so the engine's task order is the order of the reads.
                let tasks = db::write(pool, move |conn| {
                    conn.transaction(|conn| {
                        sync::lock_writers(conn)?;
                        let changes = sync::plan(conn, &requests)?;
                        if changes.is_empty() {
                            return Ok(Vec::new());
                        }
                        let rebuilding = sync::index_being_rebuilt(conn)?;
                        runtime
                            .block_on(writer.enqueue(&changes, rebuilding.as_deref()))
                            .map_err(ApiError::Internal)
                    })
                })
                .await
                .context("handing changes to Meilisearch")?;
                meili.wait_all(&tasks).await.inspect_err(|error| {
                    if meili::is_index_missing(error) {
                        meili.forget_preparation();
                    }
                })
            }
        }
    }
}

/// Which of these rows are visible now (neither hidden nor deleted).
fn visible_set(conn: &mut PgConnection, refs: &[DocRef]) -> QueryResult<HashSet<DocRef>> {
    Ok(document::visible(conn, refs)?.into_iter().collect())
}

/// Drops the hits whose rows are hidden or deleted now, keeping the engine's order.
fn keep_visible(hits: Vec<Hit>, visible: &HashSet<DocRef>) -> Vec<Hit> {
    hits.into_iter()
        .filter(|hit| visible.contains(&hit.doc_ref()))
        .collect()
}

/// The worker's handler for a batch of `search.sync` jobs.
pub async fn run_batch(
    engine: SearchEngine,
    context: jobs::JobContext,
    batch: Vec<Job>,
) -> BatchOutcome {
    let (requests, rejected) = sync::requests_of(&batch);
    if !requests.is_empty() {
        engine.sync(&context.pool, requests).await?;
    }
    Ok(rejected)
}
