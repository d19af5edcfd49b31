//! Threads, replies, tags and votes: every row of the contract's table, happy and unhappy.

mod drafts;
mod listings;
mod reading;
mod solutions;
mod votes;

use std::sync::{Arc, Mutex};

use devforum::startup::BuildOptions;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::Connection;
use serde_json::{json, Value};

use devforum::pagination::Page;
use devforum::threads::views::{ReplyView, ThreadSummary, ThreadView};

use crate::helpers::{assert_problem, json, read_as, spawn_app, spawn_app_with, TestApp, TestUser};
use crate::support::a_thread;

impl TestApp {
    pub async fn create_thread(&self, user: &TestUser, title: &str, tags: &[&str]) -> i64 {
        a_thread(self, user)
            .titled(title)
            .body(&format!("Body of *{title}*"))
            .tags(tags)
            .create()
            .await
    }

    pub async fn create_reply(
        &self,
        user: &TestUser,
        thread_id: i64,
        body: &str,
    ) -> reqwest::Response {
        self.send_as(
            reqwest::Method::POST,
            &format!("/api/v1/threads/{thread_id}/replies"),
            &user.access_token,
            &json!({ "body": body }),
        )
        .await
    }
}

#[tokio::test]
async fn a_member_starts_a_thread_and_anyone_reads_it() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let response = app
        .send_as(
            reqwest::Method::POST,
            "/api/v1/threads",
            &ada.access_token,
            &json!({"title": "Borrow checker woes", "body": "Why does **this** fail?\n\n```rust\nlet x = 1;\n```", "tags": ["rust", "help"]}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let created = json(response).await;
    let id = created["id"].as_i64().expect("id");
    let thread = json(app.get(&format!("/api/v1/threads/{id}")).await).await;
    assert_eq!(thread["title"], "Borrow checker woes");
    assert_eq!(
        thread["body"],
        "Why does **this** fail?\n\n```rust\nlet x = 1;\n```"
    );
    assert!(thread["body_html"]
        .as_str()
        .is_some_and(|h| h.contains("<strong>this</strong>") && h.contains("language-rust")));
    assert_eq!(thread["tags"], json!(["rust", "help"]));
    assert_eq!(
        thread["author"],
        json!({"username": "ada", "display_name": null, "avatar_url": null})
    );
    for field in ["reply_count", "score"] {
        assert_eq!(thread[field], 0);
    }
    assert_eq!(
        (thread["pinned"].as_bool(), thread["locked"].as_bool()),
        (Some(false), Some(false))
    );
    for field in ["created_at", "updated_at", "last_activity_at"] {
        assert!(
            thread[field].as_str().is_some_and(|t| t.ends_with('Z')),
            "{field}: {thread}"
        );
    }
}

#[tokio::test]
async fn thread_fields_are_validated_all_at_once() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let post = |body: Value| {
        let (app, token) = (&app, ada.access_token.clone());
        async move {
            app.send_as(reqwest::Method::POST, "/api/v1/threads", &token, &body)
                .await
        }
    };
    let problem = assert_problem(
        post(json!({"title": "abc", "body": "", "tags": ["Rust", "ok", "a_b"]})).await,
        422,
        "validation_failed",
    )
    .await;
    for field in ["title", "body", "tags"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    // Each bad body, and the field its problem document must name.
    let cases = [
        (json!({"title": "x".repeat(201), "body": "b"}), "title"),
        (json!({"title": "     ", "body": "b"}), "title"),
        (
            json!({"title": "Fine title", "body": "b".repeat(50_001)}),
            "body",
        ),
        (json!({"title": "Fine title", "body": "   "}), "body"),
        (
            json!({"title": "Fine title", "body": "b", "tags": ["a", "b", "c", "d", "e", "f"]}),
            "tags",
        ),
        (
            json!({"title": "Fine title", "body": "b", "tags": ["x".repeat(33)]}),
            "tags",
        ),
        (
            json!({"title": "Fine title", "body": "b", "tags": "rust"}),
            "tags",
        ),
        (
            json!({"title": "Fine title", "body": "b", "pinned": true}),
            "pinned",
        ),
        (json!({"body": "b"}), "title"),
    ];
    for (body, field) in cases {
        let problem = assert_problem(post(body.clone()).await, 422, "validation_failed").await;
        assert!(problem["errors"][field].is_array(), "{body}: {problem}");
    }
    assert_eq!(
        json(app.get("/api/v1/threads").await).await["items"],
        json!([]),
        "nothing was created"
    );
}

#[tokio::test]
async fn only_verified_unsuspended_members_may_post() {
    let app = spawn_app().await;
    let body = json!({"title": "Hello there", "body": "hi"});
    let anonymous = app
        .client
        .post(app.url("/api/v1/threads"))
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_problem(anonymous, 401, "unauthorized").await;
    let unverified = app.signed_up("newbie").await;
    let response = app
        .send_as(
            reqwest::Method::POST,
            "/api/v1/threads",
            &unverified.access_token,
            &body,
        )
        .await;
    assert_problem(response, 403, "email_not_verified").await;
    let suspended = app.member("troll").await;
    app.sql(&format!(
        "UPDATE users SET suspended_at = now() WHERE id = {}",
        suspended.id
    ));
    let response = app
        .send_as(
            reqwest::Method::POST,
            "/api/v1/threads",
            &suspended.access_token,
            &body,
        )
        .await;
    assert_problem(response, 403, "account_suspended").await;
}

#[tokio::test]
async fn unknown_and_malformed_thread_ids_are_404() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/threads/999999",
        "/api/v1/threads/abc",
        "/api/v1/threads/999999/replies",
        "/api/v1/threads/1.5",
    ] {
        assert_problem(app.get(path).await, 404, "not_found").await;
    }
    let ada = app.member("ada").await;
    for (method, path) in [
        (reqwest::Method::PATCH, "/api/v1/threads/999999"),
        (reqwest::Method::DELETE, "/api/v1/threads/999999"),
        (reqwest::Method::POST, "/api/v1/threads/999999/replies"),
        (reqwest::Method::PUT, "/api/v1/threads/999999/vote"),
        (reqwest::Method::PATCH, "/api/v1/replies/999999"),
        (reqwest::Method::DELETE, "/api/v1/replies/999999"),
        (reqwest::Method::PUT, "/api/v1/replies/999999/vote"),
    ] {
        let body = if path.ends_with("vote") {
            json!({"value": 1})
        } else {
            json!({"body": "text", "title": "A title"})
        };
        let body = if path.contains("replies/") || path.ends_with("/replies") {
            if path.ends_with("vote") {
                body
            } else {
                json!({"body": "text"})
            }
        } else {
            body
        };
        let response = app
            .send_as(method.clone(), path, &ada.access_token, &body)
            .await;
        assert_problem(response, 404, "not_found").await;
    }
}

#[tokio::test]
async fn authors_and_moderators_edit_and_delete_others_may_not() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mod", "moderator").await;
    let id = app.create_thread(&ada, "Original title", &["rust"]).await;
    let path = format!("/api/v1/threads/{id}");

    let by_bob = app
        .send_as(
            reqwest::Method::PATCH,
            &path,
            &bob.access_token,
            &json!({"title": "Hijacked title"}),
        )
        .await;
    assert_problem(by_bob, 403, "not_author").await;
    let anonymous = app
        .client
        .patch(app.url(&path))
        .json(&json!({"title": "Anonymous edit"}))
        .send()
        .await
        .expect("request");
    assert_problem(anonymous, 401, "unauthorized").await;
    let invalid = app
        .send_as(
            reqwest::Method::PATCH,
            &path,
            &ada.access_token,
            &json!({"title": "no", "tags": ["BAD"]}),
        )
        .await;
    let problem = assert_problem(invalid, 422, "validation_failed").await;
    assert!(problem["errors"]["title"].is_array() && problem["errors"]["tags"].is_array());

    let edited = app
        .send_as(
            reqwest::Method::PATCH,
            &path,
            &ada.access_token,
            &json!({"body": "New [link](https://example.com)", "tags": ["go"]}),
        )
        .await;
    assert_eq!(edited.status().as_u16(), 200);
    let edited = json(edited).await;
    assert_eq!(edited["title"], "Original title");
    assert_eq!(edited["tags"], json!(["go"]));
    assert!(edited["body_html"]
        .as_str()
        .is_some_and(|h| h.contains("nofollow ugc noopener")));
    let by_moderator = app
        .send_as(
            reqwest::Method::PATCH,
            &path,
            &moderator.access_token,
            &json!({"title": "Moderated title"}),
        )
        .await;
    assert_eq!(json(by_moderator).await["title"], "Moderated title");

    assert_problem(
        app.send_as(
            reqwest::Method::DELETE,
            &path,
            &bob.access_token,
            &json!({}),
        )
        .await,
        403,
        "not_author",
    )
    .await;
    assert_eq!(
        app.send_as(
            reqwest::Method::DELETE,
            &path,
            &ada.access_token,
            &json!({})
        )
        .await
        .status()
        .as_u16(),
        204
    );
    assert_problem(app.get(&path).await, 404, "not_found").await;
    assert_problem(
        app.get_as(&path, &moderator.access_token).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.create_reply(&bob, id, "late reply").await,
        404,
        "not_found",
    )
    .await;
    // Still in the database.
    let kept: i64 = diesel::RunQueryDsl::get_result(
        diesel::QueryDsl::count(diesel::QueryDsl::filter(
            devforum::schema::threads::table,
            diesel::ExpressionMethods::eq(devforum::schema::threads::id, id),
        )),
        &mut app.conn(),
    )
    .expect("count");
    assert_eq!(kept, 1);
}

#[tokio::test]
async fn replies_are_listed_oldest_first_and_keep_the_thread_counters() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let id = app.create_thread(&ada, "A thread to reply to", &[]).await;
    let before: ThreadView = read_as(app.get(&format!("/api/v1/threads/{id}")).await).await;
    for n in 0..5 {
        assert_eq!(
            app.create_reply(&bob, id, &format!("reply {n}"))
                .await
                .status()
                .as_u16(),
            201
        );
    }
    let thread: ThreadView = read_as(app.get(&format!("/api/v1/threads/{id}")).await).await;
    assert_eq!(thread.reply_count, 5);
    assert!(thread.last_activity_at > before.last_activity_at);

    let first: Page<ReplyView> = read_as(
        app.get(&format!("/api/v1/threads/{id}/replies?limit=2"))
            .await,
    )
    .await;
    let bodies: Vec<&str> = first.items.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(bodies, ["reply 0", "reply 1"]);
    let cursor = first.next_cursor.as_deref().expect("more pages");
    let rest: Page<ReplyView> = read_as(
        app.get(&format!(
            "/api/v1/threads/{id}/replies?limit=10&cursor={cursor}"
        ))
        .await,
    )
    .await;
    let bodies: Vec<&str> = rest.items.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(bodies, ["reply 2", "reply 3", "reply 4"]);
    assert!(rest.next_cursor.is_none());
    assert_eq!(rest.items[0].author.username, "bob");

    // Edit and delete: author and moderators only; a deleted reply leaves the count.
    let reply_id = rest.items[0].id.get();
    let path = format!("/api/v1/replies/{reply_id}");
    assert_problem(
        app.send_as(
            reqwest::Method::PATCH,
            &path,
            &ada.access_token,
            &json!({"body": "nope"}),
        )
        .await,
        403,
        "not_author",
    )
    .await;
    assert_problem(
        app.send_as(
            reqwest::Method::PATCH,
            &path,
            &bob.access_token,
            &json!({"body": ""}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let edited = json(
        app.send_as(
            reqwest::Method::PATCH,
            &path,
            &bob.access_token,
            &json!({"body": "edited *reply*"}),
        )
        .await,
    )
    .await;
    assert_eq!(edited["body_html"], "<p>edited <em>reply</em></p>\n");
    assert_problem(
        app.send_as(
            reqwest::Method::DELETE,
            &path,
            &ada.access_token,
            &json!({}),
        )
        .await,
        403,
        "not_author",
    )
    .await;
    assert_eq!(
        app.send_as(
            reqwest::Method::DELETE,
            &path,
            &bob.access_token,
            &json!({})
        )
        .await
        .status()
        .as_u16(),
        204
    );
    assert_eq!(
        json(app.get(&format!("/api/v1/threads/{id}")).await).await["reply_count"],
        4
    );
    assert_problem(
        app.send_as(
            reqwest::Method::PATCH,
            &path,
            &bob.access_token,
            &json!({"body": "again"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    assert_problem(
        app.create_reply(&bob, id, "   ").await,
        422,
        "validation_failed",
    )
    .await;
    let anonymous = app
        .client
        .post(app.url(&format!("/api/v1/threads/{id}/replies")))
        .json(&json!({"body": "x"}))
        .send()
        .await
        .expect("request");
    assert_problem(anonymous, 401, "unauthorized").await;
    assert_problem(
        app.get(&format!("/api/v1/threads/{id}/replies?cursor=garbage"))
            .await,
        400,
        "invalid_cursor",
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/threads/{id}/replies?limit=0"))
            .await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn a_locked_thread_takes_no_replies() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let id = app.create_thread(&ada, "Soon to be locked", &[]).await;
    app.sql(&format!("UPDATE threads SET locked = true WHERE id = {id}"));
    let before = reply_traces(&app, id, ada.id);
    assert_problem(
        app.create_reply(&ada, id, "one more thing").await,
        409,
        "thread_locked",
    )
    .await;
    assert_eq!(
        reply_traces(&app, id, ada.id),
        before,
        "a refused reply wrote"
    );
    assert_eq!(
        json(app.get(&format!("/api/v1/threads/{id}")).await).await["locked"],
        true
    );
}

/// What one reply leaves behind: its row, its count, its follow, its two jobs.
fn reply_traces(app: &TestApp, thread: i64, member: i64) -> [i64; 4] {
    [
        app.count(&format!(
            "SELECT count(*) AS n FROM replies WHERE thread_id = {thread}"
        )),
        app.count(&format!(
            "SELECT reply_count::int8 AS n FROM thread_activity WHERE thread_id = {thread}"
        )),
        app.count(&format!(
            "SELECT count(*) AS n FROM thread_subscriptions \
             WHERE thread_id = {thread} AND user_id = {member}"
        )),
        app.count(
            "SELECT count(*) AS n FROM jobs WHERE kind IN ('search.sync', 'notify_reply') \
                   AND (payload->>'id' IS NOT NULL AND payload->>'type' = 'reply' \
                        OR payload ? 'reply_id')",
        ),
    ]
}

#[tokio::test]
async fn a_reply_needs_a_thread_its_author_may_see_and_a_refused_one_writes_nothing() {
    // No worker: the jobs a reply enqueues stay to be counted.
    let app = spawn_app_with(|s| s.worker.enabled = false, Default::default()).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mod", "moderator").await;
    let id = app
        .create_thread(&ada, "Soon hidden, then deleted", &[])
        .await;
    app.sql(&format!("UPDATE threads SET hidden = true WHERE id = {id}"));
    let before = reply_traces(&app, id, bob.id);
    assert_eq!(before, [0, 0, 0, 0]);
    assert_problem(app.create_reply(&bob, id, "can I?").await, 404, "not_found").await;
    assert_eq!(
        reply_traces(&app, id, bob.id),
        before,
        "a refused reply wrote"
    );

    // Staff reply in a hidden thread (to explain why it is hidden): all four traces, and the
    // jobs carry the new reply's id, as the workers read it.
    let response = app
        .create_reply(&moderator, id, "Hidden while we look into it")
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let reply: ReplyView = read_as(response).await;
    assert_eq!(reply_traces(&app, id, moderator.id), [1, 1, 1, 2]);
    let fan_out = app.count(&format!(
        "SELECT count(*) AS n FROM jobs WHERE kind = 'notify_reply' \
         AND payload = '{{\"reply_id\": {}, \"edited\": false}}'::jsonb",
        reply.id
    ));
    let sync = app.count(&format!(
        "SELECT count(*) AS n FROM jobs WHERE kind = 'search.sync' \
         AND payload = '{{\"type\": \"reply\", \"id\": {}, \"with_replies\": false}}'::jsonb",
        reply.id
    ));
    assert_eq!((fan_out, sync), (1, 1));

    app.sql(&format!(
        "UPDATE threads SET deleted_at = now() WHERE id = {id}"
    ));
    let before = reply_traces(&app, id, moderator.id);
    assert_problem(
        app.create_reply(&moderator, id, "and now?").await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(reply_traces(&app, id, moderator.id), before);
    assert_problem(
        app.create_reply(&bob, 999_999, "anyone?").await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn hidden_threads_vanish_for_members_but_staff_see_them_marked() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mod", "moderator").await;
    let id = app.create_thread(&ada, "Hidden away", &["secret"]).await;
    app.sql(&format!("UPDATE threads SET hidden = true WHERE id = {id}"));
    assert_problem(
        app.get(&format!("/api/v1/threads/{id}")).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get_as(&format!("/api/v1/threads/{id}"), &ada.access_token)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        json(app.get("/api/v1/threads").await).await["items"],
        json!([])
    );
    let seen = json(
        app.get_as(&format!("/api/v1/threads/{id}"), &moderator.access_token)
            .await,
    )
    .await;
    assert_eq!(seen["hidden"], true);
    let staff_list = json(app.get_as("/api/v1/threads", &moderator.access_token).await).await;
    assert_eq!(staff_list["items"][0]["hidden"], true);
    assert_eq!(
        json(app.get("/api/v1/tags").await).await["items"],
        json!([]),
        "hidden threads do not count"
    );
}

fn ids(page: &Page<ThreadSummary>) -> Vec<i64> {
    page.items.iter().map(|thread| thread.id.get()).collect()
}

#[tokio::test]
async fn markdown_is_sanitised_against_known_xss_payloads() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let payloads = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<svg onload=alert(1)>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<body onload=alert(1)>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "![x](javascript:alert(1))",
        "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
        "<form action=\"javascript:alert(1)\"><button>x</button></form>",
        "<input autofocus onfocus=alert(1)>",
    ];
    for payload in payloads {
        let response = app
            .send_as(
                reqwest::Method::POST,
                "/api/v1/threads",
                &ada.access_token,
                &json!({"title": "XSS attempt", "body": payload}),
            )
            .await;
        assert_eq!(response.status().as_u16(), 201, "{payload}");
        let thread = json(response).await;
        let html = thread["body_html"].as_str().expect("html").to_lowercase();
        for forbidden in [
            "<script",
            "onerror",
            "onload",
            "onfocus",
            "javascript:",
            "data:text",
            "<iframe",
            "<svg",
            "style=",
            "<form",
            "<input",
        ] {
            assert!(
                !html.contains(forbidden),
                "{payload:?} rendered as {html:?}"
            );
        }
        assert_eq!(thread["body"], payload, "the Markdown is kept as written");
    }
}

#[tokio::test]
async fn posting_limits_answer_429() {
    let app = spawn_app_with(
        |s| {
            s.rate_limits.threads_per_hour = 2;
            s.rate_limits.replies_per_hour = 1;
        },
        BuildOptions::default(),
    )
    .await;
    let ada = app.member("ada").await;
    let id = app.create_thread(&ada, "Thread one here", &[]).await;
    app.create_thread(&ada, "Thread two here", &[]).await;
    let third = app
        .send_as(
            reqwest::Method::POST,
            "/api/v1/threads",
            &ada.access_token,
            &json!({"title": "Thread three", "body": "x"}),
        )
        .await;
    assert!(third.headers().get("retry-after").is_some());
    assert_problem(third, 429, "rate_limited").await;
    assert_eq!(
        app.create_reply(&ada, id, "one").await.status().as_u16(),
        201
    );
    assert_problem(app.create_reply(&ada, id, "two").await, 429, "rate_limited").await;
    // Another member has a budget of their own.
    let bob = app.member("bob").await;
    assert_eq!(
        app.create_reply(&bob, id, "mine").await.status().as_u16(),
        201
    );
}

/// Counts the statements a connection sends.
#[derive(Clone, Default)]
struct StatementCounter(Arc<Mutex<usize>>);

impl Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            if let Ok(mut count) = self.0.lock() {
                *count += 1;
            }
        }
    }
}
