//! The built web client served from the API's origin, with the headers browsers need:
//! caching by kind of file, client routes answered by `index.html`, precompressed assets, a
//! strict Content-Security-Policy on pages, and compression and security headers everywhere.

use std::path::PathBuf;

use devforum::startup::BuildOptions;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::Method;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};

/// A stand-in for `web/dist`: an index page, a hashed asset and its precompressed siblings.
pub(crate) fn fake_build() -> PathBuf {
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
    let fetch = |encoding| fetch_encoded(&app, "/assets/app-3f2a.js", encoding);
    let br = fetch("gzip, deflate, br").await;
    assert_eq!(header(&br, CONTENT_ENCODING), "br");
    assert!(header(&br, CONTENT_TYPE).contains("javascript"));
    assert!(header(&br, "vary")
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    assert_eq!(br.bytes().await.expect("body").as_ref(), b"brotli bytes");
    let gzip = fetch("gzip").await;
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

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a whole gzip member");
    out
}

async fn fetch_encoded(app: &TestApp, path: &str, encoding: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header(ACCEPT_ENCODING, encoding)
        .send()
        .await
        .expect("request")
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
    let plain = app.get("/api/v1/threads").await;
    assert_eq!(header(&plain, CONTENT_ENCODING), "");
    let plain: serde_json::Value = plain.json().await.expect("plain JSON");
    // gzip is made on the worker for whole answers, br by `Compress`: both are the same JSON.
    for encoding in ["gzip", "gzip, deflate, br, zstd", "br"] {
        let response = fetch_encoded(&app, "/api/v1/threads", encoding).await;
        assert_eq!(response.status().as_u16(), 200, "{encoding}");
        let coding = if encoding == "br" { "br" } else { "gzip" };
        assert_eq!(header(&response, CONTENT_ENCODING), coding, "{encoding}");
        assert!(
            response.headers().get_all("vary").iter().any(|v| v
                .to_str()
                .unwrap_or_default()
                .eq_ignore_ascii_case("accept-encoding")),
            "{encoding}"
        );
        if coding == "gzip" {
            let body = response.bytes().await.expect("body");
            let decoded: serde_json::Value =
                serde_json::from_slice(&gunzip(&body)).expect("gzipped JSON");
            assert_eq!(decoded, plain, "{encoding}");
        }
    }
    // Problem documents are answers too.
    let missing = fetch_encoded(&app, "/api/v1/threads/999999", "gzip").await;
    assert_eq!(missing.status().as_u16(), 404);
    assert_eq!(header(&missing, CONTENT_ENCODING), "gzip");
    let problem: serde_json::Value =
        serde_json::from_slice(&gunzip(&missing.bytes().await.expect("body"))).expect("JSON");
    assert_eq!(problem["code"], "not_found");
}

#[tokio::test]
async fn an_answer_too_large_to_gzip_on_the_worker_is_gzipped_all_the_same() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let thread: serde_json::Value = app
        .send_as(
            Method::POST,
            "/api/v1/threads",
            &ada.access_token,
            &serde_json::json!({"title": "A long discussion", "body": "It starts here."}),
        )
        .await
        .json()
        .await
        .expect("thread");
    let path = format!("/api/v1/threads/{}/replies?limit=100", thread["id"]);
    for n in 0..8 {
        let body = format!("Reply {n}: ") + &"a long, considered answer ".repeat(1_500);
        let posted = app
            .send_as(
                Method::POST,
                &format!("/api/v1/threads/{}/replies", thread["id"]),
                &ada.access_token,
                &serde_json::json!({"body": body}),
            )
            .await;
        assert_eq!(posted.status().as_u16(), 201);
    }
    let plain = app.get(&path).await.bytes().await.expect("plain");
    assert!(
        plain.len() as u64 > devforum::http::compression::IN_PLACE_LIMIT,
        "the page is {} bytes",
        plain.len()
    );
    let gzipped = fetch_encoded(&app, &path, "gzip").await;
    assert_eq!(gzipped.status().as_u16(), 200);
    assert_eq!(header(&gzipped, CONTENT_ENCODING), "gzip");
    let body = gzipped.bytes().await.expect("body");
    assert!(body.len() < plain.len() / 4);
    let decoded: serde_json::Value = serde_json::from_slice(&gunzip(&body)).expect("JSON");
    let plain: serde_json::Value = serde_json::from_slice(&plain).expect("JSON");
    assert_eq!(decoded, plain);
}

#[tokio::test]
async fn head_is_answered_as_get_is_without_the_body() {
    let (app, dist) = spawn_with_client().await;
    let ada = app.member("ada").await;
    app.send_as(
        Method::POST,
        "/api/v1/threads",
        &ada.access_token,
        &serde_json::json!({"title": "Asked with HEAD", "body": "A body to measure."}),
    )
    .await;
    for (path, status) in [
        ("/api/v1/threads", 200),
        ("/threads/42", 200),
        ("/health", 200),
        ("/api/v1/threads/999999", 404),
    ] {
        let got = app.get(path).await;
        assert_eq!(got.status().as_u16(), status, "GET {path}");
        let length = got.bytes().await.expect("body").len();
        let head = app
            .client
            .head(app.url(path))
            .send()
            .await
            .expect("request");
        assert_eq!(head.status().as_u16(), status, "HEAD {path}");
        assert_eq!(
            header(&head, reqwest::header::CONTENT_LENGTH),
            length.to_string(),
            "HEAD {path} tells the length GET sends"
        );
        assert!(head.bytes().await.expect("no body").is_empty());
    }
    // Only GET routes answer HEAD: a route for POST alone still refuses it.
    let head = app
        .client
        .head(app.url("/api/v1/auth/login"))
        .send()
        .await
        .expect("request");
    assert_eq!(head.status().as_u16(), 405);
    std::fs::remove_dir_all(dist).expect("clean up");
}
