//! Graduated trust: each member's level (`new`, `basic`, `member`, `regular`) is computed from
//! their activity, what a `new` account may post, and how much a report weighs by its
//! reporter's level.

pub mod model;
pub mod rules;
pub mod service;

pub use crate::accounts::TrustLevel;

/// The periodic recomputation of every member's level.
pub const RECOMPUTE_JOB: &str = "trust.recompute";

use std::time::Duration;

use crate::config::{Settings, TrustSettings};
use crate::feature::Feature;
use crate::jobs::JobRegistry;

/// Levels are kept current in the background; admins pin them through moderation.
pub const FEATURE: Feature = Feature::background(jobs);

fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    let every = Duration::from_secs(settings.trust.recompute_every_secs);
    registry.add_periodic::<Recompute>(every, settings.trust.clone());
    Ok(())
}

/// One recomputation of every member's level (periodic).
#[derive(serde::Deserialize)]
pub struct Recompute {}

impl crate::jobs::ConnTask for Recompute {
    const KIND: &'static str = RECOMPUTE_JOB;
    type Needs = TrustSettings;

    fn run(self, conn: &mut diesel::PgConnection, trust: &TrustSettings) -> anyhow::Result<()> {
        let changed = service::recompute_all(conn, trust, chrono::Utc::now())?;
        tracing::info!(changed, "trust levels recomputed");
        Ok(())
    }
}
