//! Where a member left off: positions that never move back, unread counts and "new" marks in
//! listings, `filter=unread|new`, "mark all read", and what others and strangers may not do.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app, TestApp, TestUser};

impl TestApp {
    async fn read_up_to(&self, user: &TestUser, thread: i64, reply: Option<i64>) {
        let response = self
            .send_as(
                Method::PUT,
                &format!("/api/v1/threads/{thread}/read"),
                &user.access_token,
                &json!({ "last_read_reply_id": reply }),
            )
            .await;
        assert_eq!(response.status().as_u16(), 204);
    }

    /// `(id, unread_replies, new)` of each thread of a listing, as `user` sees it.
    async fn reading_list(&self, user: &TestUser, query: &str) -> Vec<(i64, Value, Value)> {
        let page = json(
            self.get_as(&format!("/api/v1/threads?{query}"), &user.access_token)
                .await,
        )
        .await;
        page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("items: {page}"))
            .iter()
            .map(|t| {
                (
                    t["id"].as_i64().expect("id"),
                    t["unread_replies"].clone(),
                    t["new"].clone(),
                )
            })
            .collect()
    }
}

#[tokio::test]
async fn a_member_sees_what_is_unread_and_new_and_picks_up_where_they_left_off() {
    let app = spawn_app().await;
    let (ada, bob, cyd) = (
        app.member("ada").await,
        app.member("bob").await,
        app.member("cyd").await,
    );
    let opened = app.create_thread(&ada, "A thread cyd reads", &[]).await;
    let mut replies = Vec::new();
    for n in 1..=3 {
        replies.push(app.reply_id(&bob, opened, &format!("reply {n}")).await);
    }
    let untouched = app
        .create_thread(&ada, "A thread cyd never opens", &[])
        .await;
    let own = app.create_thread(&cyd, "A thread cyd started", &[]).await;

    // Before reading: nothing unread (nothing opened), both of ada's threads new, her own not.
    let listing = app.reading_list(&cyd, "").await;
    assert_eq!(
        listing,
        [
            (own, json!(0), json!(false)),
            (untouched, json!(0), json!(true)),
            (opened, json!(0), json!(true)),
        ]
    );

    // Read to the second reply: one unread, no longer new, and the thread says where.
    app.read_up_to(&cyd, opened, Some(replies[1])).await;
    let thread = json(
        app.get_as(&format!("/api/v1/threads/{opened}"), &cyd.access_token)
            .await,
    )
    .await;
    assert_eq!(thread["last_read_reply_id"], replies[1]);
    assert_eq!(thread["unread_replies"], 1);
    assert!(app
        .reading_list(&cyd, "")
        .await
        .contains(&(opened, json!(1), json!(false))));

    // A position never moves back; an older reply (a second tab) changes nothing.
    app.read_up_to(&cyd, opened, Some(replies[0])).await;
    app.read_up_to(&cyd, opened, None).await;
    let thread = json(
        app.get_as(&format!("/api/v1/threads/{opened}"), &cyd.access_token)
            .await,
    )
    .await;
    assert_eq!(thread["last_read_reply_id"], replies[1]);

    // Another reply: two unread. The filters list exactly the unread and the new.
    app.reply_id(&bob, opened, "reply 4").await;
    assert_eq!(
        app.reading_list(&cyd, "filter=unread").await,
        [(opened, json!(2), json!(false))]
    );
    assert_eq!(
        app.reading_list(&cyd, "filter=new").await,
        [(untouched, json!(0), json!(true))]
    );
    // Another member's positions are their own.
    assert!(app
        .reading_list(&bob, "")
        .await
        .contains(&(opened, json!(0), json!(true))));
    // Strangers' listings carry neither field.
    let public = json(app.get("/api/v1/threads").await).await;
    for item in public["items"].as_array().expect("items") {
        assert!(
            item.get("unread_replies").is_none() && item.get("new").is_none(),
            "{item}"
        );
    }
    assert!(json(app.get(&format!("/api/v1/threads/{opened}")).await)
        .await
        .get("last_read_reply_id")
        .is_none());

    // Mark all read: nothing unread, nothing new.
    let response = app
        .post_as("/api/v1/users/me/mark-threads-read", &cyd.access_token)
        .await;
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(app.reading_list(&cyd, "filter=unread").await, []);
    assert_eq!(app.reading_list(&cyd, "filter=new").await, []);
    assert!(app
        .reading_list(&cyd, "")
        .await
        .iter()
        .all(|(_, unread, _)| *unread == json!(0)));
    let thread = json(
        app.get_as(&format!("/api/v1/threads/{opened}"), &cyd.access_token)
            .await,
    )
    .await;
    assert!(
        thread["last_read_reply_id"].as_i64() > Some(replies[2]),
        "{thread}"
    );
}

#[tokio::test]
async fn a_deleted_reply_is_no_longer_unread() {
    let app = spawn_app().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let thread = app.create_thread(&ada, "Replies come and go", &[]).await;
    let first = app.reply_id(&bob, thread, "first").await;
    let second = app.reply_id(&bob, thread, "second").await;
    app.read_up_to(&ada, thread, Some(first)).await;
    assert_eq!(
        app.reading_list(&ada, "").await,
        [(thread, json!(1), json!(false))]
    );
    let deleted = app
        .send_as(
            Method::DELETE,
            &format!("/api/v1/replies/{second}"),
            &bob.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(
        app.reading_list(&ada, "").await,
        [(thread, json!(0), json!(false))]
    );
}

#[tokio::test]
async fn new_means_since_the_previous_visit() {
    let app = spawn_app().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let before = app
        .create_thread(&bob, "Started before the visit", &[])
        .await;
    // Ada was last here an hour and a half ago and comes back now: that visit is her previous
    // one, and only what was started since is new.
    app.sql(&format!(
        "UPDATE users SET last_seen_at = now() - interval '90 minutes' WHERE id = {}",
        ada.id
    ));
    app.sql(&format!(
        "UPDATE threads SET created_at = now() - interval '2 hours' WHERE id = {before}"
    ));
    devforum::accounts::model::record_visit(
        &mut app.conn(),
        devforum::ids::UserId(ada.id),
        chrono::Utc::now(),
    )
    .expect("visit");
    let after = app
        .create_thread(&bob, "Started after the visit", &[])
        .await;
    assert_eq!(
        app.reading_list(&ada, "filter=new").await,
        [(after, json!(0), json!(true))]
    );
    // A visit within the hour is the same visit: the previous one stays.
    devforum::accounts::model::record_visit(
        &mut app.conn(),
        devforum::ids::UserId(ada.id),
        chrono::Utc::now(),
    )
    .expect("visit");
    assert_eq!(app.reading_list(&ada, "filter=new").await.len(), 1);
}

#[tokio::test]
async fn positions_refuse_strangers_unknown_threads_and_replies_of_other_threads() {
    let app = spawn_app().await;
    let (ada, bob) = (app.member("ada").await, app.member("bob").await);
    let thread = app.create_thread(&ada, "Where are you", &[]).await;
    let other = app.create_thread(&ada, "Somewhere else", &[]).await;
    let elsewhere = app.reply_id(&bob, other, "not here").await;
    let path = format!("/api/v1/threads/{thread}/read");
    app.assert_refusals(
        Method::PUT,
        &path,
        Some(&bob.access_token),
        &[
            (
                Some(json!({"last_read_reply_id": elsewhere})),
                422,
                "validation_failed",
                Some("last_read_reply_id"),
            ),
            (
                Some(json!({"last_read_reply_id": "soon"})),
                422,
                "validation_failed",
                None,
            ),
            (
                Some(json!({"last_read_reply_id": 1, "extra": true})),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
    app.assert_refusals(
        Method::PUT,
        &path,
        None,
        &[(Some(json!({})), 401, "unauthorized", None)],
    )
    .await;
    app.assert_refusals(
        Method::PUT,
        "/api/v1/threads/999999/read",
        Some(&bob.access_token),
        &[(Some(json!({})), 404, "not_found", None)],
    )
    .await;
    app.sql(&format!(
        "UPDATE threads SET hidden = true WHERE id = {thread}"
    ));
    app.assert_refusals(
        Method::PUT,
        &path,
        Some(&bob.access_token),
        &[(Some(json!({})), 404, "not_found", None)],
    )
    .await;
    app.assert_refusals(
        Method::POST,
        "/api/v1/users/me/mark-threads-read",
        None,
        &[(None, 401, "unauthorized", None)],
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM thread_reads"),
        0,
        "nothing was kept"
    );

    // The filters are a member's: strangers are told to sign in; unknown filters are refused.
    assert_problem(
        app.get("/api/v1/threads?filter=unread").await,
        401,
        "unauthorized",
    )
    .await;
    let bad = app
        .get_as("/api/v1/threads?filter=unseen", &bob.access_token)
        .await;
    assert_eq!(bad.status().as_u16(), 400);
}

#[tokio::test]
async fn the_preview_warns_of_what_posting_would_refuse() {
    let app = crate::helpers::spawn_app_with(
        |s| s.trust.new_limits.images = false,
        devforum::startup::BuildOptions::default(),
    )
    .await;
    let newcomer = app.member("newcomer").await;
    let moderator = app.staff("mod", "moderator").await;
    let body = json!({"body": "Look: ![screenshot](https://example.com/shot.png)"});
    let preview = |user: &TestUser| {
        let (app, token, body) = (&app, user.access_token.clone(), body.clone());
        async move {
            json(
                app.send_as(Method::POST, "/api/v1/markdown/preview", &token, &body)
                    .await,
            )
            .await
        }
    };
    let warned = preview(&newcomer).await;
    assert_eq!(
        warned["warnings"][0]["code"], "new_account_images",
        "{warned}"
    );
    assert!(warned["warnings"][0]["detail"]
        .as_str()
        .is_some_and(|d| d.contains("New accounts")));
    // Posting it is refused with the same words.
    let posted = app
        .send_as(
            Method::POST,
            "/api/v1/threads",
            &newcomer.access_token,
            &json!({"title": "Look at this", "body": body["body"]}),
        )
        .await;
    let problem = assert_problem(posted, 403, "new_account_images").await;
    assert_eq!(problem["detail"], warned["warnings"][0]["detail"]);
    assert_eq!(preview(&moderator).await["warnings"], json!([]));
}
