//! Notifications: the inbox, grouping, thread subscriptions, and the fan-out's guarantees.

mod mentions_and_tags;
mod streams;

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app, wait_until, TestApp, TestUser};

impl TestApp {
    /// Waits until every queued fan-out has run.
    pub(crate) async fn notified(&self) {
        let drained = wait_until(Duration::from_secs(10), || {
            self.count(
                "SELECT count(*) AS n FROM jobs WHERE kind IN ('notify_reply', 'notify_thread')",
            ) == 0
        })
        .await;
        assert!(drained, "the notification jobs did not run");
    }

    /// The kinds in `user`'s inbox, newest first.
    pub(crate) async fn inbox_kinds(&self, user: &TestUser) -> Vec<String> {
        self.inbox(user, "")
            .await
            .iter()
            .map(|item| item["kind"].as_str().expect("kind").to_string())
            .collect()
    }

    pub(crate) async fn put_tag(
        &self,
        user: &TestUser,
        tag: &str,
        level: &str,
    ) -> reqwest::Response {
        self.send_as(
            Method::PUT,
            &format!("/api/v1/tags/{tag}/subscription"),
            &user.access_token,
            &json!({ "level": level }),
        )
        .await
    }

    pub(crate) async fn block(&self, user: &TestUser, username: &str, method: Method) -> u16 {
        self.call(
            method,
            &format!("/api/v1/users/{username}/block"),
            Some(&user.access_token),
            None,
        )
        .await
        .status()
        .as_u16()
    }

    pub(crate) async fn inbox(&self, user: &TestUser, query: &str) -> Vec<Value> {
        let page = json(
            self.get_as(&format!("/api/v1/notifications{query}"), &user.access_token)
                .await,
        )
        .await;
        page["items"].as_array().expect("items").clone()
    }

    pub(crate) async fn unread(&self, user: &TestUser) -> i64 {
        let count = json(
            self.get_as("/api/v1/notifications/unread-count", &user.access_token)
                .await,
        )
        .await;
        let counted = count["unread"].as_i64().expect("unread");
        // The badge reads a counter the database's triggers keep; every test that reads it
        // also checks it against the inbox's own filter.
        use devforum::schema::notifications::dsl as n;
        use diesel::prelude::*;
        let exact: i64 = n::notifications
            .filter(n::user_id.eq(user.id))
            .filter(n::read_at.is_null())
            .filter(n::hidden.eq(false))
            .count()
            .get_result(&mut self.conn())
            .expect("count");
        assert_eq!(counted, exact, "the unread counter and the inbox disagree");
        counted
    }

    pub(crate) async fn reply_id(&self, user: &TestUser, thread: i64, body: &str) -> i64 {
        let response = self.create_reply(user, thread, body).await;
        assert_eq!(response.status().as_u16(), 201);
        json(response).await["id"].as_i64().expect("id")
    }

    pub(crate) async fn subscribe(
        &self,
        user: &TestUser,
        thread: i64,
        level: &str,
    ) -> reqwest::Response {
        self.send_as(
            Method::PUT,
            &format!("/api/v1/threads/{thread}/subscription"),
            &user.access_token,
            &json!({ "level": level }),
        )
        .await
    }
}

#[tokio::test]
async fn a_reply_tells_the_author_once_and_replies_group_until_read() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let thread = app.create_thread(&ada, "Lifetimes in traits", &[]).await;

    let first = app
        .reply_id(&bob, thread, "Use a generic associated type.")
        .await;
    app.notified().await;
    let items = app.inbox(&ada, "").await;
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(item["kind"], "reply");
    assert_eq!(item["actor"]["username"], "bob");
    assert_eq!(item["thread_id"], thread);
    assert_eq!(item["reply_id"], first);
    assert_eq!(item["title"], "Lifetimes in traits");
    assert_eq!(item["count"], 1);
    assert_eq!(item["read_at"], Value::Null);
    assert_eq!(app.unread(&ada).await, 1);
    // Nobody is told about their own reply.
    assert!(app.inbox(&bob, "").await.is_empty());

    // Two more replies before Ada reads: one notification that counts three, first in the inbox.
    app.reply_id(&bob, thread, "Or box the future.").await;
    let latest = app
        .reply_id(&bob, thread, "Or wait for async fn in traits.")
        .await;
    app.notified().await;
    let items = app.inbox(&ada, "?unread=true").await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["count"], 3);
    assert_eq!(items[0]["reply_id"], latest);
    assert!(
        items[0]["id"].as_i64() > item["id"].as_i64(),
        "a grown group comes first again"
    );
    assert_eq!(app.unread(&ada).await, 1);

    // Read, then a new reply starts a new notification.
    let id = items[0]["id"].as_i64().unwrap();
    let read = app
        .post_as(
            &format!("/api/v1/notifications/{id}/read"),
            &ada.access_token,
        )
        .await;
    assert_eq!(read.status().as_u16(), 204);
    assert_eq!(app.unread(&ada).await, 0);
    assert!(app.inbox(&ada, "?unread=true").await.is_empty());
    app.reply_id(&bob, thread, "One more thought.").await;
    app.notified().await;
    let items = app.inbox(&ada, "").await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["count"], 1);
    assert_eq!(items[0]["read_at"], Value::Null);
    assert!(items[1]["read_at"].is_string());
}

#[tokio::test]
async fn repliers_watch_the_thread_and_levels_decide_who_hears() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let dee = app.member("dee").await;
    let thread = app.create_thread(&ada, "Which async runtime?", &[]).await;

    let own = json(
        app.get_as(
            &format!("/api/v1/threads/{thread}/subscription"),
            &ada.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(own, json!({"level": "watching", "reason": "created"}));
    let none = json(
        app.get_as(
            &format!("/api/v1/threads/{thread}/subscription"),
            &dee.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(none, json!({"level": "normal", "reason": null}));

    app.reply_id(&bob, thread, "Tokio.").await;
    let bobs = json(
        app.get_as(
            &format!("/api/v1/threads/{thread}/subscription"),
            &bob.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(bobs, json!({"level": "watching", "reason": "replied"}));
    // Dee watches by choice; Ada (the author) mutes the thread.
    assert_eq!(
        app.subscribe(&dee, thread, "watching")
            .await
            .status()
            .as_u16(),
        200
    );
    let muted = json(app.subscribe(&ada, thread, "muted").await).await;
    assert_eq!(muted, json!({"level": "muted", "reason": "chosen"}));
    app.notified().await;

    app.reply_id(&cyd, thread, "async-std is archived; smol is small.")
        .await;
    app.notified().await;
    let kinds = |items: Vec<Value>| {
        items
            .iter()
            .map(|i| i["kind"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(app.inbox(&bob, "").await), ["watched_reply"]);
    assert_eq!(kinds(app.inbox(&dee, "").await), ["watched_reply"]);
    assert!(
        app.inbox(&ada, "")
            .await
            .iter()
            .all(|i| i["reply_id"] != json!(null) && i["actor"]["username"] == "bob"),
        "the muted author hears nothing of cyd's reply"
    );

    // A replier who turns the thread to normal hears no more of it; replying again does not
    // bring the automatic watch back over their choice.
    assert_eq!(
        app.subscribe(&bob, thread, "normal")
            .await
            .status()
            .as_u16(),
        200
    );
    app.reply_id(&bob, thread, "Tokio, really.").await;
    app.reply_id(&cyd, thread, "Fine.").await;
    app.notified().await;
    assert_eq!(app.inbox(&bob, "").await[0]["count"], 1);
    let bobs = json(
        app.get_as(
            &format!("/api/v1/threads/{thread}/subscription"),
            &bob.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(bobs, json!({"level": "normal", "reason": "chosen"}));
}

#[tokio::test]
async fn hiding_a_reply_takes_its_notification_out_of_the_list_and_the_count() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mia", "moderator").await;
    let thread = app.create_thread(&ada, "Error handling", &[]).await;
    let reply = app.reply_id(&bob, thread, "Spam spam spam.").await;
    app.notified().await;
    assert_eq!(app.unread(&ada).await, 1);

    let hide = app
        .post_as(
            &format!("/api/v1/mod/replies/{reply}/hide"),
            &moderator.access_token,
        )
        .await;
    assert_eq!(hide.status().as_u16(), 200);
    assert_eq!(app.unread(&ada).await, 0);
    assert!(app.inbox(&ada, "").await.is_empty());
    assert!(app.inbox(&ada, "?unread=true").await.is_empty());

    let restore = app
        .post_as(
            &format!("/api/v1/mod/replies/{reply}/restore"),
            &moderator.access_token,
        )
        .await;
    assert_eq!(restore.status().as_u16(), 200);
    assert_eq!(app.unread(&ada).await, 1);
    assert_eq!(app.inbox(&ada, "?unread=true").await.len(), 1);

    // A reply hidden before its fan-out runs tells nobody.
    app.sql(&format!(
        "INSERT INTO replies (thread_id, author_id, body, body_html, hidden) \
         VALUES ({thread}, {}, 'Hidden at once', '<p>Hidden at once</p>', true)",
        bob.id
    ));
    app.sql("INSERT INTO jobs (kind, payload) SELECT 'notify_reply', jsonb_build_object('reply_id', max(id)) FROM replies");
    app.notified().await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM notification_deliveries WHERE event LIKE 'reply:%'"),
        1
    );
    assert_eq!(app.unread(&ada).await, 1);
}

#[tokio::test]
async fn the_same_event_twice_tells_nobody_twice() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let thread = app.create_thread(&ada, "Idempotent jobs", &[]).await;
    let reply = app.reply_id(&bob, thread, "Use a unique key.").await;
    app.notified().await;
    // The same job again, as a retry or a duplicate would run it.
    app.sql(&format!(
        "INSERT INTO jobs (kind, payload) VALUES ('notify_reply', '{{\"reply_id\": {reply}}}'), ('notify_reply', '{{\"reply_id\": {reply}}}')"
    ));
    app.notified().await;
    let items = app.inbox(&ada, "").await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["count"], 1);
}

#[tokio::test]
async fn fifty_concurrent_replies_give_exactly_the_expected_notifications() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let mut repliers = Vec::new();
    for name in ["bob", "cyd", "dee", "eve", "fay"] {
        repliers.push(app.member(name).await);
    }
    let thread = app.create_thread(&ada, "Concurrency", &[]).await;
    let requests = (0..50).map(|n| {
        let (app, user) = (&app, &repliers[n % 5]);
        async move {
            app.create_reply(user, thread, &format!("Reply {n}"))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    app.notified().await;

    // Ada: one group of 50. Each replier watches and hears of the others' 40 replies, in one
    // group — unless their own first reply came after some of the others, which it may: so
    // count deliveries, which are exact.
    let items = app.inbox(&ada, "").await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["count"], 50);
    let deliveries = app.count("SELECT count(*) AS n FROM notification_deliveries WHERE user_id = (SELECT id FROM users WHERE username = 'ada')");
    assert_eq!(deliveries, 50);
    for user in &repliers {
        let told: i64 = app
            .inbox(user, "")
            .await
            .iter()
            .map(|i| i["count"].as_i64().unwrap())
            .sum();
        let rows = app.count(&format!(
            "SELECT count(*) AS n FROM notification_deliveries WHERE user_id = {}",
            user.id
        ));
        assert_eq!(told, rows, "{}: every delivery counted once", user.username);
        assert!(
            rows <= 40,
            "{}: never told of their own replies",
            user.username
        );
        // Fan-outs ran side by side in the worker's slots: each member's counter still
        // agrees with the table (`unread` checks it).
        app.unread(user).await;
    }
    assert_eq!(app.unread(&ada).await, 1);
}

#[tokio::test]
async fn mark_read_up_to_an_id_leaves_newer_ones_unread() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let first = app.create_thread(&ada, "First thread", &[]).await;
    let second = app.create_thread(&ada, "Second thread", &[]).await;
    app.reply_id(&bob, first, "On the first.").await;
    app.notified().await;
    app.reply_id(&bob, second, "On the second.").await;
    app.notified().await;
    let items = app.inbox(&ada, "").await;
    assert_eq!(items.len(), 2);
    let older = items[1]["id"].as_i64().unwrap();
    let response = app
        .send_as(
            Method::POST,
            "/api/v1/notifications/read",
            &ada.access_token,
            &json!({"up_to_id": older}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);
    let unread = app.inbox(&ada, "?unread=true").await;
    assert_eq!(unread.len(), 1);
    assert_eq!(unread[0]["title"], "Second thread");
    assert_eq!(app.unread(&ada).await, 1);

    // Keyset pages.
    let page = json(
        app.get_as("/api/v1/notifications?limit=1", &ada.access_token)
            .await,
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let next = json(
        app.get_as(
            &format!("/api/v1/notifications?limit=1&cursor={cursor}"),
            &ada.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(next["items"][0]["title"], "First thread");
    assert_eq!(next["next_cursor"], Value::Null);

    // Opening a thread reads what is about it, and only that.
    let third = app.create_thread(&ada, "Third thread", &[]).await;
    app.reply_id(&bob, third, "On the third.").await;
    app.notified().await;
    assert_eq!(app.unread(&ada).await, 2);
    // Another member reads only their own: Ada's stay unread; no id is not found.
    let by_bob = app
        .post_as(
            &format!("/api/v1/threads/{second}/notifications/read"),
            &bob.access_token,
        )
        .await;
    assert_eq!(by_bob.status().as_u16(), 204);
    assert_eq!(app.unread(&ada).await, 2);
    for path in [
        "/api/v1/threads/abc/notifications/read",
        "/api/v1/mentorship-requests/0.5/notifications/read",
    ] {
        assert_problem(app.post_as(path, &ada.access_token).await, 404, "not_found").await;
    }
    let response = app
        .post_as(
            &format!("/api/v1/threads/{second}/notifications/read"),
            &ada.access_token,
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);
    let unread = app.inbox(&ada, "?unread=true").await;
    assert_eq!(unread.len(), 1);
    assert_eq!(unread[0]["title"], "Third thread");
    assert_eq!(app.unread(&ada).await, 1);
}

#[tokio::test]
async fn the_inbox_refuses_what_it_should() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let thread = app.create_thread(&ada, "Private matters", &[]).await;
    app.reply_id(&bob, thread, "A reply.").await;
    app.notified().await;
    let id = app.inbox(&ada, "").await[0]["id"].as_i64().unwrap();

    // No token.
    for (method, path) in [
        (Method::GET, "/api/v1/notifications".to_string()),
        (
            Method::GET,
            "/api/v1/notifications/unread-count".to_string(),
        ),
        (Method::POST, format!("/api/v1/notifications/{id}/read")),
        (Method::POST, "/api/v1/notifications/read".to_string()),
        (
            Method::POST,
            format!("/api/v1/threads/{thread}/notifications/read"),
        ),
        (
            Method::POST,
            "/api/v1/mentorship-requests/1/notifications/read".to_string(),
        ),
        (
            Method::GET,
            format!("/api/v1/threads/{thread}/subscription"),
        ),
        (
            Method::PUT,
            format!("/api/v1/threads/{thread}/subscription"),
        ),
    ] {
        assert_problem(
            app.call(method, &path, None, Some(&json!({}))).await,
            401,
            "unauthorized",
        )
        .await;
    }
    // Someone else's notification, an unknown one, a bad id.
    assert_problem(
        app.post_as(
            &format!("/api/v1/notifications/{id}/read"),
            &bob.access_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.post_as("/api/v1/notifications/999999/read", &ada.access_token)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.post_as("/api/v1/notifications/abc/read", &ada.access_token)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.unread(&ada).await, 1, "bob's attempt changed nothing");
    // Bad fields.
    app.assert_refusals(
        Method::POST,
        "/api/v1/notifications/read",
        Some(&ada.access_token),
        &[
            (Some(json!({})), 422, "validation_failed", Some("up_to_id")),
            (
                Some(json!({"up_to_id": 0})),
                422,
                "validation_failed",
                Some("up_to_id"),
            ),
            (
                Some(json!({"up_to_id": "x"})),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
    app.assert_refusals(
        Method::PUT,
        &format!("/api/v1/threads/{thread}/subscription"),
        Some(&ada.access_token),
        &[
            (Some(json!({})), 422, "validation_failed", Some("level")),
            (
                Some(json!({"level": "loud"})),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/notifications?limit=0", &ada.access_token)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/notifications?cursor=nonsense", &ada.access_token)
            .await,
        400,
        "invalid_cursor",
    )
    .await;
    // Unknown or invisible thread.
    assert_problem(app.subscribe(&ada, 999999, "muted").await, 404, "not_found").await;
    app.sql(&format!(
        "UPDATE threads SET hidden = true WHERE id = {thread}"
    ));
    assert_problem(app.subscribe(&bob, thread, "muted").await, 404, "not_found").await;
    assert_problem(
        app.get_as(
            &format!("/api/v1/threads/{thread}/subscription"),
            &bob.access_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.unread(&ada).await,
        0,
        "a hidden thread's notifications are gone too"
    );
    // A suspended member still reads their inbox and marks it read: it concerns only them
    // (auth::SUSPENDED_MAY).
    app.sql(&format!(
        "UPDATE users SET suspended_at = now(), suspension_reason = 'test' WHERE id = {}",
        ada.id
    ));
    assert_eq!(
        app.get_as("/api/v1/notifications", &ada.access_token)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        app.post_as(
            &format!("/api/v1/notifications/{id}/read"),
            &ada.access_token,
        )
        .await
        .status()
        .as_u16(),
        204
    );
}

/// Reads Server-Sent Events from a streaming response.
pub(crate) struct EventReader {
    response: reqwest::Response,
    buffer: String,
}

#[derive(Debug)]
pub(crate) struct Event {
    pub(crate) id: Option<i64>,
    pub(crate) name: String,
    pub(crate) data: Value,
}

impl EventReader {
    pub(crate) async fn open(
        app_url: &str,
        client: &reqwest::Client,
        user: &TestUser,
        last: Option<i64>,
    ) -> Self {
        let mut request = client
            .get(format!("{app_url}/api/v1/notifications/stream"))
            .bearer_auth(&user.access_token);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last.to_string());
        }
        let response = request.send().await.expect("stream");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        EventReader {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments skipped); `None` when the stream ended.
    pub(crate) async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut name, mut data) = (None, None, None);
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("id: ") {
                        id = Some(value.parse().expect("numeric id"));
                    } else if let Some(value) = line.strip_prefix("event: ") {
                        name = Some(value.to_string());
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        data = Some(serde_json::from_str(value).expect("JSON data"));
                    }
                }
                if let (Some(name), Some(data)) = (name, data) {
                    return Some(Event { id, name, data });
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.response.chunk())
                .await
                .expect("an event within 10 s")
                .expect("stream read")?;
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }

    /// Skips to the next event named `name`.
    pub(crate) async fn next_named(&mut self, name: &str) -> Event {
        loop {
            let event = self.next().await.expect("the stream ended early");
            if event.name == name {
                return event;
            }
        }
    }
}

/// A second serve process on the same database (no worker: an API node).
pub(crate) async fn second_server(app: &TestApp) -> (String, tokio_util::sync::CancellationToken) {
    let mut settings = crate::helpers::test_settings(&app.db.url);
    settings.database.migrate_on_start = false;
    settings.worker.enabled = false;
    let application = devforum::startup::Application::build(settings)
        .await
        .expect("second server");
    let address = format!("http://127.0.0.1:{}", application.port());
    let shutdown = application.shutdown_token();
    tokio::spawn(application.run_until_stopped());
    (address, shutdown)
}
