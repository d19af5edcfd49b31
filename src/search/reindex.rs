//! `devforum reindex`: rebuilds the whole index from PostgreSQL while search keeps answering.
//!
//! - PostgreSQL: every document goes into a stand-in table with no index (one thread reads
//!   the source rows while another writes), then the indexes and the lexicon are built in one
//!   pass each and the stand-in is swapped in; readers use the live table until then, never a
//!   half-built index.
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
use super::engine::SearchEngine;
use super::meili::Meilisearch;
use super::{postgres, sync};
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;
use crate::progress::Progress;

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
        SearchEngine::Postgres(_) => rebuild_postgres(pool, progress).await?,
        SearchEngine::Meilisearch(meili) => rebuild_meilisearch(meili, pool, progress).await?,
    };
    Ok(ReindexReport {
        engine: engine.name(),
        documents,
        elapsed: started.elapsed(),
    })
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

/// Progress reports cross from the rebuild's threads to the caller's reporter.
type ProgressUpdate = (String, usize, usize);

async fn rebuild_postgres(
    pool: &DbPool,
    progress: &mut (dyn Progress + Send),
) -> anyhow::Result<u64> {
    let (updates, reports) = std::sync::mpsc::channel::<ProgressUpdate>();
    let work = db::blocking(pool, move |pool| rebuild_postgres_blocking(pool, updates));
    tokio::pin!(work);
    let relay = |progress: &mut (dyn Progress + Send)| {
        while let Ok((stage, done, total)) = reports.try_recv() {
            progress.update(&stage, done, total);
        }
    };
    loop {
        tokio::select! {
            finished = &mut work => {
                relay(progress);
                return finished;
            }
            _ = tokio::time::sleep(Duration::from_millis(100)) => relay(progress),
        }
    }
}

/// The writers' lock is held from the start to the swap, so no change is made meanwhile that
/// the rebuilt index would lack; index updates wait and then apply to the new table.
fn rebuild_postgres_blocking(
    pool: &DbPool,
    updates: std::sync::mpsc::Sender<ProgressUpdate>,
) -> anyhow::Result<u64> {
    let mut coordinator = pool.get().context("connecting to the database")?;
    sync::lock_writers_for_session(&mut coordinator)?;
    let outcome = (|| -> anyhow::Result<u64> {
        postgres::rebuild::start(&mut coordinator)?;
        let written = fill_stand_in(pool, &updates)?;
        let _ = updates.send(("indexes".into(), 0, 1));
        postgres::rebuild::finish(&mut coordinator)?;
        let _ = updates.send(("indexes".into(), 1, 1));
        Ok(written)
    })();
    if outcome.is_err() {
        let _ = postgres::rebuild::abandon(&mut coordinator);
    }
    sync::unlock_writers_for_session(&mut coordinator)?;
    let written = outcome?;
    // A rebuild writes every row afresh: fresh statistics and a visibility map for the planner.
    diesel::sql_query("VACUUM (ANALYZE) search_documents, search_lexemes")
        .execute(&mut coordinator)?;
    Ok(written)
}

/// Reads every visible document on one connection while writers, one per core, write them
/// into the stand-in: computing the tsvectors is the bulk of the work, and each writer's
/// backend does it on a core of its own.
fn fill_stand_in(
    pool: &DbPool,
    updates: &std::sync::mpsc::Sender<ProgressUpdate>,
) -> anyhow::Result<u64> {
    type Page = Vec<document::Document>;
    let totals = {
        let mut conn = pool.get().context("connecting to the database")?;
        totals(&mut conn)?
    };
    let grand_total: usize = totals.iter().map(|(_, n)| n).sum();
    let (pages, received) = std::sync::mpsc::sync_channel::<Page>(4);
    // Shared by the writers only: when the last one ends (done, or failed), the receiver is
    // dropped and the reader stops.
    let received = std::sync::Arc::new(std::sync::Mutex::new(received));
    let writers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> anyhow::Result<()> {
            let mut conn = pool.get().context("connecting to the database")?;
            for (kind, _) in &totals {
                let mut after = 0;
                loop {
                    let page = document::load_page(&mut conn, *kind, after, PAGE)?;
                    let Some(last) = page.last() else { break };
                    after = last.source_id;
                    if pages.send(page).is_err() {
                        break; // the writer failed; it reports why
                    }
                }
            }
            Ok(())
        });
        let write = |received: std::sync::Arc<
            std::sync::Mutex<std::sync::mpsc::Receiver<Page>>,
        >|
         -> anyhow::Result<u64> {
            let mut conn = pool.get().context("connecting to the database")?;
            let mut written = 0u64;
            loop {
                // The lock is held only to take the next page, not while writing it.
                let next = received
                    .lock()
                    .map_err(|_| anyhow::anyhow!("a writer thread panicked"))?
                    .recv();
                let Ok(page) = next else {
                    return Ok(written);
                };
                postgres::rebuild::write(&mut conn, &page)?;
                written += page.len() as u64;
                let count =
                    done.fetch_add(page.len(), std::sync::atomic::Ordering::Relaxed) + page.len();
                let _ = updates.send(("documents".into(), count, grand_total.max(count)));
            }
        };
        let handles: Vec<_> = (0..writers)
            .map(|_| {
                let received = received.clone();
                scope.spawn(move || write(received))
            })
            .collect();
        drop(received);
        let mut written = 0u64;
        let mut failure = None;
        for handle in handles {
            match handle.join() {
                Ok(Ok(n)) => written += n,
                Ok(Err(error)) => failure = failure.or(Some(error)),
                Err(_) => failure = failure.or(Some(anyhow::anyhow!("a writer thread panicked"))),
            }
        }
        reader
            .join()
            .map_err(|_| anyhow::anyhow!("the reader thread panicked"))??;
        match failure {
            Some(error) => Err(error),
            None => Ok(written),
        }
    })
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

    let totals = db::read(pool, Cost::Large, |conn| Ok(totals(conn)?)).await?;
    let runtime = tokio::runtime::Handle::current();
    let mut tasks = Vec::new();
    let mut written = 0u64;
    for (kind, total) in totals {
        let mut after = 0;
        let mut done = 0;
        progress.update(kind.as_str(), 0, total);
        loop {
            let (writer, target, runtime) = (meili.clone(), rebuild.clone(), runtime.clone());
            let step = db::write(pool, move |conn| {
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
    db::write(pool, move |conn| {
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
    db::write(pool, move |conn| {
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
