//! Preview cards end to end, against a fixture site and a GitHub stand-in served by the test
//! on loopback (allowed by `onebox.allow_hosts`), and a trap: a loopback port no setting
//! allows, which counts every connection. Every refusal must leave the trap untouched.
//!
//! The GitHub stand-in answers what the cards read, as GitHub documents it: the issue, pull
//! request and repository pages' Open Graph tags, and `GET /repos/{owner}/{repo}`,
//! `/repos/{owner}/{repo}/issues/{number}` and `/repos/{owner}/{repo}/contents/{path}?ref=`.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine;
use devforum::config::OutboundSettings;
use devforum::outbound::{Outbound, Refused};
use devforum::startup::BuildOptions;
use serde_json::json;

use crate::helpers::{json, spawn_app_with, TestApp};

/// A loopback port that counts connections and answers nothing.
struct Trap {
    port: u16,
    v6_port: Option<u16>,
    connections: Arc<AtomicUsize>,
}

impl Trap {
    fn start() -> Trap {
        let connections = Arc::new(AtomicUsize::new(0));
        let listen = |listener: std::net::TcpListener, seen: Arc<AtomicUsize>| {
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    seen.fetch_add(1, Ordering::SeqCst);
                    drop(stream);
                }
            });
        };
        let v4 = TcpListener::bind("127.0.0.1:0").expect("bind the trap");
        let port = v4.local_addr().expect("addr").port();
        listen(v4, connections.clone());
        let v6_port = TcpListener::bind("[::1]:0").ok().map(|v6| {
            let port = v6.local_addr().expect("addr").port();
            listen(v6, connections.clone());
            port
        });
        Trap {
            port,
            v6_port,
            connections,
        }
    }

    fn seen(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// The fixture site and the GitHub stand-in: one server, two ports (a site and "GitHub").
struct Fixtures {
    site: u16,
    github: u16,
    trap: u16,
}

async fn page(req: HttpRequest, trap: web::Data<u16>) -> HttpResponse {
    let html = |body: &str| {
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body.to_string())
    };
    match req.path() {
        "/post" => html(
            r#"<!doctype html><html><head><title>Fallback</title>
            <meta property="og:title" content="Async Rust, pinned">
            <meta property="og:description" content="Why Pin exists <script>alert(1)</script>">
            <meta property="og:site_name" content="The Fixture Blog">
            <meta property="og:image" content="http://insecure.example/cover.png">
            </head><body><script>alert(2)</script></body></html>"#,
        ),
        "/redirect-to-trap" => HttpResponse::Found()
            .insert_header(("Location", format!("https://127.0.0.1:{}/", trap.get_ref())))
            .finish(),
        "/redirect-home" => HttpResponse::Found()
            .insert_header(("Location", "/post"))
            .finish(),
        "/loop" => HttpResponse::Found()
            .insert_header(("Location", "/loop"))
            .finish(),
        "/big" => html(&format!(
            "<title>big</title>{}",
            "x".repeat(2 * 1024 * 1024)
        )),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            html("<title>late</title>")
        }
        "/json" => HttpResponse::Ok()
            .content_type("application/json")
            .body("{\"title\": \"not a page\"}"),
        // GitHub-shaped pages, as github.com serves their Open Graph tags.
        "/ferris/crab/issues/7" => html(
            r#"<meta property="og:title" content="Borrow checker rejects a valid loop · Issue #7 · ferris/crab">
               <meta property="og:site_name" content="GitHub">"#,
        ),
        "/ferris/offline/pull/9" => html(
            r#"<meta property="og:title" content="Make it faster · Pull Request #9 · ferris/offline">
               <meta property="og:site_name" content="GitHub">"#,
        ),
        "/ferris/crab/blob/main/src/lib.rs" => {
            html(r#"<meta property="og:title" content="crab/src/lib.rs at main · ferris/crab">"#)
        }
        _ => HttpResponse::NotFound().finish(),
    }
}

async fn api(req: HttpRequest) -> HttpResponse {
    let source = "fn one() {}\nfn two() {}\nfn three() {}\nfn four() {}\n";
    match req.path() {
        "/api/repos/ferris/crab/issues/7" => HttpResponse::Ok().json(json!({
            "title": "Borrow checker rejects a valid loop",
            "state": "open",
            "body": "Steps to reproduce: <b>run</b> it.",
            "user": {"login": "octo-ann"},
        })),
        "/api/repos/ferris/crab/contents/src/lib.rs" if req.query_string() == "ref=main" => {
            HttpResponse::Ok().json(json!({
                "encoding": "base64",
                "content": base64::engine::general_purpose::STANDARD.encode(source),
            }))
        }
        // The API is down for this repository: the page's card stands in.
        _ => HttpResponse::ServiceUnavailable().finish(),
    }
}

impl Fixtures {
    fn start(trap: u16) -> Fixtures {
        let site = TcpListener::bind("127.0.0.1:0").expect("bind the site");
        let github = TcpListener::bind("127.0.0.1:0").expect("bind github");
        let (site_port, github_port) = (
            site.local_addr().expect("addr").port(),
            github.local_addr().expect("addr").port(),
        );
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(trap))
                .route("/api/{tail:.*}", web::get().to(api))
                .default_service(web::get().to(page))
        })
        .listen(site)
        .expect("listen")
        .listen(github)
        .expect("listen")
        .workers(2)
        .disable_signals()
        .run();
        tokio::spawn(server);
        Fixtures {
            site: site_port,
            github: github_port,
            trap,
        }
    }
}

async fn spawn_with_fixtures(trap: &Trap) -> (TestApp, Fixtures) {
    let fixtures = Fixtures::start(trap.port);
    let (site, github) = (fixtures.site, fixtures.github);
    let app = spawn_app_with(
        move |s| {
            s.onebox.allow_hosts = vec![format!("127.0.0.1:{site}"), format!("127.0.0.1:{github}")];
            s.onebox.github_hosts = vec![format!("127.0.0.1:{github}")];
            s.onebox.github_api = format!("http://127.0.0.1:{github}/api");
            s.outbound.timeout_secs = 2;
        },
        BuildOptions::default(),
    )
    .await;
    (app, fixtures)
}

impl TestApp {
    /// Polls a thread until its HTML holds `needle` (the rendering job has run).
    pub(crate) async fn thread_html_with(&self, id: i64, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let thread = json(self.get(&format!("/api/v1/threads/{id}")).await).await;
            let html = thread["body_html"].as_str().unwrap_or_default().to_string();
            if html.contains(needle) {
                return html;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "no {needle:?} in {html}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn a_link_alone_on_its_line_becomes_a_card_after_the_post_is_saved() {
    let trap = Trap::start();
    let (app, fixtures) = spawn_with_fixtures(&trap).await;
    let ada = app.member("ada").await;
    let site = fixtures.site;
    let link = format!("http://127.0.0.1:{site}/post");
    let id = crate::support::a_thread(&app, &ada)
        .titled("Worth reading on Pin")
        .body(&format!(
            "Found this:\n\n{link}\n\nAnd inline {link} stays a link."
        ))
        .create()
        .await;
    // Saved at once, with the link as a link; the card follows.
    let saved = json(app.get(&format!("/api/v1/threads/{id}")).await).await;
    assert!(saved["body_html"]
        .as_str()
        .is_some_and(|h| h.contains(&format!("href=\"{link}\""))));
    let html = app.thread_html_with(id, "<aside class=\"onebox\"").await;
    assert!(html.contains(&format!("data-url=\"{link}\"")), "{html}");
    assert!(html.contains("Async Rust, pinned"), "{html}");
    assert!(html.contains("The Fixture Blog"), "{html}");
    assert!(html.contains("Why Pin exists &lt;script&gt;"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(
        !html.contains("<img"),
        "an http image is never shown: {html}"
    );
    assert!(html.contains("stays a link"), "{html}");
    assert_eq!(
        html.matches("<aside").count(),
        1,
        "only the lone link: {html}"
    );

    // GitHub's kinds: an issue with its state and author from the API, a file link with its
    // lines, and a pull request whose API is down (the page's card, still GitHub's kind).
    let github = fixtures.github;
    let issue = format!("http://127.0.0.1:{github}/ferris/crab/issues/7");
    let file = format!("http://127.0.0.1:{github}/ferris/crab/blob/main/src/lib.rs#L2-L3");
    let pull = format!("http://127.0.0.1:{github}/ferris/offline/pull/9");
    let id = crate::support::a_thread(&app, &ada)
        .titled("Related upstream")
        .body(&format!("{issue}\n\n{file}\n\n{pull}"))
        .create()
        .await;
    let html = app.thread_html_with(id, "Pull request #9").await;
    assert!(
        html.contains("Borrow checker rejects a valid loop"),
        "{html}"
    );
    assert!(
        html.contains("<span class=\"onebox-state onebox-open\">Open</span>"),
        "{html}"
    );
    assert!(
        html.contains("Issue #7 · ferris/crab · opened by octo-ann"),
        "{html}"
    );
    assert!(
        html.contains("ferris/crab · src/lib.rs · lines 2–3"),
        "{html}"
    );
    assert!(
        html.contains("<pre><code>fn two() {}\nfn three() {}</code></pre>"),
        "{html}"
    );
    assert!(html.contains("Make it faster · Pull Request #9"), "{html}");
    assert_eq!(trap.seen(), 0);

    // Cached: the card is in the cache once, fetched once a day at most.
    let mut conn = app.conn();
    let cached = diesel::RunQueryDsl::get_result::<devforum::db::Count>(
        diesel::sql_query("SELECT count(*) AS n FROM onebox_cache WHERE card IS NOT NULL"),
        &mut conn,
    )
    .expect("count")
    .n;
    assert_eq!(cached, 4);
}

fn outbound(fixtures: &Fixtures) -> Outbound {
    Outbound::new(
        OutboundSettings {
            timeout_secs: 1,
            ..OutboundSettings::default()
        },
        &[format!("127.0.0.1:{}", fixtures.site)],
    )
}

#[tokio::test]
async fn the_fetcher_refuses_what_members_must_not_reach_without_touching_it() {
    let trap = Trap::start();
    let fixtures = Fixtures::start(trap.port);
    let client = outbound(&fixtures);
    let t = fixtures.trap;
    let mut refused = vec![
        (format!("https://127.0.0.1:{t}/"), "address"),
        (format!("http://127.0.0.1:{t}/"), "scheme"),
        (format!("https://localhost:{t}/"), "address"),
        (format!("https://0.0.0.0:{t}/"), "address"),
        (format!("https://2130706433:{t}/"), "address"),
        (format!("https://0177.0.0.1:{t}/"), "address"),
        (format!("https://0x7f.0.0.1:{t}/"), "address"),
        (format!("ftp://127.0.0.1:{t}/"), "scheme"),
        (
            format!("http://127.0.0.1:{}/redirect-to-trap", fixtures.site),
            "address",
        ),
        (
            format!("http://127.0.0.1:{}/loop", fixtures.site),
            "redirects",
        ),
    ];
    if let Some(v6) = trap.v6_port {
        refused.push((format!("https://[::1]:{v6}/"), "address"));
        refused.push((format!("https://[::ffff:127.0.0.1]:{t}/"), "address"));
    }
    for (url, why) in &refused {
        let outcome = client.get(url, &["text/html"]).await;
        let matches = matches!(
            (why, &outcome),
            (&"address", Err(Refused::Address(..)))
                | (&"scheme", Err(Refused::Scheme))
                | (&"redirects", Err(Refused::Redirects(3)))
        );
        assert!(matches, "{url}: expected {why}, got {outcome:?}");
    }
    assert_eq!(trap.seen(), 0, "a refused target saw a connection");

    // The allowed site itself: its limits hold.
    let site = fixtures.site;
    let big = client
        .get(&format!("http://127.0.0.1:{site}/big"), &["text/html"])
        .await;
    assert!(matches!(big, Err(Refused::TooLarge(_))), "{big:?}");
    let started = Instant::now();
    let slow = client
        .get(&format!("http://127.0.0.1:{site}/slow"), &["text/html"])
        .await;
    assert!(matches!(slow, Err(Refused::Timeout(_))), "{slow:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let json_page = client
        .get(&format!("http://127.0.0.1:{site}/json"), &["text/html"])
        .await;
    assert!(
        matches!(json_page, Err(Refused::ContentType(_))),
        "{json_page:?}"
    );
    let followed = client
        .get(
            &format!("http://127.0.0.1:{site}/redirect-home"),
            &["text/html"],
        )
        .await
        .expect("a redirect within the site is followed");
    assert_eq!(followed.url.path(), "/post");
    // Another port of the same address is not the allowed host.
    let other = client
        .get(
            &format!("http://127.0.0.1:{}/post", fixtures.github),
            &["text/html"],
        )
        .await;
    assert!(matches!(other, Err(Refused::Scheme)), "{other:?}");
    assert_eq!(trap.seen(), 0);
}

#[tokio::test]
async fn a_post_naming_a_refused_address_is_saved_without_a_card() {
    let trap = Trap::start();
    let (app, _fixtures) = spawn_with_fixtures(&trap).await;
    let ada = app.member("ada").await;
    let link = format!("https://127.0.0.1:{}/admin", trap.port);
    let id = crate::support::a_thread(&app, &ada)
        .titled("Look at this")
        .body(&link)
        .create()
        .await;
    // The job ran and cached the refusal; the post keeps its plain link.
    let started = Instant::now();
    loop {
        let mut conn = app.conn();
        let failures = diesel::RunQueryDsl::get_result::<devforum::db::Count>(
            diesel::sql_query("SELECT count(*) AS n FROM onebox_cache WHERE failure IS NOT NULL"),
            &mut conn,
        )
        .expect("count")
        .n;
        if failures == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the job never ran"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let thread = json(app.get(&format!("/api/v1/threads/{id}")).await).await;
    let html = thread["body_html"].as_str().unwrap_or_default();
    assert!(!html.contains("onebox"), "{html}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert_eq!(trap.seen(), 0);
}

#[tokio::test]
async fn code_is_highlighted_by_the_job_moments_after_the_post_is_saved() {
    let app = crate::helpers::spawn_app().await;
    let ada = app.member("ada").await;
    let code = "fn main() {\n    let answer = 42; // <&>\n}\n";
    let id = crate::support::a_thread(&app, &ada)
        .titled("Highlighted later")
        .body(&format!("```rust\n{code}```"))
        .create()
        .await;
    // The request renders the code plain, with its language; the job highlights it.
    let html = app
        .thread_html_with(id, "<span class=\"hl-keyword\">fn</span>")
        .await;
    assert!(
        html.starts_with("<pre><code class=\"language-rust\">"),
        "{html}"
    );
    assert!(
        html.contains("<span class=\"hl-comment\">// &lt;&amp;&gt;"),
        "{html}"
    );
    let thread = json(app.get(&format!("/api/v1/threads/{id}")).await).await;
    assert_eq!(
        thread["updated_at"], thread["created_at"],
        "finishing the rendering is no edit"
    );
    // A reply too.
    let reply = app.reply_id(&ada, id, "```sh\ncargo test\n```").await;
    let started = Instant::now();
    loop {
        let page = json(app.get(&format!("/api/v1/threads/{id}/replies")).await).await;
        let html = page["items"][0]["body_html"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if html.contains("<span class=\"hl-function\">cargo</span>") {
            assert_eq!(page["items"][0]["id"], reply);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "{html}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
