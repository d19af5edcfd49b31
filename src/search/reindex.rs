//! `devforum reindex`: rebuilds the whole index from PostgreSQL while search keeps answering.
//!
//! - PostgreSQL: one transaction empties `search_documents` and writes every document again;
//!   readers see the old rows until it commits, then the new ones, never a half-built index.
//! - Meilisearch: the documents go into a fresh `<index>_rebuild` index, which is swapped
//!   with the live one when complete. While it is built, `search_rebuilds` names it and the
//!   search worker writes every change to both, so the swap loses nothing made meanwhile.
//!
//! Both take the index writers' lock around each "read rows, hand them to the engine" step.

use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::document::{self, Kind};
use super::meili::Meilisearch;
use super::{postgres, sync, SearchEngine};
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::seed::Progress;

/// Rows read (and documents written) per step.
const PAGE: i64 = 2_000;

#[derive(Debug)]
pub struct ReindexReport {
    pub engine: &'static str,
    pub documents: u64,
    pub elapsed: Duration,
}

/// Rebuilds the index of `engine` from the source tables.
pub async fn reindex(
    engine: &SearchEngine,
    pool: &DbPool,
    progress: &mut (dyn Progress + Send),
) -> anyhow::Result<ReindexReport> {
    let started = Instant::now();
    let documents = match engine {
        SearchEngine::Postgres(_) => {
            let mut conn = pool.get().context("connecting to the database")?;
            rebuild_postgres(&mut conn, progress)?
        }
        SearchEngine::Meilisearch(meili) => rebuild_meilisearch(meili, pool, progress).await?,
    };
    Ok(ReindexReport {
        engine: engine.name(),
        documents,
        elapsed: started.elapsed(),
    })
}

/// The Meilisearch index being rebuilt, if a reindex is under way.
pub fn index_being_rebuilt(conn: &mut PgConnection) -> QueryResult<Option<String>> {
    #[derive(QueryableByName)]
    struct Rebuild {
        #[diesel(sql_type = Text)]
        index_uid: String,
    }
    Ok(
        diesel::sql_query("SELECT index_uid FROM search_rebuilds ORDER BY started_at DESC LIMIT 1")
            .get_result::<Rebuild>(conn)
            .optional()?
            .map(|r| r.index_uid),
    )
}

fn totals(conn: &mut PgConnection) -> QueryResult<Vec<(Kind, usize)>> {
    Kind::ALL
        .iter()
        .map(|&kind| {
            Ok((
                kind,
                usize::try_from(document::count(conn, kind)?).unwrap_or(0),
            ))
        })
        .collect()
}

fn rebuild_postgres(
    conn: &mut PgConnection,
    progress: &mut (dyn Progress + Send),
) -> anyhow::Result<u64> {
    let totals = totals(conn)?;
    let written = conn.transaction(|conn| -> QueryResult<u64> {
        sync::lock_writers(conn)?;
        postgres::clear(conn)?;
        let mut written = 0u64;
        for (kind, total) in &totals {
            let mut after = 0;
            let mut done = 0;
            progress.update(kind.as_str(), 0, *total);
            loop {
                let page = document::load_page(conn, *kind, after, PAGE)?;
                let Some(last) = page.last() else { break };
                after = last.source_id;
                postgres::upsert(conn, &page)?;
                done += page.len();
                written += page.len() as u64;
                progress.update(kind.as_str(), done, (*total).max(done));
            }
        }
        Ok(written)
    })?;
    // A rebuild rewrites every row: give the planner fresh statistics and reclaim the space.
    diesel::sql_query("VACUUM (ANALYZE) search_documents").execute(conn)?;
    diesel::sql_query("VACUUM (ANALYZE) search_lexemes").execute(conn)?;
    Ok(written)
}

async fn rebuild_meilisearch(
    meili: &Meilisearch,
    pool: &DbPool,
    progress: &mut (dyn Progress + Send),
) -> anyhow::Result<u64> {
    let live = meili.index_uid().to_string();
    let rebuild = format!("{live}_rebuild");
    meili.ensure_prepared().await?;
    // An earlier rebuild that did not finish is dropped, then a fresh index is made.
    set_rebuild(pool, None).await?;
    meili.delete_index(&rebuild).await?;
    meili.prepare_index(&rebuild).await?;
    set_rebuild(pool, Some(rebuild.clone())).await?;

    let totals = {
        let mut conn = pool.get().context("connecting to the database")?;
        totals(&mut conn)?
    };
    let runtime = tokio::runtime::Handle::current();
    let mut tasks = Vec::new();
    let mut written = 0u64;
    for (kind, total) in totals {
        let mut after = 0;
        let mut done = 0;
        progress.update(kind.as_str(), 0, total);
        loop {
            let (writer, target, runtime) = (meili.clone(), rebuild.clone(), runtime.clone());
            let step = db::run(pool, move |conn| {
                conn.transaction(|conn| {
                    sync::lock_writers(conn)?;
                    let page = document::load_page(conn, kind, after, PAGE)?;
                    let Some(last) = page.last().map(|d| d.source_id) else {
                        return Ok(None);
                    };
                    let task = runtime
                        .block_on(writer.add_documents(&target, &page))
                        .map_err(ApiError::Internal)?;
                    Ok(Some((last, page.len(), task)))
                })
            })
            .await?;
            let Some((last, count, task)) = step else {
                break;
            };
            after = last;
            done += count;
            written += count as u64;
            tasks.push(task);
            progress.update(kind.as_str(), done, total.max(done));
        }
    }
    progress.update("indexing", 0, tasks.len());
    for (n, task) in tasks.iter().enumerate() {
        meili.wait_uid(*task, Duration::from_secs(600)).await?;
        progress.update("indexing", n + 1, tasks.len());
    }
    // Swap under the lock: changes read before it went to both indexes; changes read after
    // it go to the live one only, and reach the engine after the swap.
    let (swapper, runtime, live_uid, rebuilt) = (
        meili.clone(),
        runtime.clone(),
        live.clone(),
        rebuild.clone(),
    );
    db::run(pool, move |conn| {
        conn.transaction(|conn| {
            sync::lock_writers(conn)?;
            runtime
                .block_on(swapper.swap(&live_uid, &rebuilt))
                .map_err(ApiError::Internal)?;
            diesel::sql_query("DELETE FROM search_rebuilds").execute(conn)?;
            Ok(())
        })
    })
    .await?;
    // What is now called `<index>_rebuild` is the old index.
    meili.delete_index(&rebuild).await?;
    Ok(written)
}

/// Records (or, with `None`, forgets) the index being rebuilt, under the writers' lock.
async fn set_rebuild(pool: &DbPool, index: Option<String>) -> anyhow::Result<()> {
    db::run(pool, move |conn| {
        conn.transaction(|conn| {
            sync::lock_writers(conn)?;
            diesel::sql_query("DELETE FROM search_rebuilds").execute(conn)?;
            if let Some(index) = &index {
                diesel::sql_query("INSERT INTO search_rebuilds (index_uid) VALUES ($1)")
                    .bind::<Text, _>(index)
                    .execute(conn)?;
            }
            Ok(())
        })
    })
    .await?;
    Ok(())
}
