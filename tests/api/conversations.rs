//! Private conversations: who sees them (participants only, staff included in the refusal),
//! who may write to whom, limits of new accounts, notifications and paging, the mentorship
//! that opens one, reports staff see one message of, deletion and live delivery.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app, spawn_app_with, TestApp, TestUser};
use crate::mail::{spawn_app_with_mail, MailServer, MAIL_WAIT};
use crate::notifications::{second_server, EventReader};

impl TestApp {
    /// `from` starts a conversation with `to`; the response.
    async fn start_conversation(
        &self,
        from: &TestUser,
        to: &[&str],
        subject: &str,
        body: &str,
    ) -> reqwest::Response {
        self.send_as(
            Method::POST,
            "/api/v1/conversations",
            &from.access_token,
            &json!({"to": to, "subject": subject, "body": body}),
        )
        .await
    }

    /// A conversation `from` started with `to`; its id.
    async fn conversation(&self, from: &TestUser, to: &[&str], subject: &str) -> i64 {
        let response = self
            .start_conversation(from, to, subject, "Hello there")
            .await;
        assert_eq!(response.status().as_u16(), 201);
        json(response).await["id"].as_i64().expect("id")
    }

    async fn write(&self, from: &TestUser, conversation: i64, body: &str) -> reqwest::Response {
        self.send_as(
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/messages"),
            &from.access_token,
            &json!({ "body": body }),
        )
        .await
    }

    /// A message `from` wrote; its id.
    async fn written(&self, from: &TestUser, conversation: i64, body: &str) -> i64 {
        let response = self.write(from, conversation, body).await;
        assert_eq!(response.status().as_u16(), 201);
        json(response).await["id"].as_i64().expect("id")
    }

    async fn set_messages(&self, user: &TestUser, setting: &str) {
        let response = self
            .send_as(
                Method::PATCH,
                "/api/v1/users/me/notification-settings",
                &user.access_token,
                &json!({ "messages": setting }),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(json(response).await["messages"], setting);
    }

    /// The bodies of a page of messages (`path` under the API) as `user` sees them, and the
    /// page's `next_cursor`.
    async fn page_of(&self, user: &TestUser, path: &str) -> (Vec<String>, Value) {
        let page = json(
            self.get_as(&format!("/api/v1{path}"), &user.access_token)
                .await,
        )
        .await;
        let bodies = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_string())
            .collect();
        (bodies, page["next_cursor"].clone())
    }

    /// The bodies of a conversation's newest page, as `user` sees them.
    async fn bodies(&self, user: &TestUser, conversation: i64) -> Vec<String> {
        let path = format!("/conversations/{conversation}/messages");
        self.page_of(user, &path).await.0
    }

    /// Waits until the worker has told every message's readers.
    async fn told(&self) {
        let drained = crate::helpers::wait_until(Duration::from_secs(10), || {
            self.count("SELECT count(*) AS n FROM jobs WHERE kind = 'conversations.notify_message'")
                == 0
        })
        .await;
        assert!(drained, "the message notifications were not written");
    }

    fn conversations(&self) -> i64 {
        self.count("SELECT count(*) AS n FROM conversations")
    }
}

#[tokio::test]
async fn only_participants_see_a_conversation_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let moderator = app.staff("moderator", "moderator").await;
    let admin = app.staff("admin", "admin").await;

    let response = app
        .start_conversation(
            &ada,
            &["bob", "BOB"],
            "Rust meetup",
            "Coming on **Friday**?",
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let started = json(response).await;
    let id = started["id"].as_i64().unwrap();
    assert_eq!(started["subject"], "Rust meetup");
    assert_eq!(started["unread"], 0, "the author read what they wrote");
    let names: Vec<&str> = started["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["username"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"ada") && names.contains(&"bob"));

    let bobs = json(app.get_as("/api/v1/conversations", &bob.access_token).await).await;
    assert_eq!(bobs["items"][0]["id"], id);
    assert_eq!(bobs["items"][0]["unread"], 1);
    let messages = json(
        app.get_as(
            &format!("/api/v1/conversations/{id}/messages"),
            &bob.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(
        messages["items"][0]["body_html"],
        "<p>Coming on <strong>Friday</strong>?</p>\n"
    );
    assert_eq!(messages["items"][0]["author"]["username"], "ada");

    // Anyone else, staff included, is told there is nothing there.
    for outsider in [&cyd, &moderator, &admin] {
        let token = outsider.access_token.as_str();
        for path in [
            format!("/api/v1/conversations/{id}"),
            format!("/api/v1/conversations/{id}/messages"),
        ] {
            assert_problem(app.get_as(&path, token).await, 404, "not_found").await;
        }
        assert_problem(app.write(outsider, id, "Let me in").await, 404, "not_found").await;
        for action in ["read", "leave"] {
            let path = format!("/api/v1/conversations/{id}/{action}");
            assert_problem(app.post_as(&path, token).await, 404, "not_found").await;
        }
        let report = app
            .send_as(
                Method::POST,
                &format!("/api/v1/conversations/{id}/report"),
                token,
                &json!({"reason": "spam"}),
            )
            .await;
        assert_problem(report, 404, "not_found").await;
        let theirs = json(app.get_as("/api/v1/conversations", token).await).await;
        assert_eq!(theirs["items"], json!([]));
    }
    for path in [
        "/api/v1/conversations/999999".to_string(),
        "/api/v1/conversations/999999/messages".to_string(),
        "/api/v1/conversations/abc".to_string(),
    ] {
        assert_problem(app.get_as(&path, &ada.access_token).await, 404, "not_found").await;
    }

    // No token.
    for (method, path) in [
        (Method::GET, "/api/v1/conversations".to_string()),
        (Method::POST, "/api/v1/conversations".to_string()),
        (Method::GET, format!("/api/v1/conversations/{id}")),
        (Method::GET, format!("/api/v1/conversations/{id}/messages")),
        (Method::POST, format!("/api/v1/conversations/{id}/messages")),
        (Method::POST, format!("/api/v1/conversations/{id}/read")),
        (Method::POST, format!("/api/v1/conversations/{id}/leave")),
        (Method::POST, format!("/api/v1/conversations/{id}/report")),
    ] {
        let body = json!({"to": ["bob"], "subject": "x", "body": "y"});
        let response = app.call(method, &path, None, Some(&body)).await;
        assert_problem(response, 401, "unauthorized").await;
    }

    // Bad fields: each named, nothing written.
    let before = app.count("SELECT count(*) AS n FROM messages");
    let eleven: Vec<String> = (0..11).map(|i| format!("member{i}")).collect();
    app.assert_refusals(
        Method::POST,
        "/api/v1/conversations",
        Some(&ada.access_token),
        &[
            (
                Some(json!({"subject": "Hi", "body": "x"})),
                422,
                "validation_failed",
                Some("to"),
            ),
            (
                Some(json!({"to": [], "subject": "Hi", "body": "x"})),
                422,
                "validation_failed",
                Some("to"),
            ),
            (
                Some(json!({"to": eleven, "subject": "Hi", "body": "x"})),
                422,
                "validation_failed",
                Some("to"),
            ),
            (
                Some(json!({"to": ["nobody_here"], "subject": "Hi", "body": "x"})),
                422,
                "validation_failed",
                Some("to"),
            ),
            (
                Some(json!({"to": ["ada"], "subject": "Hi", "body": "x"})),
                422,
                "validation_failed",
                Some("to"),
            ),
            (
                Some(json!({"to": ["bob"], "subject": " ", "body": "x"})),
                422,
                "validation_failed",
                Some("subject"),
            ),
            (
                Some(json!({"to": ["bob"], "subject": "x".repeat(201), "body": "x"})),
                422,
                "validation_failed",
                Some("subject"),
            ),
            (
                Some(json!({"to": ["bob"], "subject": "Hi"})),
                422,
                "validation_failed",
                Some("body"),
            ),
            (
                Some(json!({"to": ["bob"], "subject": "Hi", "body": "x", "cc": []})),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
    app.assert_refusals(
        Method::POST,
        &format!("/api/v1/conversations/{id}/messages"),
        Some(&bob.access_token),
        &[
            (Some(json!({})), 422, "validation_failed", Some("body")),
            (
                Some(json!({"body": "  "})),
                422,
                "validation_failed",
                Some("body"),
            ),
            (
                Some(json!({"body": "x".repeat(20_001)})),
                422,
                "validation_failed",
                Some("body"),
            ),
        ],
    )
    .await;
    for query in [
        "limit=0",
        "limit=101",
        "cursor=garbage",
        "after=0",
        "after=1&cursor=x",
    ] {
        let path = format!("/api/v1/conversations/{id}/messages?{query}");
        let response = app.get_as(&path, &bob.access_token).await;
        assert!(
            [400, 422].contains(&response.status().as_u16()),
            "{query}: {}",
            response.status()
        );
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM messages"), before);
    assert_eq!(app.conversations(), 1);

    // Leaving: gone from the inbox, refused from then on, the others go on.
    assert_eq!(
        app.post_as(
            &format!("/api/v1/conversations/{id}/leave"),
            &bob.access_token
        )
        .await
        .status()
        .as_u16(),
        204
    );
    let bobs = json(app.get_as("/api/v1/conversations", &bob.access_token).await).await;
    assert_eq!(bobs["items"], json!([]));
    assert_problem(app.write(&bob, id, "Back?").await, 404, "not_found").await;
    let adas = json(
        app.get_as(&format!("/api/v1/conversations/{id}"), &ada.access_token)
            .await,
    )
    .await;
    assert_eq!(adas["participants"].as_array().unwrap().len(), 1);
    // Alone in it, there is nobody to write to.
    assert_problem(app.write(&ada, id, "Anyone?").await, 403, "cannot_message").await;
}

#[tokio::test]
async fn every_refusal_of_the_messages_setting_and_blocks_is_the_same_403() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let dan = app.member("dan").await;
    let eve = app.member("eve").await;
    let moderator = app.staff("moderator", "moderator").await;
    app.set_messages(&bob, "nobody").await;
    app.set_messages(&cyd, "connections").await;
    assert_eq!(app.block(&dan, "ada", Method::PUT).await, 204);

    let mut details = Vec::new();
    for to in [vec!["bob"], vec!["cyd"], vec!["dan"], vec!["eve", "bob"]] {
        let response = app.start_conversation(&ada, &to, "Hello", "Hi").await;
        let problem = assert_problem(response, 403, "cannot_message").await;
        details.push(problem["detail"].as_str().unwrap().to_string());
    }
    details.dedup();
    assert_eq!(
        details.len(),
        1,
        "one answer whatever the reason: {details:?}"
    );
    assert_eq!(app.conversations(), 0);
    let unset = app
        .send_as(
            Method::PATCH,
            "/api/v1/users/me/notification-settings",
            &bob.access_token,
            &json!({"messages": "friends"}),
        )
        .await;
    assert_problem(unset, 422, "validation_failed").await;

    // Connections: a member cyd has conversed with may start another conversation.
    assert_problem(
        app.start_conversation(&eve, &["cyd"], "Hi", "Hi").await,
        403,
        "cannot_message",
    )
    .await;
    app.conversation(&cyd, &["eve"], "From cyd").await;
    assert_eq!(
        app.start_conversation(&eve, &["cyd"], "Again", "Hi")
            .await
            .status()
            .as_u16(),
        201
    );
    // Staff reach a member whatever their setting, but not one who blocked them.
    assert_eq!(
        app.start_conversation(&moderator, &["bob"], "About your post", "Hi")
            .await
            .status()
            .as_u16(),
        201
    );
    assert_eq!(app.block(&eve, "moderator", Method::PUT).await, 204);
    assert_problem(
        app.start_conversation(&moderator, &["eve"], "Hi", "Hi")
            .await,
        403,
        "cannot_message",
    )
    .await;

    // In a conversation going on, a member who turns to `nobody` takes no more.
    let going = app.conversation(&ada, &["eve"], "Ongoing").await;
    app.written(&eve, going, "Sure").await;
    app.set_messages(&eve, "nobody").await;
    assert_problem(
        app.write(&ada, going, "One more").await,
        403,
        "cannot_message",
    )
    .await;
    app.set_messages(&eve, "connections").await;
    app.written(&ada, going, "One more").await;
    // Blocking the sender stops it too; in a group, the others still take it.
    assert_eq!(app.block(&eve, "ada", Method::PUT).await, 204);
    assert_problem(
        app.write(&ada, going, "Blocked").await,
        403,
        "cannot_message",
    )
    .await;
    let fay = app.member("fay").await;
    app.set_messages(&eve, "everyone").await;
    let group = app.conversation(&fay, &["ada", "eve"], "Group").await;
    app.written(&ada, group, "Eve blocked me but fay reads this")
        .await;
    app.told().await;
    let eves = app.inbox(&eve, "").await;
    assert!(
        eves.iter().all(|n| n["actor"]["username"] != "ada"),
        "a member who blocked the sender is told nothing: {eves:?}"
    );
}

#[tokio::test]
async fn new_accounts_start_few_conversations_a_day() {
    let app = spawn_app_with(
        |s| s.trust.new_limits.conversations_per_day = 2,
        Default::default(),
    )
    .await;
    let ada = app.member("ada").await;
    app.member("bob").await;
    let first = app.conversation(&ada, &["bob"], "One").await;
    app.conversation(&ada, &["bob"], "Two").await;
    let refused = app.start_conversation(&ada, &["bob"], "Three", "Hi").await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_problem(refused, 429, "new_account_daily_limit").await;
    assert_eq!(app.conversations(), 2);
    // Messages in conversations already going are not counted.
    for n in 0..3 {
        app.written(&ada, first, &format!("More {n}")).await;
    }
    // A member past `new` is not limited.
    app.sql(&format!(
        "UPDATE users SET trust_level = 'basic' WHERE id = {}",
        ada.id
    ));
    app.conversation(&ada, &["bob"], "Three").await;
}

#[tokio::test]
async fn messages_group_as_one_notification_count_unread_and_page_both_ways() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let id = app.conversation(&ada, &["bob"], "Paging").await;
    let mut ids = Vec::new();
    for n in 1..=4 {
        ids.push(app.written(&ada, id, &format!("Message {n}")).await);
    }
    app.told().await;
    let told = app.inbox(&bob, "").await;
    assert_eq!(told.len(), 1, "one group per conversation: {told:?}");
    assert_eq!(told[0]["kind"], "message");
    assert_eq!(told[0]["count"], 5);
    assert_eq!(told[0]["conversation_id"], id);
    assert_eq!(told[0]["message_id"], ids[3]);
    assert_eq!(told[0]["title"], "Paging");
    let one = json(
        app.get_as(&format!("/api/v1/conversations/{id}"), &bob.access_token)
            .await,
    )
    .await;
    assert_eq!(one["unread"], 5);

    // The newest page first, oldest first within it; the cursor goes back.
    let messages = format!("/conversations/{id}/messages");
    let (bodies, cursor) = app.page_of(&bob, &format!("{messages}?limit=2")).await;
    assert_eq!(bodies, ["Message 3", "Message 4"]);
    let cursor = cursor.as_str().unwrap().to_string();
    let (bodies, cursor) = app
        .page_of(&bob, &format!("{messages}?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(bodies, ["Message 1", "Message 2"]);
    let cursor = cursor.as_str().unwrap().to_string();
    let (bodies, cursor) = app
        .page_of(&bob, &format!("{messages}?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(bodies[0], "Hello there");
    assert_eq!(cursor, Value::Null);
    // What came after a message.
    let (bodies, _) = app
        .page_of(&bob, &format!("{messages}?after={}", ids[1]))
        .await;
    assert_eq!(bodies, ["Message 3", "Message 4"]);

    // Reading clears the count and the notification.
    assert_eq!(
        app.post_as(
            &format!("/api/v1/conversations/{id}/read"),
            &bob.access_token
        )
        .await
        .status()
        .as_u16(),
        204
    );
    let one = json(
        app.get_as(&format!("/api/v1/conversations/{id}"), &bob.access_token)
            .await,
    )
    .await;
    assert_eq!(one["unread"], 0);
    assert_eq!(app.unread(&bob).await, 0);
    // A new message starts a new group.
    app.written(&ada, id, "After you read").await;
    app.told().await;
    let told = app.inbox(&bob, "?unread=true").await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["count"], 1);

    // The inbox: newest activity first, in pages.
    let cyd = app.member("cyd").await;
    let other = app.conversation(&cyd, &["bob"], "Newer").await;
    let first = json(
        app.get_as("/api/v1/conversations?limit=1", &bob.access_token)
            .await,
    )
    .await;
    assert_eq!(first["items"][0]["id"], other);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = json(
        app.get_as(
            &format!("/api/v1/conversations?limit=1&cursor={cursor}"),
            &bob.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(second["items"][0]["id"], id);
    assert_eq!(second["next_cursor"], Value::Null);
    // Writing in the older one brings it to the top.
    app.written(&ada, id, "Bump").await;
    let top = json(
        app.get_as("/api/v1/conversations?limit=1", &bob.access_token)
            .await,
    )
    .await;
    assert_eq!(top["items"][0]["id"], id);
    assert_problem(
        app.get_as("/api/v1/conversations?cursor=garbage", &bob.access_token)
            .await,
        400,
        "invalid_cursor",
    )
    .await;
}

#[tokio::test]
async fn a_message_mails_its_reader_with_a_link_to_the_conversation() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let response = app
        .send_as(
            Method::PATCH,
            "/api/v1/users/me/notification-settings",
            &bob.access_token,
            &json!({"email": "always"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let id = app.conversation(&ada, &["bob"], "Code review").await;
    let email = mail
        .wait_for_subject(&bob.email, "Code review", MAIL_WAIT)
        .await;
    assert!(email.text.contains("Hello there"), "{}", email.text);
    assert!(
        email.text.contains(&format!("/messages/{id}")),
        "{}",
        email.text
    );
    assert!(!email.text.contains(&ada.email), "no address is shared");
}

#[tokio::test]
async fn accepting_a_mentorship_request_opens_exactly_one_conversation_even_when_accepted_twice_at_once(
) {
    let app = spawn_app().await;
    let mentor = app.member("grace").await;
    let mentee = app.member("ada").await;
    let profile = json!({
        "headline": "Compilers", "bio": "Ask me.", "skills": ["Rust"], "languages": ["en"],
        "timezone": "UTC", "capacity": 3, "accepting_requests": true,
    });
    let response = app
        .send_as(
            Method::PUT,
            "/api/v1/mentors/me",
            &mentor.access_token,
            &profile,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    // A mentee who takes messages from connections only: a mentor is one.
    app.set_messages(&mentee, "connections").await;
    let ask = |message: &'static str| {
        let (app, token) = (&app, mentee.access_token.clone());
        async move {
            let body =
                json!({"mentor": "grace", "message": message, "goals": "Ship my first crate."});
            app.send_as(Method::POST, "/api/v1/mentorship-requests", &token, &body)
                .await
        }
    };
    let request = json(ask("Hi! I am learning Rust.").await).await;
    let request_id = request["id"].as_i64().unwrap();
    assert_eq!(request["conversation_id"], Value::Null);

    let accept = format!("/api/v1/mentorship-requests/{request_id}/accept");
    let (one, two) = tokio::join!(
        app.post_as(&accept, &mentor.access_token),
        app.post_as(&accept, &mentor.access_token)
    );
    let mut statuses = [one.status().as_u16(), two.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    assert_eq!(app.conversations(), 1);
    let accepted = json(
        app.get_as(
            &format!("/api/v1/mentorship-requests/{request_id}"),
            &mentee.access_token,
        )
        .await,
    )
    .await;
    let conversation = accepted["conversation_id"]
        .as_i64()
        .expect("a conversation");

    // Its first message is the request, by the mentee; the mentor has read it.
    let bodies = app.bodies(&mentor, conversation).await;
    assert_eq!(
        bodies,
        ["Hi! I am learning Rust.\n\n**Goals**\n\nShip my first crate."]
    );
    let mentors = json(
        app.get_as(
            &format!("/api/v1/conversations/{conversation}"),
            &mentor.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(mentors["unread"], 0);
    assert_eq!(mentors["mentorship"], true);

    // They talk; completing the mentorship leaves the conversation as it was.
    app.written(&mentor, conversation, "Welcome! What are you building?")
        .await;
    app.written(&mentee, conversation, "A CLI for my notes.")
        .await;
    let complete = format!("/api/v1/mentorship-requests/{request_id}/complete");
    assert_eq!(
        app.post_as(&complete, &mentee.access_token)
            .await
            .status()
            .as_u16(),
        200
    );
    app.written(&mentor, conversation, "How did it go?").await;

    // A new request of the same pair, once accepted, goes on in the same conversation.
    let again = json(ask("Could we meet again?").await).await;
    let again_id = again["id"].as_i64().unwrap();
    let accepted = json(
        app.post_as(
            &format!("/api/v1/mentorship-requests/{again_id}/accept"),
            &mentor.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(accepted["conversation_id"], conversation);
    assert_eq!(app.conversations(), 1);
    let bodies = app.bodies(&mentee, conversation).await;
    assert_eq!(bodies.len(), 5);
    assert!(bodies[4].starts_with("Could we meet again?"));
}

#[tokio::test]
async fn a_report_shows_staff_the_reported_message_alone_and_the_log_says_who_looked() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("moderator", "moderator").await;
    let id = app.conversation(&ada, &["bob"], "Private matters").await;
    app.written(&ada, id, "A SECRET BEFORE").await;
    let bad = app.written(&ada, id, "Buy cheap watches").await;
    app.written(&ada, id, "A SECRET AFTER").await;

    let report = |body: Value| {
        let (app, token) = (&app, bob.access_token.clone());
        async move {
            let path = format!("/api/v1/conversations/{id}/report");
            app.send_as(Method::POST, &path, &token, &body).await
        }
    };
    // Bad input first: nothing is filed.
    assert_problem(
        report(json!({"reason": "spam", "message_id": 999999})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        report(json!({"reason": "spam", "message_id": "x"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        report(json!({"reason": "rude"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(report(json!({})).await, 422, "validation_failed").await;
    assert_eq!(app.count("SELECT count(*) AS n FROM reports"), 0);
    let own = app
        .send_as(
            Method::POST,
            &format!("/api/v1/conversations/{id}/report"),
            &ada.access_token,
            &json!({"reason": "spam"}),
        )
        .await;
    assert_problem(own, 422, "validation_failed").await;

    let filed =
        report(json!({"reason": "spam", "message_id": bad, "details": "Spam in my inbox"})).await;
    assert_eq!(filed.status().as_u16(), 201);
    assert_problem(
        report(json!({"reason": "spam", "message_id": bad})).await,
        409,
        "report_exists",
    )
    .await;

    let queue = app
        .get_as("/api/v1/mod/reports", &moderator.access_token)
        .await;
    let text = queue.text().await.unwrap();
    let queue: Value = serde_json::from_str(&text).unwrap();
    let item = &queue["items"][0];
    assert_eq!(item["target_type"], "message");
    assert_eq!(item["target_id"], bad);
    assert_eq!(item["target"]["body"], "Buy cheap watches");
    assert_eq!(item["target"]["author"]["username"], "ada");
    for private in ["A SECRET BEFORE", "A SECRET AFTER", "Hello there"] {
        assert!(!text.contains(private), "the queue shows {private}");
    }
    // Looking is logged once per moderator and message.
    app.get_as("/api/v1/mod/reports", &moderator.access_token)
        .await;
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM moderation_log WHERE action = 'view_message' \
             AND actor_id = {} AND target_type = 'message' AND target_id = {bad}",
            moderator.id
        )),
        1
    );
    // The conversation itself stays closed to staff.
    assert_problem(
        app.get_as(
            &format!("/api/v1/conversations/{id}/messages"),
            &moderator.access_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // Hiding it takes it out of the conversation (and the author is told), as with replies.
    let report_id = queue["items"][0]["id"].as_i64().unwrap();
    let resolved = app
        .send_as(
            Method::POST,
            &format!("/api/v1/mod/reports/{report_id}/resolve"),
            &moderator.access_token,
            &json!({"action": "hide"}),
        )
        .await;
    assert_eq!(resolved.status().as_u16(), 200);
    for member in [&ada, &bob] {
        let bodies = app.bodies(member, id).await;
        assert!(
            !bodies.contains(&"Buy cheap watches".to_string()),
            "{bodies:?}"
        );
        assert_eq!(bodies.len(), 3);
    }
    assert!(app
        .inbox_kinds(&ada)
        .await
        .contains(&"content_hidden".to_string()));
}

#[tokio::test]
async fn deleting_an_account_keeps_the_others_messages_under_a_reference() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let id = app.conversation(&ada, &["bob"], "Before I go").await;
    app.written(&bob, id, "Bob's answer").await;
    let deleted = app
        .send_as(
            Method::DELETE,
            "/api/v1/users/me",
            &ada.access_token,
            &json!({"password": crate::helpers::PASSWORD}),
        )
        .await;
    assert_eq!(deleted.status().as_u16(), 204);

    let page = json(
        app.get_as(
            &format!("/api/v1/conversations/{id}/messages"),
            &bob.access_token,
        )
        .await,
    )
    .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["body"], "Bob's answer");
    let author = items[0]["author"]["username"].as_str().unwrap();
    assert!(author.starts_with("deleted-"), "{author}");
    assert_eq!(items[0]["body"], "Hello there");
    let conversation = json(
        app.get_as(&format!("/api/v1/conversations/{id}"), &bob.access_token)
            .await,
    )
    .await;
    let names: Vec<&str> = conversation["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bob"], "the erased member left");
    assert_eq!(
        app.count(&format!("SELECT count(*) AS n FROM conversation_participants WHERE user_id = {} AND left_at IS NULL", ada.id)),
        0
    );
}

#[tokio::test]
async fn a_new_message_reaches_a_stream_on_another_server() {
    let app = spawn_app().await;
    let (other, _shutdown) = second_server(&app).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let id = app.conversation(&ada, &["bob"], "Live").await;
    app.told().await;
    let mut stream = EventReader::open(&other, &app.client, &bob, None).await;
    assert_eq!(stream.next_named("unread").await.data, json!({"unread": 1}));

    // Written through the first server: the open page on the second hears of it.
    let message = app.written(&ada, id, "Are you there?").await;
    let told = stream.next_named("notification").await;
    assert_eq!(told.data["kind"], "message");
    assert_eq!(told.data["conversation_id"], id);
    assert_eq!(told.data["message_id"], message);
    assert_eq!(told.data["count"], 2);
    let response = app
        .get_as(
            &format!("/api/v1/conversations/{id}/messages?after={}", message - 1),
            &bob.access_token,
        )
        .await;
    assert_eq!(json(response).await["items"][0]["body"], "Are you there?");
    // Reading the conversation clears the badge on the stream.
    app.post_as(
        &format!("/api/v1/conversations/{id}/read"),
        &bob.access_token,
    )
    .await;
    let cleared = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if stream.next_named("unread").await.data == json!({"unread": 0}) {
                break;
            }
        }
    })
    .await;
    assert!(cleared.is_ok());
}

#[tokio::test]
async fn messages_written_at_once_by_both_sides_all_arrive_and_count_once_each() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let id = app.conversation(&ada, &["bob"], "Busy").await;
    let writes = (0..20).map(|n| {
        let (app, from) = (&app, if n % 2 == 0 { &ada } else { &bob });
        async move {
            app.write(from, id, &format!("At once {n}"))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(writes).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM messages WHERE conversation_id = {id}"
        )),
        21
    );
    // Each side's group counts exactly the other's messages.
    app.told().await;
    let adas = app.inbox(&ada, "").await;
    assert_eq!(adas.len(), 1);
    assert_eq!(adas[0]["count"], 10);
    let bobs = app.inbox(&bob, "").await;
    assert_eq!(bobs[0]["count"], 11);
    let last = app.count(&format!(
        "SELECT max(id) AS n FROM messages WHERE conversation_id = {id}"
    ));
    assert_eq!(
        app.count(&format!(
            "SELECT last_message_id AS n FROM conversations WHERE id = {id}"
        )),
        last
    );
}
