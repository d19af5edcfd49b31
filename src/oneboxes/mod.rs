//! Link previews ("oneboxes"): the card of a link alone on its line. Threads enqueue a job
//! when a post has such links (`threads::previews`); the job asks [`cards`] for each URL,
//! which answers from the cache while it is fresh and otherwise fetches the page through the
//! one outbound client (`outbound`) and caches what it found (the card, or why there is none).
//!
//! A page's card comes from its Open Graph tags, its oEmbed-less fallbacks (`<title>`, the
//! description meta) and, for GitHub's issues, pull requests, repositories and file links with
//! line ranges, from GitHub's API when it answers (state, author, the lines of code); when it
//! does not, the page's own card.

pub mod github;
pub mod model;
pub mod page;

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;

use crate::config::OneboxSettings;
use crate::markdown::Card;
use crate::outbound::Outbound;

/// What the preview job needs.
#[derive(Debug, Clone)]
pub struct Previews {
    pub outbound: Outbound,
    pub settings: OneboxSettings,
}

impl Previews {
    pub fn new(settings: &crate::config::Settings) -> Previews {
        Previews {
            outbound: Outbound::new(settings.outbound.clone(), &settings.onebox.allow_hosts),
            settings: settings.onebox.clone(),
        }
    }

    /// A card for `url`, fetched now (no cache): GitHub's kinds first, else the page's.
    pub async fn fetch(&self, url: &str) -> Result<Card, crate::outbound::Refused> {
        if let Some(target) = github::Target::of(url, &self.settings) {
            return github::card(self, url, &target).await;
        }
        page::card(&self.outbound, url).await
    }
}

/// The URLs among `urls` whose cache entry is missing or older than the refresh period.
pub fn stale(
    conn: &mut PgConnection,
    urls: &[String],
    settings: &OneboxSettings,
) -> QueryResult<Vec<String>> {
    let fresh_after = Utc::now() - chrono::Duration::seconds(settings.refresh_secs as i64);
    let fresh = model::fresh_urls(conn, urls, fresh_after)?;
    Ok(urls
        .iter()
        .filter(|url| !fresh.contains(*url))
        .cloned()
        .collect())
}

/// The cached cards of `urls` (stale ones too: an old card beats none).
pub fn cached(conn: &mut PgConnection, urls: &[String]) -> QueryResult<HashMap<String, Card>> {
    model::cards(conn, urls)
}

/// Fetches each of `urls` and caches what came back; failures are cached too, so a dead link
/// is not fetched again on every edit.
pub async fn refresh(
    previews: &Previews,
    pool: &crate::db::DbPool,
    urls: Vec<String>,
) -> anyhow::Result<()> {
    for url in urls {
        let outcome = previews.fetch(&url).await;
        if let Err(refused) = &outcome {
            tracing::info!(%url, %refused, "no preview card");
        }
        let pool = pool.clone();
        crate::db::blocking(&pool, move |pool| {
            let mut conn = pool.get()?;
            model::store(&mut conn, &url, outcome.as_ref().map_err(|e| e.to_string()))?;
            Ok(())
        })
        .await?;
    }
    Ok(())
}
