//! Server-kept drafts: saved, restored from another session, replaced, removed by the post
//! they became, capped per member, and private to their writer.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{json, spawn_app, TestApp, TestUser};

impl TestApp {
    async fn save_draft(&self, user: &TestUser, key: &str, draft: Value) -> Value {
        let response = self
            .send_as(
                Method::PUT,
                &format!("/api/v1/drafts/{key}"),
                &user.access_token,
                &draft,
            )
            .await;
        let status = response.status().as_u16();
        let body = json(response).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn draft_keys(&self, user: &TestUser) -> Vec<String> {
        let list = json(self.get_as("/api/v1/drafts", &user.access_token).await).await;
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|d| d["key"].as_str().expect("key").to_string())
            .collect()
    }
}

#[tokio::test]
async fn a_draft_follows_its_writer_to_another_session_and_goes_when_posted() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let thread = app.create_thread(&ada, "A thread to answer", &[]).await;

    let saved = app
        .save_draft(
            &ada,
            "new-thread",
            json!({"title": "Half a title", "body": "  So far\n", "tags": ["rust"]}),
        )
        .await;
    assert_eq!(saved["key"], "new-thread");
    assert_eq!(saved["body"], "  So far\n", "kept exactly as typed");
    app.save_draft(&ada, &format!("reply-{thread}"), json!({"body": "I think"}))
        .await;
    // Typing on: the same draft, replaced.
    app.save_draft(
        &ada,
        &format!("reply-{thread}"),
        json!({"body": "I think it is"}),
    )
    .await;

    // Another session (another device) restores both, the latest first.
    let elsewhere = app.signed_in("ada").await;
    assert_eq!(
        app.draft_keys(&elsewhere).await,
        [format!("reply-{thread}"), "new-thread".to_string()]
    );
    let reply_draft = json(
        app.get_as(
            &format!("/api/v1/drafts/reply-{thread}"),
            &elsewhere.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(reply_draft["body"], "I think it is");
    assert_eq!(reply_draft["title"], Value::Null);

    // Posting the reply removes its draft; starting a thread removes the thread's.
    assert_eq!(
        app.create_reply(&ada, thread, "I think it is fine")
            .await
            .status()
            .as_u16(),
        201
    );
    assert_eq!(app.draft_keys(&ada).await, ["new-thread"]);
    app.create_thread(&ada, "The finished title", &[]).await;
    assert_eq!(app.draft_keys(&ada).await, Vec::<String>::new());

    // Discarding is idempotent.
    app.save_draft(&ada, "new-thread", json!({"body": "again"}))
        .await;
    for _ in 0..2 {
        let response = app
            .send_as(
                Method::DELETE,
                "/api/v1/drafts/new-thread",
                &ada.access_token,
                &json!({}),
            )
            .await;
        assert_eq!(response.status().as_u16(), 204);
    }
    let gone = app
        .get_as("/api/v1/drafts/new-thread", &ada.access_token)
        .await;
    crate::helpers::assert_problem(gone, 404, "not_found").await;
}

#[tokio::test]
async fn drafts_are_private_validated_and_capped() {
    let app = spawn_app().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let thread = app.create_thread(&ada, "Somewhere to reply", &[]).await;
    app.save_draft(&ada, "new-thread", json!({"body": "mine"}))
        .await;

    // Another member sees none of it, and their own list is theirs.
    let theirs = app
        .get_as("/api/v1/drafts/new-thread", &bob.access_token)
        .await;
    crate::helpers::assert_problem(theirs, 404, "not_found").await;
    assert_eq!(app.draft_keys(&bob).await, Vec::<String>::new());

    let reply_key = format!("/api/v1/drafts/reply-{thread}");
    app.assert_refusals(
        Method::PUT,
        &reply_key,
        Some(&ada.access_token),
        &[
            (
                Some(json!({"body": ""})),
                422,
                "validation_failed",
                Some("body"),
            ),
            (Some(json!({})), 422, "validation_failed", Some("body")),
            (
                Some(json!({"body": "x".repeat(50_001)})),
                422,
                "validation_failed",
                Some("body"),
            ),
            (
                Some(json!({"body": "b", "title": "t"})),
                422,
                "validation_failed",
                Some("title"),
            ),
            (
                Some(json!({"body": "b", "tags": ["rust"]})),
                422,
                "validation_failed",
                Some("tags"),
            ),
            (
                Some(json!({"body": "b", "pinned": true})),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
    app.assert_refusals(
        Method::PUT,
        "/api/v1/drafts/new-thread",
        Some(&ada.access_token),
        &[
            (
                Some(json!({"body": "b", "title": "t".repeat(201)})),
                422,
                "validation_failed",
                Some("title"),
            ),
            (
                Some(json!({"body": "b", "tags": ["a", "b", "c", "d", "e", "f"]})),
                422,
                "validation_failed",
                Some("tags"),
            ),
        ],
    )
    .await;
    for key in ["reply-999999", "reply-abc", "reply-0", "something"] {
        app.assert_refusals(
            Method::PUT,
            &format!("/api/v1/drafts/{key}"),
            Some(&ada.access_token),
            &[(Some(json!({"body": "b"})), 404, "not_found", None)],
        )
        .await;
    }
    app.assert_refusals(
        Method::PUT,
        "/api/v1/drafts/new-thread",
        None,
        &[(Some(json!({"body": "b"})), 401, "unauthorized", None)],
    )
    .await;
    app.assert_refusals(
        Method::GET,
        "/api/v1/drafts",
        None,
        &[(None, 401, "unauthorized", None)],
    )
    .await;
    // A hidden thread takes no reply drafts from members.
    app.sql(&format!(
        "UPDATE threads SET hidden = true WHERE id = {thread}"
    ));
    app.assert_refusals(
        Method::PUT,
        &reply_key,
        Some(&bob.access_token),
        &[(Some(json!({"body": "b"})), 404, "not_found", None)],
    )
    .await;
    assert_eq!(
        app.draft_keys(&ada).await,
        ["new-thread"],
        "nothing else was saved"
    );

    // Fifty drafts at most: the fifty-first is refused, replacing one still works.
    let mut threads = Vec::new();
    for n in 0..50 {
        threads.push(
            app.create_thread(&bob, &format!("Thread number {n}"), &[])
                .await,
        );
    }
    for thread in &threads[..49] {
        app.save_draft(&ada, &format!("reply-{thread}"), json!({"body": "later"}))
            .await;
    }
    app.assert_refusals(
        Method::PUT,
        &format!("/api/v1/drafts/reply-{}", threads[49]),
        Some(&ada.access_token),
        &[(
            Some(json!({"body": "one too many"})),
            422,
            "too_many_drafts",
            None,
        )],
    )
    .await;
    app.save_draft(&ada, "new-thread", json!({"body": "replaced"}))
        .await;
    assert_eq!(app.draft_keys(&ada).await.len(), 50);
}
