//! The periodic sweep (`uploads.sweep`, every `uploads.sweep_every_secs`): uploads nothing
//! uses a day after they arrived go, then stored objects no upload names any more.

use diesel::Connection;

use super::domain::{FileName, Variant};
use super::model;
use super::service;
use super::storage::Storage;
use crate::db::{self, DbPool};

pub const SWEEP_JOB: &str = "uploads.sweep";
/// Orphaned objects looked at per statement.
const PAGE: i64 = 100;

pub struct SweepNeeds {
    pub storage: Storage,
    pub unused_after_hours: u32,
}

#[derive(serde::Deserialize)]
pub struct Sweep {}

/// What one sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub uploads: usize,
    pub objects: usize,
}

impl crate::jobs::Task for Sweep {
    const KIND: &'static str = SWEEP_JOB;
    type Needs = SweepNeeds;

    async fn run(
        self,
        ctx: crate::jobs::JobContext,
        needs: std::sync::Arc<SweepNeeds>,
    ) -> anyhow::Result<()> {
        let swept = sweep(&ctx.pool, needs).await?;
        tracing::info!(?swept, "unused uploads swept");
        Ok(())
    }
}

/// Removes unused uploads, then orphaned objects, each under its row's lock: an upload of
/// the same bytes arriving meanwhile waits for the removal and stores them again.
pub async fn sweep(pool: &DbPool, needs: std::sync::Arc<SweepNeeds>) -> anyhow::Result<Swept> {
    let hours = needs.unused_after_hours;
    let uploads = db::blocking(pool, move |pool| {
        let mut conn = pool.get()?;
        Ok(service::sweep_rows(&mut conn, hours)?)
    })
    .await?;
    let mut objects = 0;
    let mut after = String::new();
    loop {
        let from = after.clone();
        let page = db::blocking(pool, move |pool| {
            let mut conn = pool.get()?;
            Ok(model::orphans(&mut conn, &from, PAGE)?)
        })
        .await?;
        let full = page.len() as i64 == PAGE;
        if let Some(last) = page.last() {
            after = last.clone();
        }
        for sha in page {
            let handle = tokio::runtime::Handle::current();
            let needs = needs.clone();
            let removed = db::blocking(pool, move |pool| {
                let mut conn = pool.get()?;
                conn.transaction(|conn| {
                    if !model::claim_orphan(conn, &sha)? {
                        return Ok(false);
                    }
                    for variant in [Variant::Original, Variant::Small, Variant::Large] {
                        let name = FileName::new(&sha, variant, "bin");
                        handle.block_on(needs.storage.delete(&name))?;
                    }
                    model::forget_object(conn, &sha)?;
                    Ok::<_, anyhow::Error>(true)
                })
            })
            .await?;
            objects += usize::from(removed);
        }
        if !full {
            break;
        }
    }
    Ok(Swept { uploads, objects })
}
