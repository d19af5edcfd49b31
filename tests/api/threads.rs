//! Threads, replies, tags and votes: every row of the contract's table, happy and unhappy.

use std::sync::{Arc, Mutex};

use devforum::startup::BuildOptions;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::Connection;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app, spawn_app_with, TestApp, TestUser};
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
        json!({"username": "ada", "display_name": null})
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
    let before = json(app.get(&format!("/api/v1/threads/{id}")).await).await;
    for n in 0..5 {
        assert_eq!(
            app.create_reply(&bob, id, &format!("reply {n}"))
                .await
                .status()
                .as_u16(),
            201
        );
    }
    let thread = json(app.get(&format!("/api/v1/threads/{id}")).await).await;
    assert_eq!(thread["reply_count"], 5);
    assert!(thread["last_activity_at"].as_str() > before["last_activity_at"].as_str());

    let first = json(
        app.get(&format!("/api/v1/threads/{id}/replies?limit=2"))
            .await,
    )
    .await;
    let bodies: Vec<&str> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["body"].as_str())
        .collect();
    assert_eq!(bodies, ["reply 0", "reply 1"]);
    let cursor = first["next_cursor"].as_str().expect("more pages");
    let rest = json(
        app.get(&format!(
            "/api/v1/threads/{id}/replies?limit=10&cursor={cursor}"
        ))
        .await,
    )
    .await;
    let bodies: Vec<&str> = rest["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["body"].as_str())
        .collect();
    assert_eq!(bodies, ["reply 2", "reply 3", "reply 4"]);
    assert!(rest["next_cursor"].is_null());
    assert_eq!(rest["items"][0]["author"]["username"], "bob");

    // Edit and delete: author and moderators only; a deleted reply leaves the count.
    let reply_id = rest["items"][0]["id"].as_i64().expect("id");
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
    assert_problem(
        app.create_reply(&ada, id, "one more thing").await,
        409,
        "thread_locked",
    )
    .await;
    assert_eq!(
        json(app.get(&format!("/api/v1/threads/{id}")).await).await["locked"],
        true
    );
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

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .collect()
}

#[tokio::test]
async fn listings_sort_filter_and_put_pinned_threads_first() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let first = app.create_thread(&ada, "First thread", &["rust"]).await;
    let second = app.create_thread(&bob, "Second thread", &["go"]).await;
    let third = app
        .create_thread(&ada, "Third thread", &["rust", "web"])
        .await;

    assert_eq!(
        ids(&json(app.get("/api/v1/threads").await).await),
        [third, second, first]
    );
    app.create_reply(&bob, first, "bump").await;
    assert_eq!(
        ids(&json(app.get("/api/v1/threads?sort=active").await).await),
        [first, third, second]
    );
    app.send_as(
        reqwest::Method::PUT,
        &format!("/api/v1/threads/{second}/vote"),
        &ada.access_token,
        &json!({"value": 1}),
    )
    .await;
    assert_eq!(
        ids(&json(app.get("/api/v1/threads?sort=top").await).await)[0],
        second
    );
    assert_eq!(
        ids(&json(app.get("/api/v1/threads?tag=rust").await).await),
        [third, first]
    );
    assert_eq!(
        ids(&json(app.get("/api/v1/threads?author=BOB").await).await),
        [second]
    );
    assert_eq!(
        ids(&json(app.get("/api/v1/threads?author=nobody").await).await),
        Vec::<i64>::new()
    );

    app.sql(&format!(
        "UPDATE threads SET pinned = true WHERE id = {first}"
    ));
    assert_eq!(
        ids(&json(app.get("/api/v1/threads").await).await),
        [first, third, second]
    );
    assert_eq!(
        ids(&json(app.get("/api/v1/threads?sort=active").await).await)[0],
        first
    );

    // Each bad query, its status and code, and the field a 422 names.
    for (bad, status, code, field) in [
        ("sort=hot", 400, "invalid_query", None),
        ("limit=x", 400, "invalid_query", None),
        ("limit=0", 422, "validation_failed", Some("limit")),
        ("limit=101", 422, "validation_failed", Some("limit")),
        ("tag=Not%20A%20Tag", 422, "validation_failed", Some("tag")),
    ] {
        let response = app.get(&format!("/api/v1/threads?{bad}")).await;
        let problem = assert_problem(response, status, code).await;
        if let Some(field) = field {
            assert!(problem["errors"][field].is_array(), "{bad}: {problem}");
        }
    }
}

#[tokio::test]
async fn cursors_stay_correct_while_threads_are_posted_and_garbage_is_refused() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(
            app.create_thread(&ada, &format!("Thread number {n}"), &[])
                .await,
        );
    }
    let page1 = json(app.get("/api/v1/threads?limit=3").await).await;
    // New threads arrive between page requests; they must neither shift nor repeat items.
    for n in 0..3 {
        app.create_thread(&ada, &format!("Newcomer number {n}"), &[])
            .await;
    }
    let mut seen = ids(&page1);
    let mut cursor = page1["next_cursor"].as_str().map(str::to_string);
    while let Some(c) = cursor {
        let page = json(
            app.get(&format!("/api/v1/threads?limit=3&cursor={c}"))
                .await,
        )
        .await;
        seen.extend(ids(&page));
        cursor = page["next_cursor"].as_str().map(str::to_string);
    }
    created.reverse();
    assert_eq!(seen, created, "the original seven, newest first, once each");

    for garbage in ["garbage", "eyJsIjoidGhyZWFkczpsYXRlc3QiLCJrIjoxfQ", "%00"] {
        assert_problem(
            app.get(&format!("/api/v1/threads?cursor={garbage}")).await,
            400,
            "invalid_cursor",
        )
        .await;
    }
    let latest_cursor = page1["next_cursor"].as_str().expect("cursor");
    assert_problem(
        app.get(&format!("/api/v1/threads?sort=top&cursor={latest_cursor}"))
            .await,
        400,
        "invalid_cursor",
    )
    .await;
}

#[tokio::test]
async fn votes_are_idempotent_changeable_and_never_on_ones_own_post() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let id = app.create_thread(&ada, "Vote on me please", &[]).await;
    let vote = |user: &TestUser, value: Value| {
        let token = user.access_token.clone();
        let app = &app;
        async move {
            app.send_as(
                reqwest::Method::PUT,
                &format!("/api/v1/threads/{id}/vote"),
                &token,
                &json!({"value": value}),
            )
            .await
        }
    };
    assert_eq!(
        json(vote(&bob, json!(1)).await).await,
        json!({"score": 1, "my_vote": 1})
    );
    assert_eq!(
        json(vote(&bob, json!(1)).await).await,
        json!({"score": 1, "my_vote": 1})
    );
    assert_eq!(
        json(vote(&bob, json!(-1)).await).await,
        json!({"score": -1, "my_vote": -1})
    );
    assert_eq!(
        json(vote(&bob, json!(0)).await).await,
        json!({"score": 0, "my_vote": 0})
    );
    assert_problem(vote(&ada, json!(1)).await, 403, "own_post").await;
    for bad in [json!(2), json!(-2), json!("up"), json!(null)] {
        assert_problem(vote(&bob, bad).await, 422, "validation_failed").await;
    }
    let anonymous = app
        .client
        .put(app.url(&format!("/api/v1/threads/{id}/vote")))
        .json(&json!({"value": 1}))
        .send()
        .await
        .expect("request");
    assert_problem(anonymous, 401, "unauthorized").await;
    vote(&bob, json!(1)).await;
    assert_eq!(
        json(
            app.get_as(&format!("/api/v1/threads/{id}"), &bob.access_token)
                .await
        )
        .await["my_vote"],
        1
    );

    // Replies too.
    let reply = json(app.create_reply(&bob, id, "a reply").await).await;
    let reply_path = format!("/api/v1/replies/{}/vote", reply["id"]);
    assert_eq!(
        json(
            app.send_as(
                reqwest::Method::PUT,
                &reply_path,
                &ada.access_token,
                &json!({"value": -1})
            )
            .await
        )
        .await,
        json!({"score": -1, "my_vote": -1})
    );
    assert_problem(
        app.send_as(
            reqwest::Method::PUT,
            &reply_path,
            &bob.access_token,
            &json!({"value": 1}),
        )
        .await,
        403,
        "own_post",
    )
    .await;
}

#[tokio::test]
async fn concurrent_votes_and_replies_converge_to_the_right_counts() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let id = app.create_thread(&ada, "Popular thread", &[]).await;
    let mut voters = Vec::new();
    for n in 0..12 {
        voters.push(app.member(&format!("voter{n}")).await);
    }
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for (n, voter) in voters.into_iter().enumerate() {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let path = format!("/api/v1/threads/{id}/vote");
            // Everyone votes up twice (idempotent); a third of them then switch to down.
            for _ in 0..2 {
                app.send_as(
                    reqwest::Method::PUT,
                    &path,
                    &voter.access_token,
                    &json!({"value": 1}),
                )
                .await;
            }
            if n % 3 == 0 {
                app.send_as(
                    reqwest::Method::PUT,
                    &path,
                    &voter.access_token,
                    &json!({"value": -1}),
                )
                .await;
            }
            app.create_reply(&voter, id, "me too")
                .await
                .status()
                .as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), 201);
    }
    let thread = json(app.get(&format!("/api/v1/threads/{id}")).await).await;
    assert_eq!(thread["score"], 8 - 4, "8 up, 4 down");
    assert_eq!(thread["reply_count"], 12);
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
async fn tags_have_live_thread_counts() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let one = app
        .create_thread(&ada, "Rust and web", &["rust", "web"])
        .await;
    app.create_thread(&ada, "Rust only here", &["rust"]).await;
    let tags = json(app.get("/api/v1/tags").await).await;
    assert_eq!(
        tags["items"],
        json!([{"name": "rust", "thread_count": 2}, {"name": "web", "thread_count": 1}])
    );
    app.send_as(
        reqwest::Method::PATCH,
        &format!("/api/v1/threads/{one}"),
        &ada.access_token,
        &json!({"tags": ["go"]}),
    )
    .await;
    let tags = json(app.get("/api/v1/tags").await).await;
    assert_eq!(
        tags["items"],
        json!([{"name": "go", "thread_count": 1}, {"name": "rust", "thread_count": 1}])
    );
    app.send_as(
        reqwest::Method::DELETE,
        &format!("/api/v1/threads/{one}"),
        &ada.access_token,
        &json!({}),
    )
    .await;
    assert_eq!(
        json(app.get("/api/v1/tags").await).await["items"],
        json!([{"name": "rust", "thread_count": 1}])
    );
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

#[tokio::test]
async fn listings_run_a_fixed_number_of_statements_whatever_the_page_size() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let mut thread_id = 0;
    for n in 0..30 {
        thread_id = app
            .create_thread(&ada, &format!("Thread number {n}"), &["rust"])
            .await;
    }
    for n in 0..30 {
        app.create_reply(&ada, thread_id, &format!("reply {n}"))
            .await;
    }
    let mut conn = diesel::PgConnection::establish(&app.db.url).expect("connect");
    let counter = StatementCounter::default();
    conn.set_instrumentation(counter.clone());
    let mut count = |f: &mut dyn FnMut(&mut diesel::PgConnection)| {
        *counter.0.lock().expect("lock") = 0;
        f(&mut conn);
        *counter.0.lock().expect("lock")
    };
    let list = |limit: i64| {
        move |conn: &mut diesel::PgConnection| {
            let filter = devforum::threads::model::ThreadFilter {
                sort: devforum::threads::domain::Sort::Latest,
                tag: Some("rust".into()),
                author_id: None,
                after: None,
                audience: devforum::visibility::Audience::Public,
                limit,
            };
            let page =
                devforum::threads::service::list_threads(conn, &filter, Some("ada")).expect("list");
            assert_eq!(page.items.len() as i64, limit);
        }
    };
    let small = count(&mut list(2));
    let large = count(&mut list(25));
    assert_eq!(
        small, large,
        "thread listing: {small} statements for 2 items, {large} for 25"
    );
    let replies = |limit: i64| {
        move |conn: &mut diesel::PgConnection| {
            let page = devforum::threads::service::list_replies(
                conn,
                devforum::ids::ThreadId(thread_id),
                None,
                None,
                limit,
            )
            .expect("list");
            assert_eq!(page.items.len() as i64, limit);
        }
    };
    let small = count(&mut replies(2));
    let large = count(&mut replies(25));
    assert_eq!(
        small, large,
        "reply listing: {small} statements for 2 items, {large} for 25"
    );
    assert!(large <= 2, "{large} statements");
}

/// `tags.thread_count` is kept by a trigger in SQL; it must count exactly the threads that
/// `visibility::public_threads` lets the public see, whatever moderation and authors did.
#[tokio::test]
async fn tag_counts_follow_this_rule() {
    use devforum::schema::{tags, threads};
    use diesel::prelude::*;

    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let mut ids = Vec::new();
    for (n, tags) in [
        &["rust", "async"][..],
        &["rust"],
        &["rust", "web"],
        &["async"],
    ]
    .iter()
    .enumerate()
    {
        ids.push(
            app.create_thread(&ada, &format!("Thread number {n}"), tags)
                .await,
        );
    }
    let mut conn = app.db.connect();
    diesel::update(threads::table.find(ids[0]))
        .set(threads::hidden.eq(true))
        .execute(&mut conn)
        .expect("hide");
    diesel::update(threads::table.find(ids[2]))
        .set(threads::deleted_at.eq(diesel::dsl::now))
        .execute(&mut conn)
        .expect("delete");
    diesel::update(threads::table.find(ids[3]))
        .set(threads::tags.eq(vec!["web".to_string()]))
        .execute(&mut conn)
        .expect("retag");

    let public: Vec<Vec<String>> = threads::table
        .filter(devforum::visibility::public_threads())
        .select(threads::tags)
        .load(&mut conn)
        .expect("public threads");
    let mut expected = std::collections::BTreeMap::<String, i32>::new();
    for tag in public.into_iter().flatten() {
        *expected.entry(tag).or_default() += 1;
    }
    let counted: std::collections::BTreeMap<String, i32> = tags::table
        .filter(tags::thread_count.gt(0))
        .select((tags::name, tags::thread_count))
        .load::<(String, i32)>(&mut conn)
        .expect("tags")
        .into_iter()
        .collect();
    assert_eq!(
        counted,
        std::collections::BTreeMap::from([("rust".to_string(), 1), ("web".to_string(), 1)])
    );
    assert_eq!(counted, expected);
}
