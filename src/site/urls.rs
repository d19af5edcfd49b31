//! The public pages' absolute URLs, from `web.base_url`: the one place that spells them.

use url::form_urlencoded::byte_serialize;

/// The forum as the public sees it: its name and where it lives.
#[derive(Debug, Clone)]
pub struct Site {
    /// Without the trailing `/`.
    base: String,
}

/// What the forum calls itself in titles, feeds and structured data.
pub const NAME: &str = "devforum";

impl Site {
    pub fn new(base_url: &str) -> Self {
        Site {
            base: base_url.trim_end_matches('/').to_string(),
        }
    }

    pub fn name(&self) -> &'static str {
        NAME
    }

    /// A path of this site made absolute (`/files/x.png` → `https://…/files/x.png`); an
    /// absolute URL stays as it is.
    pub fn absolute(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with('/') {
            format!("{}{path_or_url}", self.base)
        } else {
            path_or_url.to_string()
        }
    }

    pub fn home(&self) -> String {
        format!("{}/", self.base)
    }

    pub fn thread(&self, id: i64, slug: &str) -> String {
        format!("{}/t/{id}/{slug}", self.base)
    }

    /// A page of a thread: the thread's URL for the first, `?page=N` after it.
    pub fn thread_page(&self, id: i64, slug: &str, page: i64) -> String {
        match page {
            1 => self.thread(id, slug),
            n => format!("{}?page={n}", self.thread(id, slug)),
        }
    }

    pub fn thread_feed(&self, id: i64) -> String {
        format!("{}/t/{id}.atom", self.base)
    }

    pub fn meetup(&self, id: i64, slug: &str) -> String {
        format!("{}/m/{id}/{slug}", self.base)
    }

    pub fn tag(&self, name: &str) -> String {
        format!("{}/tags/{}", self.base, encode(name))
    }

    pub fn tag_feed(&self, name: &str) -> String {
        format!("{}.atom", self.tag(name))
    }

    pub fn profile(&self, username: &str) -> String {
        format!("{}/u/{}", self.base, encode(username))
    }

    pub fn latest_feed(&self) -> String {
        format!("{}/latest.atom", self.base)
    }

    pub fn sitemap_index(&self) -> String {
        format!("{}/sitemap.xml", self.base)
    }

    /// `/sitemaps/threads-{n}.xml` or `/sitemaps/meetups.xml`.
    pub fn sitemap(&self, file: &str) -> String {
        format!("{}/sitemaps/{file}", self.base)
    }
}

/// A path segment percent-encoded (tags and usernames are plain already; this keeps it so).
fn encode(segment: &str) -> String {
    byte_serialize(segment.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_absolute_and_canonical() {
        let site = Site::new("https://forum.example/");
        assert_eq!(site.home(), "https://forum.example/");
        assert_eq!(site.thread(12, "why"), "https://forum.example/t/12/why");
        assert_eq!(
            site.thread_page(12, "why", 1),
            "https://forum.example/t/12/why"
        );
        assert_eq!(
            site.thread_page(12, "why", 3),
            "https://forum.example/t/12/why?page=3"
        );
        assert_eq!(site.tag("c++"), "https://forum.example/tags/c%2B%2B");
        assert_eq!(
            site.tag_feed("rust"),
            "https://forum.example/tags/rust.atom"
        );
        assert_eq!(
            site.absolute("/files/a.png"),
            "https://forum.example/files/a.png"
        );
        assert_eq!(
            site.absolute("https://cdn.example/a.png"),
            "https://cdn.example/a.png"
        );
    }
}
