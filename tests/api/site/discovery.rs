//! robots.txt, the sitemap index and its files, and the Atom feeds (parsed by feed-rs).

use feed_rs::model::Feed;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, TestApp};

const BASE: &str = "http://localhost:3000";

impl TestApp {
    async fn feed(&self, path: &str) -> Feed {
        let fetched = self.visit(path).await;
        assert_eq!(fetched.status, 200, "{path}: {}", fetched.text);
        assert_eq!(
            fetched.header("content-type"),
            "application/atom+xml; charset=utf-8"
        );
        assert!(fetched.header("etag").starts_with("W/\""));
        feed_rs::parser::parse(fetched.text.as_bytes()).expect("an Atom feed")
    }
}

fn titles(feed: &Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn robots_names_the_sitemap_and_keeps_crawlers_out_of_member_pages() {
    let app = spawn_app().await;
    let robots = app.visit("/robots.txt").await;
    assert_eq!(robots.status, 200);
    assert_eq!(robots.header("content-type"), "text/plain; charset=utf-8");
    for line in [
        "User-agent: *",
        "Disallow: /api/",
        "Disallow: /settings",
        "Disallow: /mod",
        "Disallow: /admin",
    ] {
        assert!(robots.text.lines().any(|l| l == line), "{line}");
    }
    assert!(robots
        .text
        .contains(&format!("Sitemap: {BASE}/sitemap.xml")));
}

#[tokio::test]
async fn the_sitemap_lists_public_threads_and_meetups_and_is_served_from_cache() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let first = app.create_thread(&ada, "Sitemaps are fun", &[]).await;
    let first_path = app.thread_path(first).await;

    let index = app.visit("/sitemap.xml").await;
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        "application/xml; charset=utf-8"
    );
    assert!(index.text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
    assert!(index.text.contains(&format!(
        "<loc>{BASE}/sitemaps/threads-1.xml</loc><lastmod>"
    )));
    assert!(index
        .text
        .contains(&format!("<loc>{BASE}/sitemaps/meetups.xml</loc>")));

    let threads = app.visit("/sitemaps/threads-1.xml").await;
    assert_eq!(threads.status, 200);
    assert!(
        threads
            .text
            .contains(&format!("<url><loc>{BASE}{first_path}</loc><lastmod>")),
        "{}",
        threads.text
    );
    assert_eq!(threads.text.matches("<url>").count(), 1);
    let etag = threads.header("etag");
    assert_eq!(
        app.visit_with("/sitemaps/threads-1.xml", &[("if-none-match", &etag)])
            .await
            .status,
        304
    );

    // Built once, then served from this process's copy for minutes: a new thread waits for
    // the next build.
    let second = app
        .create_thread(&ada, "Written after the build", &[])
        .await;
    let cached = app.visit("/sitemaps/threads-1.xml").await;
    assert_eq!(cached.header("etag"), etag);
    assert!(!cached.text.contains(&format!("/t/{second}/")));

    for missing in [
        "/sitemaps/threads-2.xml",
        "/sitemaps/threads-0.xml",
        "/sitemaps/users.xml",
    ] {
        assert_eq!(app.visit(missing).await.status, 404, "{missing}");
    }
}

#[tokio::test]
async fn feeds_carry_the_latest_threads_a_tags_threads_and_a_threads_replies() {
    let app = spawn_app().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let rust = app
        .create_thread(&ada, "Borrowing in loops", &["rust"])
        .await;
    let go = app.create_thread(&bob, "Goroutines leak", &["go"]).await;
    let reply = app
        .reply_id(&bob, rust, "Use `iter_mut`, it **works**.")
        .await;
    let rust_path = app.thread_path(rust).await;

    let latest = app.feed("/latest.atom").await;
    assert_eq!(
        latest.title.as_ref().map(|t| t.content.as_str()),
        Some("Latest threads on devforum")
    );
    assert_eq!(titles(&latest), ["Goroutines leak", "Borrowing in loops"]);
    let entry = &latest.entries[1];
    assert_eq!(entry.links[0].href, format!("{BASE}{rust_path}"));
    assert_eq!(entry.authors[0].name.as_deref(), Some("ada"));
    assert_eq!(entry.categories[0].term, "rust");
    assert!(latest
        .links
        .iter()
        .any(|l| l.rel.as_deref() == Some("self") && l.href == format!("{BASE}/latest.atom")));

    let tagged = app.feed("/tags/rust.atom").await;
    assert_eq!(titles(&tagged), ["Borrowing in loops"]);
    assert_eq!(app.visit(&format!("/tags/{go}x.atom")).await.status, 404);

    let thread = app.feed(&format!("/t/{rust}.atom")).await;
    assert_eq!(
        titles(&thread),
        ["Re: Borrowing in loops", "Borrowing in loops"]
    );
    let newest = &thread.entries[0];
    assert_eq!(newest.id, format!("{BASE}{rust_path}#reply-{reply}"));
    let content = newest
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .unwrap_or_default();
    assert!(content.contains("<strong>works</strong>"), "{content}");

    // A hidden reply leaves the thread's feed.
    let moderator = app.staff("moe", "moderator").await;
    let hidden = app
        .call(
            Method::POST,
            &format!("/api/v1/mod/replies/{reply}/hide"),
            Some(&moderator.access_token),
            Some(&json!({})),
        )
        .await;
    assert!(hidden.status().is_success());
    assert_eq!(
        titles(&app.feed(&format!("/t/{rust}.atom")).await),
        ["Borrowing in loops"]
    );
    for missing in ["/t/999999.atom", "/t/abc.atom", "/tags/Bad Tag.atom"] {
        assert_eq!(app.visit(missing).await.status, 404, "{missing}");
    }
}
