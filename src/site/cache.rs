//! Thread pages rendered for visitors, kept by their ETag: the ETag changes with everything the
//! page shows of the thread (a reply, an edit, a moderation, a solution: `thread_activity`),
//! so a kept page is never served for a newer state of its thread. Members' names and
//! pictures and replies' scores change without a new ETag: a page is kept 5 minutes at most.
//! Per process, bounded by `web.page_cache_mb`.

use std::time::Duration;

use bytes::Bytes;

/// How long a rendered page is kept at most.
pub const KEPT_FOR: Duration = Duration::from_secs(300);

pub struct PageCache {
    pages: Option<moka::sync::Cache<String, Bytes>>,
}

impl PageCache {
    pub fn new(megabytes: u64) -> Self {
        let pages = (megabytes > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(megabytes * 1024 * 1024)
                .weigher(|key: &String, page: &Bytes| {
                    u32::try_from(key.len() + page.len()).unwrap_or(u32::MAX)
                })
                .time_to_live(KEPT_FOR)
                .build()
        });
        PageCache { pages }
    }

    pub fn get(&self, etag: &str) -> Option<Bytes> {
        self.pages.as_ref()?.get(etag)
    }

    pub fn keep(&self, etag: String, page: Bytes) {
        if let Some(pages) = &self.pages {
            pages.insert(etag, page);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_kept_by_etag_unless_the_cache_is_off() {
        let cache = PageCache::new(1);
        cache.keep("t1.1.a".into(), Bytes::from_static(b"<html>"));
        assert_eq!(cache.get("t1.1.a").as_deref(), Some(&b"<html>"[..]));
        assert_eq!(cache.get("t1.1.b"), None);
        let off = PageCache::new(0);
        off.keep("t1.1.a".into(), Bytes::from_static(b"<html>"));
        assert_eq!(off.get("t1.1.a"), None);
    }
}
