//! The built web client served from the API's origin, with the headers browsers need:
//! caching by kind of file, client routes answered by `index.html`, precompressed assets, a
//! strict Content-Security-Policy on pages, and compression and security headers everywhere.

use std::path::PathBuf;

use devforum::startup::BuildOptions;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::Method;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};

/// A stand-in for `web/dist`: an index page, a hashed asset and its precompressed siblings.
fn fake_build() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "devforum-dist-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(dir.join("assets")).expect("dist");
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>devforum</title><script type=module src=/assets/app-3f2a.js></script>",
    )
    .expect("index");
    std::fs::write(dir.join("assets/app-3f2a.js"), "console.log('plain')").expect("asset");
    std::fs::write(dir.join("assets/app-3f2a.js.br"), "brotli bytes").expect("br");
    std::fs::write(dir.join("assets/app-3f2a.js.gz"), "gzip bytes").expect("gz");
    std::fs::write(dir.join("favicon.svg"), "<svg/>").expect("icon");
    dir
}

async fn spawn_with_client() -> (TestApp, PathBuf) {
    let dist = fake_build();
    let for_settings = dist.clone();
    let app = spawn_app_with(
        move |settings| settings.web.dist_dir = for_settings,
        BuildOptions::default(),
    )
    .await;
    (app, dist)
}

fn header(response: &reqwest::Response, name: impl reqwest::header::AsHeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_client_is_served_at_the_root_and_answers_its_own_routes() {
    let (app, dist) = spawn_with_client().await;
    for path in [
        "/",
        "/threads/42",
        "/verify-email?token=abc",
        "/mentorship-requests/7",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status().as_u16(), 200, "{path}");
        assert!(
            header(&page, CONTENT_TYPE).starts_with("text/html"),
            "{path}"
        );
        assert_eq!(header(&page, CACHE_CONTROL), "no-cache", "{path}");
        let policy = header(&page, "content-security-policy");
        assert!(policy.contains("script-src 'self'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(page
            .text()
            .await
            .expect("html")
            .contains("<title>devforum</title>"));
    }

    let asset = app.get("/assets/app-3f2a.js").await;
    assert_eq!(asset.status().as_u16(), 200);
    assert_eq!(
        header(&asset, CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&asset, CONTENT_TYPE).contains("javascript"));
    assert_eq!(asset.text().await.expect("js"), "console.log('plain')");
    assert_eq!(
        header(&app.get("/favicon.svg").await, CACHE_CONTROL),
        "no-cache"
    );

    // The API and its documents stay the server's.
    assert_problem(app.get("/api/v1/nothing-here").await, 404, "not_found").await;
    assert_eq!(app.get("/docs/").await.status().as_u16(), 200);
    let posted = app.call(Method::POST, "/threads/42", None, None).await;
    assert_problem(posted, 404, "not_found").await;
    std::fs::remove_dir_all(dist).expect("clean up");
}

#[tokio::test]
async fn precompressed_assets_are_sent_to_browsers_that_accept_them() {
    let (app, dist) = spawn_with_client().await;
    let fetch = |encoding: &'static str| {
        app.client
            .get(app.url("/assets/app-3f2a.js"))
            .header(ACCEPT_ENCODING, encoding)
            .send()
    };
    let br = fetch("gzip, deflate, br").await.expect("request");
    assert_eq!(header(&br, CONTENT_ENCODING), "br");
    assert!(header(&br, CONTENT_TYPE).contains("javascript"));
    assert!(header(&br, "vary")
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    assert_eq!(br.bytes().await.expect("body").as_ref(), b"brotli bytes");
    let gzip = fetch("gzip").await.expect("request");
    assert_eq!(header(&gzip, CONTENT_ENCODING), "gzip");
    assert_eq!(gzip.bytes().await.expect("body").as_ref(), b"gzip bytes");
    std::fs::remove_dir_all(dist).expect("clean up");
}

#[tokio::test]
async fn without_a_build_the_server_answers_the_api_alone() {
    let app = spawn_app_with(
        |settings| settings.web.dist_dir = "/nonexistent/devforum/dist".into(),
        BuildOptions::default(),
    )
    .await;
    assert_problem(app.get("/").await, 404, "not_found").await;
    assert_problem(app.get("/threads/1").await, 404, "not_found").await;
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for response in [
        app.get("/api/v1/threads").await,
        app.get("/api/v1/nothing-here").await,
        app.get("/health").await,
    ] {
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert_eq!(
            header(&response, "referrer-policy"),
            "strict-origin-when-cross-origin"
        );
    }
}

#[tokio::test]
async fn answers_are_compressed_for_clients_that_ask() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    for n in 0..5 {
        app.send_as(
            Method::POST,
            "/api/v1/threads",
            &ada.access_token,
            &serde_json::json!({"title": format!("Compression thread {n}"), "body": "Body text ".repeat(50)}),
        )
        .await;
    }
    for encoding in ["gzip", "br"] {
        let response = app
            .client
            .get(app.url("/api/v1/threads"))
            .header(ACCEPT_ENCODING, encoding)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(header(&response, CONTENT_ENCODING), encoding);
    }
    let plain = app.get("/api/v1/threads").await;
    assert_eq!(header(&plain, CONTENT_ENCODING), "");
    assert!(plain.json::<serde_json::Value>().await.is_ok());
}
