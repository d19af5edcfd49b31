//! `sitemap.xml` and its files: an index of `/sitemaps/threads-{n}.xml` (the public threads
//! with ids in the n-th block of 50,000, so no file passes the protocol's 50,000 URLs and a
//! thread stays in one file) and `/sitemaps/meetups.xml`.
//!
//! Each file is built by reading its rows in slices of 5,000 (keyset on the id) into the
//! document, never all rows at once, and kept in this process for [`REBUILT_AFTER`]: crawlers
//! ask often and a sitemap a few minutes old is what the protocol expects.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::PgConnection;

use super::model::{self, SitemapRow};
use super::urls::Site;
use crate::error::ApiError;
use crate::markdown::escape;

/// Threads per sitemap file: the protocol's limit of URLs per file.
pub const THREADS_PER_FILE: i64 = 50_000;
/// Rows read per statement while a file is built.
const SLICE: i64 = 5_000;
/// Meetups in their sitemap (the newest).
const MEETUPS: i64 = 50_000;
/// How long a built file is served before it is built again.
pub const REBUILT_AFTER: Duration = Duration::from_secs(600);

/// A built sitemap document, with when its newest URL last changed.
#[derive(Debug)]
pub struct Built {
    pub xml: String,
    pub last_modified: DateTime<Utc>,
    /// A digest of `xml`: its `ETag`.
    pub etag: String,
}

impl Built {
    fn new(xml: String, last_modified: DateTime<Utc>) -> Self {
        let etag = super::respond::digest_of(&xml);
        Built {
            xml,
            last_modified,
            etag,
        }
    }
}

/// Which sitemap document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Sitemap {
    Index,
    /// Threads with ids in `(n - 1) * 50,000 + 1 ..= n * 50,000`, from 1.
    Threads(i64),
    Meetups,
}

impl Sitemap {
    /// The file a `/sitemaps/{file}` path names.
    pub fn named(file: &str) -> Option<Sitemap> {
        if file == "meetups.xml" {
            return Some(Sitemap::Meetups);
        }
        let n = file
            .strip_prefix("threads-")?
            .strip_suffix(".xml")?
            .parse::<i64>()
            .ok()?;
        (1..=i64::MAX / THREADS_PER_FILE)
            .contains(&n)
            .then_some(Sitemap::Threads(n))
    }
}

/// The built documents of this process.
pub struct Sitemaps {
    cache: moka::sync::Cache<Sitemap, Arc<Built>>,
}

impl Default for Sitemaps {
    fn default() -> Self {
        Sitemaps {
            cache: moka::sync::Cache::builder()
                .max_capacity(64)
                .time_to_live(REBUILT_AFTER)
                .build(),
        }
    }
}

impl Sitemaps {
    /// The document, from this process's copy or built now; `None` for a file past the last
    /// thread.
    pub fn get(
        &self,
        conn: &mut PgConnection,
        site: &Site,
        which: &Sitemap,
    ) -> Result<Option<Arc<Built>>, ApiError> {
        if let Some(built) = self.cache.get(which) {
            return Ok(Some(built));
        }
        let Some(built) = build(conn, site, which)? else {
            return Ok(None);
        };
        let built = Arc::new(built);
        self.cache.insert(which.clone(), built.clone());
        Ok(Some(built))
    }
}

/// Builds one document.
pub fn build(
    conn: &mut PgConnection,
    site: &Site,
    which: &Sitemap,
) -> Result<Option<Built>, ApiError> {
    match which {
        Sitemap::Index => index(conn, site).map(Some),
        Sitemap::Threads(n) => threads(conn, site, *n),
        Sitemap::Meetups => {
            let rows = model::public_meetups(conn, MEETUPS)?;
            let mut out = UrlSet::new();
            for row in &rows {
                out.add(
                    &site.meetup(row.id, &crate::slugs::of(&row.title, "meetup")),
                    row.last_activity_at,
                );
            }
            Ok(Some(out.finish()))
        }
    }
}

fn index(conn: &mut PgConnection, site: &Site) -> Result<Built, ApiError> {
    let files = model::last_thread_id(conn)?.map_or(0, |last| {
        (last.get() + THREADS_PER_FILE - 1) / THREADS_PER_FILE
    });
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut newest = DateTime::UNIX_EPOCH;
    let mut entry = |xml: &mut String, loc: String, lastmod: Option<DateTime<Utc>>| {
        xml.push_str("<sitemap><loc>");
        xml.push_str(&escape(&loc));
        xml.push_str("</loc>");
        if let Some(at) = lastmod {
            newest = newest.max(at);
            xml.push_str("<lastmod>");
            xml.push_str(&w3c(at));
            xml.push_str("</lastmod>");
        }
        xml.push_str("</sitemap>\n");
    };
    for n in 1..=files {
        let (first, last) = bounds(n);
        if let Some(at) = model::last_activity_between(conn, first, last)? {
            entry(
                &mut xml,
                site.sitemap(&format!("threads-{n}.xml")),
                Some(at),
            );
        }
    }
    entry(&mut xml, site.sitemap("meetups.xml"), None);
    xml.push_str("</sitemapindex>\n");
    Ok(Built::new(xml, newest))
}

/// The first and last thread id of file `n`.
fn bounds(n: i64) -> (i64, i64) {
    ((n - 1) * THREADS_PER_FILE + 1, n * THREADS_PER_FILE)
}

fn threads(conn: &mut PgConnection, site: &Site, n: i64) -> Result<Option<Built>, ApiError> {
    let (first, last) = bounds(n);
    let beyond = model::last_thread_id(conn)?.is_none_or(|id| id.get() < first);
    if beyond {
        return Ok(None);
    }
    let mut out = UrlSet::new();
    let mut after = first - 1;
    loop {
        let slice: Vec<SitemapRow> = model::public_threads_after(conn, after, last, SLICE)?;
        for row in &slice {
            out.add(
                &site.thread(row.id, &crate::slugs::of(&row.title, "thread")),
                row.last_activity_at,
            );
        }
        match slice.last() {
            Some(row) if slice.len() as i64 == SLICE => after = row.id,
            _ => break,
        }
    }
    Ok(Some(out.finish()))
}

/// A `<urlset>` being written.
struct UrlSet {
    xml: String,
    newest: DateTime<Utc>,
}

impl UrlSet {
    fn new() -> Self {
        UrlSet {
            xml: String::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
            ),
            newest: DateTime::UNIX_EPOCH,
        }
    }

    fn add(&mut self, loc: &str, lastmod: DateTime<Utc>) {
        self.newest = self.newest.max(lastmod);
        self.xml.push_str("<url><loc>");
        self.xml.push_str(&escape(loc));
        self.xml.push_str("</loc><lastmod>");
        self.xml.push_str(&w3c(lastmod));
        self.xml.push_str("</lastmod></url>\n");
    }

    fn finish(mut self) -> Built {
        self.xml.push_str("</urlset>\n");
        Built::new(self.xml, self.newest)
    }
}

/// A W3C datetime, as sitemaps want (`2026-12-07T10:00:00+00:00`).
fn w3c(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_the_ones_the_index_lists() {
        assert_eq!(Sitemap::named("threads-1.xml"), Some(Sitemap::Threads(1)));
        assert_eq!(Sitemap::named("threads-12.xml"), Some(Sitemap::Threads(12)));
        assert_eq!(Sitemap::named("meetups.xml"), Some(Sitemap::Meetups));
        for bad in [
            "threads-0.xml",
            "threads--1.xml",
            "threads-1.txt",
            "threads-x.xml",
            "users.xml",
        ] {
            assert_eq!(Sitemap::named(bad), None, "{bad}");
        }
        assert_eq!(bounds(1), (1, 50_000));
        assert_eq!(bounds(2), (50_001, 100_000));
    }
}
