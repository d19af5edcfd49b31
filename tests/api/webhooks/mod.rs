//! Webhooks (issue 45): admins' hooks, the outbox, signed deliveries verified by the Standard
//! Webhooks reference library, retries with the same id, turning off, privacy, isolation.
//! Receivers are local servers (`receiver.rs`) on loopback ports the test allows.

mod receiver;

use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{json, spawn_app_beside, spawn_app_with, wait_until, TestApp, TestUser};
use crate::mail::{spawn_app_with_mail_and, MailServer};
use crate::support::a_thread;
use devforum::startup::BuildOptions;
use receiver::{Answer, Receiver};

const WAIT: Duration = Duration::from_secs(15);

async fn app_for(receivers: &[&Receiver]) -> TestApp {
    let hosts: Vec<String> = receivers.iter().map(|r| r.host()).collect();
    spawn_app_with(
        move |s| {
            s.webhooks.allow_hosts = hosts;
            s.web.base_url = "https://forum.example".into();
        },
        BuildOptions::default(),
    )
    .await
}

/// Makes a hook; its id and secret.
async fn hook(app: &TestApp, admin: &TestUser, body: Value) -> (i64, String) {
    let response = app
        .send_as(
            Method::POST,
            "/api/v1/admin/webhooks",
            &admin.access_token,
            &body,
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let created = json(response).await;
    (
        created["webhook"]["id"].as_i64().expect("id"),
        created["secret"].as_str().expect("secret").to_string(),
    )
}

async fn deliveries(app: &TestApp, admin: &TestUser, hook: i64) -> Vec<Value> {
    let response = app
        .get_as(
            &format!("/api/v1/admin/webhooks/{hook}/deliveries"),
            &admin.access_token,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    json(response).await["items"]
        .as_array()
        .expect("items")
        .clone()
}

async fn ping(app: &TestApp, admin: &TestUser, hook: i64) -> Value {
    let response = app
        .post_as(
            &format!("/api/v1/admin/webhooks/{hook}/test"),
            &admin.access_token,
        )
        .await;
    assert_eq!(response.status().as_u16(), 202);
    json(response).await
}

fn hook_field(app: &TestApp, hook: i64, column: &str) -> String {
    #[derive(QueryableByName)]
    struct Value {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        v: Option<String>,
    }
    diesel::sql_query(format!(
        "SELECT {column}::text AS v FROM webhooks WHERE id = {hook}"
    ))
    .get_result::<Value>(&mut app.conn())
    .expect("hook")
    .v
    .unwrap_or_default()
}

#[tokio::test]
async fn admins_manage_hooks_whose_secret_is_shown_once_and_everyone_else_is_refused() {
    let receiver = Receiver::start(&[]).await;
    let app = app_for(&[&receiver]).await;
    let admin = app.staff("root", "admin").await;
    let moderator = app.staff("mod", "moderator").await;
    let member = app.member("ada").await;
    let body = json!({ "url": receiver.url(), "events": ["thread.created"], "format": "standard",
                       "description": "CI announcements" });

    let (id, secret) = hook(&app, &admin, body.clone()).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let listed = json(
        app.get_as("/api/v1/admin/webhooks", &admin.access_token)
            .await,
    )
    .await;
    assert_eq!(listed["items"][0]["id"], id);
    assert_eq!(listed["items"][0]["events"], json!(["thread.created"]));
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once"
    );
    let one = json(
        app.get_as(&format!("/api/v1/admin/webhooks/{id}"), &admin.access_token)
            .await,
    )
    .await;
    assert_eq!(one["description"], "CI announcements");
    assert!(!one.to_string().contains(&secret));

    // Changing it; turning it off.
    let changed = json(
        app.send_as(
            Method::PATCH,
            &format!("/api/v1/admin/webhooks/{id}"),
            &admin.access_token,
            &json!({ "events": ["thread.created", "reply.created"], "active": false }),
        )
        .await,
    )
    .await;
    assert_eq!(changed["active"], false);
    assert_eq!(
        changed["events"],
        json!(["thread.created", "reply.created"])
    );
    // A rotated secret is new, and shown once.
    let rotated = json(
        app.post_as(
            &format!("/api/v1/admin/webhooks/{id}/rotate-secret"),
            &admin.access_token,
        )
        .await,
    )
    .await;
    assert_ne!(rotated["secret"], json!(secret));
    assert!(rotated["webhook"]["previous_secret_until"].is_string());

    // Refusals: who, which hook, what.
    let path = "/api/v1/admin/webhooks";
    for (token, status, code) in [
        (None, 401, "unauthorized"),
        (Some(member.access_token.as_str()), 403, "insufficient_role"),
        (
            Some(moderator.access_token.as_str()),
            403,
            "insufficient_role",
        ),
    ] {
        app.assert_refusals(
            Method::POST,
            path,
            token,
            &[(Some(body.clone()), status, code, None)],
        )
        .await;
        app.assert_refusals(Method::GET, path, token, &[(None, status, code, None)])
            .await;
    }
    let not_allowed = format!("http://127.0.0.1:{}/hook", receiver.port + 1);
    app.assert_refusals(
        Method::POST,
        path,
        Some(&admin.access_token),
        &[
            (Some(json!({ "events": ["ping"], "format": "standard" })), 422, "validation_failed", Some("url")),
            (Some(json!({ "url": "ftp://x.example", "events": ["ping"], "format": "standard" })), 422, "validation_failed", Some("url")),
            // Loopback on a port nobody allowed: the address rule, at creation.
            (Some(json!({ "url": not_allowed, "events": ["ping"], "format": "standard" })), 422, "validation_failed", Some("url")),
            (Some(json!({ "url": receiver.url(), "events": [], "format": "standard" })), 422, "validation_failed", Some("events")),
            (Some(json!({ "url": receiver.url(), "events": ["thread.deleted"], "format": "standard" })), 422, "validation_failed", Some("events")),
            // Staff work goes to staff hooks only.
            (Some(json!({ "url": receiver.url(), "events": ["report.created"], "format": "standard" })), 422, "validation_failed", Some("events")),
            (Some(json!({ "url": receiver.url(), "events": ["ping"], "format": "teams" })), 422, "validation_failed", Some("format")),
            (Some(json!({ "url": receiver.url(), "events": ["ping"], "format": "standard", "colour": 1 })), 422, "validation_failed", None),
        ],
    )
    .await;
    app.assert_refusals(
        Method::PATCH,
        &format!("{path}/{id}"),
        Some(&admin.access_token),
        &[
            (
                Some(json!({ "events": ["moderation.action"] })),
                422,
                "validation_failed",
                Some("events"),
            ),
            (
                Some(json!({ "url": not_allowed })),
                422,
                "validation_failed",
                Some("url"),
            ),
        ],
    )
    .await;
    for (method, unknown) in [
        (Method::GET, format!("{path}/999999")),
        (Method::DELETE, format!("{path}/999999")),
        (Method::POST, format!("{path}/999999/test")),
        (Method::POST, format!("{path}/999999/rotate-secret")),
        (Method::GET, format!("{path}/999999/deliveries")),
        (Method::POST, format!("{path}/{id}/deliveries/999999/retry")),
    ] {
        app.assert_refusals(
            method,
            &unknown,
            Some(&admin.access_token),
            &[(None, 404, "not_found", None)],
        )
        .await;
    }
    app.assert_refusals(
        Method::PATCH,
        &format!("{path}/999999"),
        Some(&admin.access_token),
        &[(Some(json!({ "active": true })), 404, "not_found", None)],
    )
    .await;
    // A hook that is off takes no ping.
    app.assert_refusals(
        Method::POST,
        &format!("{path}/{id}/test"),
        Some(&admin.access_token),
        &[(None, 409, "webhook_inactive", None)],
    )
    .await;
    app.assert_refusals(
        Method::GET,
        &format!("{path}/{id}/deliveries?limit=0"),
        Some(&admin.access_token),
        &[(None, 422, "validation_failed", Some("limit"))],
    )
    .await;
    app.assert_refusals(
        Method::GET,
        &format!("{path}/{id}/deliveries?cursor=nonsense"),
        Some(&admin.access_token),
        &[(None, 400, "invalid_cursor", None)],
    )
    .await;

    let deleted = app
        .call(
            Method::DELETE,
            &format!("{path}/{id}"),
            Some(&admin.access_token),
            None,
        )
        .await;
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(app.count("SELECT count(*) AS n FROM webhooks"), 0);
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn a_thread_and_a_reply_reach_a_standard_hook_signed_as_the_specification_says() {
    let receiver = Receiver::start(&[]).await;
    let app = app_for(&[&receiver]).await;
    let admin = app.staff("root", "admin").await;
    let ada = app.member("ada").await;
    let (id, secret) = hook(
        &app,
        &admin,
        json!({ "url": receiver.url(), "events": ["thread.created", "reply.created"], "format": "standard" }),
    )
    .await;

    let thread = a_thread(&app, &ada)
        .titled("Why does my build fail?")
        .body("It fails with **E0502**.")
        .create()
        .await;
    let reply = app
        .send_as(
            Method::POST,
            &format!("/api/v1/threads/{thread}/replies"),
            &ada.access_token,
            &json!({ "body": "Found it: a borrow across an await." }),
        )
        .await;
    assert_eq!(reply.status().as_u16(), 201);
    let reply_id = json(reply).await["id"].as_i64().expect("id");

    let received = receiver.wait_for(2, WAIT).await;
    let mut by_type = std::collections::HashMap::new();
    for request in &received {
        // The reference library accepts the signature, id and timestamp.
        request
            .verify(&secret)
            .expect("a valid Standard Webhooks signature");
        assert!(request
            .header("webhook-id")
            .expect("id")
            .starts_with("msg_"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        let body = request.json();
        by_type.insert(
            body["type"].as_str().expect("type").to_string(),
            body.clone(),
        );
        // Nothing a visitor could not see: no address.
        assert!(
            !String::from_utf8_lossy(&request.body).contains("@example.com"),
            "{body}"
        );
    }
    let created = &by_type["thread.created"]["data"]["thread"];
    assert_eq!(created["id"], thread);
    assert_eq!(created["title"], "Why does my build fail?");
    assert_eq!(
        created["url"],
        format!("https://forum.example/t/{thread}/why-does-my-build-fail")
    );
    assert_eq!(created["author"]["username"], "ada");
    assert!(created["excerpt"]
        .as_str()
        .expect("excerpt")
        .contains("E0502"));
    let replied = &by_type["reply.created"]["data"];
    assert_eq!(replied["thread"]["id"], thread);
    assert_eq!(replied["reply"]["id"], reply_id);
    assert!(replied["reply"]["url"]
        .as_str()
        .expect("url")
        .ends_with(&format!("#reply-{reply_id}")));

    // The log says so.
    assert!(
        wait_until(WAIT, || app.count(&format!(
            "SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = {id} AND status = 'delivered'"
        )) == 2)
        .await
    );
    let log = deliveries(&app, &admin, id).await;
    assert_eq!(log.len(), 2);
    for line in &log {
        assert_eq!(line["status"], "delivered");
        assert_eq!(line["attempts"], 1);
        assert_eq!(line["response_status"], 200);
        assert_eq!(line["response_body"], "answered 200");
    }
    // A verified thread's events beyond what the hook listens to are not sent.
    let meetups = app.count("SELECT count(*) AS n FROM webhook_events WHERE type LIKE 'meetup.%'");
    assert_eq!(meetups, 0);
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_the_same_webhook_id_and_an_admin_can_send_it_again() {
    let receiver = Receiver::start(&[Answer::Status(500)]).await;
    let app = app_for(&[&receiver]).await;
    let admin = app.staff("root", "admin").await;
    let (id, secret) = hook(
        &app,
        &admin,
        json!({ "url": receiver.url(), "events": ["thread.created"], "format": "standard" }),
    )
    .await;
    let queued = ping(&app, &admin, id).await;
    assert_eq!(queued["event"], "ping");
    assert_eq!(queued["status"], "pending");

    let received = receiver.wait_for(2, WAIT).await;
    assert_eq!(
        received[0].header("webhook-id"),
        received[1].header("webhook-id")
    );
    assert_eq!(
        received[0].body, received[1].body,
        "the same body each time"
    );
    received[1].verify(&secret).expect("signed");
    assert_eq!(received[1].json()["type"], "ping");
    assert!(
        wait_until(WAIT, || app.count(&format!(
            "SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = {id} \
             AND status = 'delivered' AND attempts = 2 AND response_status = 200"
        )) == 1)
        .await
    );
    assert!(
        hook_field(&app, id, "failing_since").is_empty(),
        "a success ends the streak"
    );

    // Sent again by hand: the same id once more.
    let delivery = deliveries(&app, &admin, id).await[0]["id"]
        .as_i64()
        .expect("id");
    let again = app
        .post_as(
            &format!("/api/v1/admin/webhooks/{id}/deliveries/{delivery}/retry"),
            &admin.access_token,
        )
        .await;
    assert_eq!(again.status().as_u16(), 202);
    let received = receiver.wait_for(3, WAIT).await;
    assert_eq!(
        received[2].header("webhook-id"),
        received[0].header("webhook-id")
    );
}

#[tokio::test]
async fn a_410_turns_the_hook_off_and_its_admins_are_told_in_the_app_and_by_mail() {
    let mail = MailServer::start();
    let receiver = Receiver::start(&[Answer::Status(410)]).await;
    let host = receiver.host();
    let app = spawn_app_with_mail_and(&mail, move |s| s.webhooks.allow_hosts = vec![host]).await;
    let admin = app.staff("root", "admin").await;
    app.sql(&format!(
        "UPDATE users SET email_notifications = 'always' WHERE id = {}",
        admin.id
    ));
    let (id, _) = hook(
        &app,
        &admin,
        json!({ "url": receiver.url(), "events": ["thread.created"], "format": "slack" }),
    )
    .await;
    ping(&app, &admin, id).await;
    receiver.wait_for(1, WAIT).await;
    assert!(wait_until(WAIT, || hook_field(&app, id, "active") == "false").await);
    assert_eq!(hook_field(&app, id, "disabled_reason"), "gone");
    let notifications = json(
        app.get_as("/api/v1/notifications", &admin.access_token)
            .await,
    )
    .await;
    assert_eq!(
        notifications["items"][0]["kind"], "webhook_disabled",
        "{notifications}"
    );
    let email = mail
        .wait_for_subject(&admin.email, "webhook", Duration::from_secs(20))
        .await;
    assert!(email.text.contains(&receiver.url()), "{}", email.text);
    assert!(email.text.contains("410"), "{}", email.text);
    // Nothing more is sent to it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn a_hook_failing_for_a_day_without_a_success_is_turned_off() {
    let receiver = Receiver::start(&[Answer::Status(500), Answer::Status(500)]).await;
    let app = app_for(&[&receiver]).await;
    let admin = app.staff("root", "admin").await;
    let (id, _) = hook(
        &app,
        &admin,
        json!({ "url": receiver.url(), "events": ["thread.created"], "format": "discord" }),
    )
    .await;
    // Its first failure: the streak starts, the hook stays on.
    ping(&app, &admin, id).await;
    receiver.wait_for(1, WAIT).await;
    assert!(wait_until(WAIT, || !hook_field(&app, id, "failing_since").is_empty()).await);
    assert_eq!(hook_field(&app, id, "active"), "true");
    // A day has passed since (the time is in the data, never slept): the next failure ends it.
    app.sql(&format!(
        "UPDATE webhooks SET failing_since = now() - interval '25 hours' WHERE id = {id}"
    ));
    receiver.wait_for(2, WAIT).await;
    assert!(wait_until(WAIT, || hook_field(&app, id, "active") == "false").await);
    assert_eq!(hook_field(&app, id, "disabled_reason"), "failing");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM notifications WHERE kind = 'webhook_disabled'"),
        1
    );
    let line = &deliveries(&app, &admin, id).await[0];
    assert_eq!(line["status"], "failed");
    assert_eq!(line["response_status"], 500);

    // Turned on again, it starts afresh.
    let on = json(
        app.send_as(
            Method::PATCH,
            &format!("/api/v1/admin/webhooks/{id}"),
            &admin.access_token,
            &json!({ "active": true }),
        )
        .await,
    )
    .await;
    assert_eq!(on["active"], true);
    assert!(
        on["disabled_reason"].is_null() && on["failing_since"].is_null(),
        "{on}"
    );
}

#[tokio::test]
async fn payloads_carry_only_what_a_visitor_sees_and_staff_events_only_reach_staff_hooks() {
    let receiver = Receiver::start(&[]).await;
    let app = app_for(&[&receiver]).await;
    let admin = app.staff("root", "admin").await;
    let ada = app.member("ada").await;
    let (public_hook, _) = hook(
        &app,
        &admin,
        json!({ "url": receiver.url(), "events": ["reply.created", "thread.created"], "format": "standard" }),
    )
    .await;
    let thread = a_thread(&app, &ada).create().await;
    receiver.wait_for(1, WAIT).await;

    // A reply hidden before its event is fanned out sends nothing.
    let reply = json(
        app.send_as(
            Method::POST,
            &format!("/api/v1/threads/{thread}/replies"),
            &ada.access_token,
            &json!({ "body": "a reply moderators will hide" }),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("id");
    receiver.wait_for(2, WAIT).await;
    app.sql(&format!(
        "UPDATE replies SET hidden = true WHERE id = {reply}"
    ));
    app.sql(&format!(
        "DELETE FROM webhook_events WHERE source = 'reply.created:{reply}'"
    ));
    let links = devforum::webhooks::payloads::Links::new("https://forum.example");
    let sent = devforum::webhooks::service::fan_out(
        &mut app.conn(),
        &links,
        devforum::webhooks::domain::EventType::ReplyCreated,
        reply,
        Utc::now(),
    )
    .expect("fan out");
    assert!(sent.is_empty(), "a hidden reply goes nowhere");
    // So does a deleted thread.
    app.sql(&format!(
        "UPDATE threads SET deleted_at = now() WHERE id = {thread}"
    ));
    app.sql(&format!(
        "DELETE FROM webhook_events WHERE source = 'thread.created:{thread}'"
    ));
    let sent = devforum::webhooks::service::fan_out(
        &mut app.conn(),
        &links,
        devforum::webhooks::domain::EventType::ThreadCreated,
        thread,
        Utc::now(),
    )
    .expect("fan out");
    assert!(sent.is_empty(), "a deleted thread goes nowhere");
    assert_eq!(receiver.received().len(), 2);

    // A report reaches the staff hook and never the public one.
    let staff_receiver = Receiver::start(&[]).await;
    let app2 = app_for(&[&receiver, &staff_receiver]).await;
    let admin2 = app2.staff("root", "admin").await;
    let bob = app2.member("bob").await;
    let carol = app2.member("carol").await;
    hook(
        &app2,
        &admin2,
        json!({ "url": receiver.url(), "events": ["thread.created"], "format": "standard" }),
    )
    .await;
    let (_, staff_secret) = hook(
        &app2,
        &admin2,
        json!({ "url": staff_receiver.url(), "events": ["report.created", "moderation.action"],
                "format": "standard", "staff": true }),
    )
    .await;
    let before = receiver.received().len();
    let reported = a_thread(&app2, &bob)
        .titled("Buy cheap watches")
        .create()
        .await;
    receiver.wait_for(before + 1, WAIT).await;
    let report = app2
        .send_as(
            Method::POST,
            "/api/v1/reports",
            &carol.access_token,
            &json!({ "target_type": "thread", "target_id": reported, "reason": "spam",
                     "details": "carol@example.com says: it is spam" }),
        )
        .await;
    assert_eq!(
        report.status().as_u16(),
        201,
        "{}",
        report.text().await.unwrap_or_default()
    );
    let staff_got = staff_receiver.wait_for(1, WAIT).await;
    staff_got[0].verify(&staff_secret).expect("signed");
    let body = staff_got[0].json();
    assert_eq!(body["type"], "report.created");
    assert_eq!(
        body["data"]["report"]["target"],
        json!({ "type": "thread", "id": reported })
    );
    assert_eq!(body["data"]["report"]["reason"], "spam");
    assert!(
        !body.to_string().contains("carol"),
        "no reporter, no details: {body}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(receiver
        .received()
        .iter()
        .all(|r| r.json()["type"] != "report.created"));
    let _ = public_hook;
}

#[tokio::test]
async fn the_outbox_is_the_changes_own_transaction_and_empty_without_listeners() {
    let app = spawn_app_with(
        |_| {},
        BuildOptions {
            jobs: Some(devforum::jobs::JobRegistry::new()),
            ..Default::default()
        },
    )
    .await;
    let ada = app.member("ada").await;
    let events = "SELECT count(*) AS n FROM jobs WHERE kind = 'webhooks.event'";
    // No hook listens: a new thread writes nothing for webhooks.
    a_thread(&app, &ada).create().await;
    assert_eq!(app.count(events), 0);
    app.sql(
        "INSERT INTO webhooks (url, events, format, secret) \
         VALUES ('https://hooks.example/x', ARRAY['thread.created'], 'standard', 'whsec_AAAA')",
    );
    // A change rolled back after its event was written leaves no event.
    let mut conn = app.conn();
    let rolled_back = conn.transaction::<(), diesel::result::Error, _>(|conn| {
        diesel::sql_query(format!(
            "INSERT INTO threads (author_id, title, body, body_html, excerpt) \
             VALUES ({}, 'never', 'never', '<p>never</p>', 'never')",
            ada.id
        ))
        .execute(conn)?;
        let written: i64 = diesel::sql_query(events)
            .get_result::<devforum::db::Count>(conn)?
            .n;
        assert_eq!(written, 1, "the event is written with the change");
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(rolled_back.is_err());
    assert_eq!(app.count(events), 0);
    // Committed, it stays: through the API as well.
    a_thread(&app, &ada).create().await;
    assert_eq!(app.count(events), 1);
}

#[tokio::test]
async fn a_sender_that_dies_mid_delivery_leaves_it_to_be_sent_again_with_the_same_id() {
    let receiver = Receiver::start(&[]).await;
    let host = receiver.host();
    // The first process runs no jobs: the test plays its worker, and dies after sending.
    let first = spawn_app_with(
        move |s| s.webhooks.allow_hosts = vec![host],
        BuildOptions {
            jobs: Some(devforum::jobs::JobRegistry::new()),
            ..Default::default()
        },
    )
    .await;
    let admin = first.staff("root", "admin").await;
    let (id, secret) = hook(
        &first,
        &admin,
        json!({ "url": receiver.url(), "events": ["thread.created"], "format": "standard" }),
    )
    .await;
    ping(&first, &admin, id).await;
    let mut settings = crate::helpers::test_settings(&first.db.url);
    settings.webhooks.allow_hosts = vec![receiver.host()];
    let sender = devforum::webhooks::delivery::Sender::new(&settings);
    let claimed =
        devforum::webhooks::model::claim_next(&mut first.conn(), devforum::ids::WebhookId(id), 2)
            .expect("claim")
            .expect("a due delivery");
    let sent = devforum::webhooks::delivery::attempt(&sender, &claimed).await;
    assert_eq!(sent.status, Some(200));
    // …and the sender dies here, before recording it. Another process takes over.
    let host = receiver.host();
    let second = spawn_app_beside(&first, move |s| s.webhooks.allow_hosts = vec![host]).await;
    first.stop().await.expect("stop");
    let received = receiver.wait_for(2, WAIT).await;
    assert_eq!(
        received[0].header("webhook-id"),
        received[1].header("webhook-id")
    );
    received[1].verify(&secret).expect("signed");
    assert!(
        wait_until(WAIT, || second.count(&format!(
            "SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = {id} \
             AND status = 'delivered' AND attempts = 2"
        )) == 1)
        .await
    );
}

#[tokio::test]
async fn a_slow_receiver_delays_no_other_hook() {
    let slow = Receiver::start(&[Answer::Hang, Answer::Hang, Answer::Hang]).await;
    let quick = Receiver::start(&[]).await;
    let app = app_for(&[&slow, &quick]).await;
    let admin = app.staff("root", "admin").await;
    let ada = app.member("ada").await;
    for receiver in [&slow, &quick] {
        hook(
            &app,
            &admin,
            json!({ "url": receiver.url(), "events": ["thread.created"], "format": "standard" }),
        )
        .await;
    }
    let started = std::time::Instant::now();
    for title in ["Thread one", "Thread two", "Thread three"] {
        a_thread(&app, &ada).titled(title).create().await;
    }
    quick.wait_for(3, WAIT).await;
    // The slow hook's three attempts take 2 s each, one after another; the quick one's
    // deliveries did not wait for them.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the quick hook waited {:?}",
        started.elapsed()
    );
    assert!(
        slow.received().len() <= 2,
        "the slow hook's deliveries go one at a time"
    );
}

#[tokio::test]
async fn an_address_that_turned_private_since_the_hook_was_saved_is_refused_at_delivery() {
    let receiver = Receiver::start(&[]).await;
    let app = app_for(&[&receiver]).await;
    let admin = app.staff("root", "admin").await;
    let (id, _) = hook(
        &app,
        &admin,
        json!({ "url": receiver.url(), "events": ["thread.created"], "format": "standard" }),
    )
    .await;
    // What DNS answered when the hook was saved is no promise: here the target now is a
    // loopback port nobody allowed (as a name re-pointed at an internal address would be).
    app.sql(&format!(
        "UPDATE webhooks SET url = 'https://127.0.0.1:{}/hook' WHERE id = {id}",
        receiver.port + 1
    ));
    ping(&app, &admin, id).await;
    assert!(
        wait_until(WAIT, || app.count(&format!(
            "SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = {id} \
             AND last_error LIKE '%not public%'"
        )) == 1)
        .await,
        "{:?}",
        deliveries(&app, &admin, id).await
    );
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn discord_and_slack_hooks_get_those_services_message_formats() {
    let discord = Receiver::start(&[]).await;
    let slack = Receiver::start(&[]).await;
    let app = app_for(&[&discord, &slack]).await;
    let admin = app.staff("root", "admin").await;
    let ada = app.member("ada").await;
    for (receiver, format) in [(&discord, "discord"), (&slack, "slack")] {
        hook(
            &app,
            &admin,
            json!({ "url": receiver.url(), "events": ["thread.created"], "format": format }),
        )
        .await;
    }
    let thread = a_thread(&app, &ada)
        .titled("Lifetimes <explained>")
        .body("Borrowing & lifetimes, from the ground up.")
        .create()
        .await;
    let url = format!("https://forum.example/t/{thread}/lifetimes-explained");
    let embed = discord.wait_for(1, WAIT).await[0].json();
    assert_eq!(embed["embeds"][0]["title"], "Lifetimes <explained>");
    assert_eq!(embed["embeds"][0]["url"], url);
    assert_eq!(embed["embeds"][0]["author"]["name"], "ada");
    assert!(embed["embeds"][0]["description"]
        .as_str()
        .expect("text")
        .contains("Borrowing & lifetimes"));
    assert_eq!(embed["allowed_mentions"]["parse"], json!([]));
    let message = slack.wait_for(1, WAIT).await[0].json();
    assert_eq!(message["text"], "New thread: Lifetimes <explained>");
    let section = message["blocks"][0]["text"]["text"]
        .as_str()
        .expect("mrkdwn");
    assert!(
        section.starts_with(&format!("*<{url}|Lifetimes &lt;explained&gt;>*")),
        "{section}"
    );
}

#[tokio::test]
async fn old_deliveries_are_pruned_after_the_days_kept() {
    let receiver = Receiver::start(&[]).await;
    let app = app_for(&[&receiver]).await;
    let admin = app.staff("root", "admin").await;
    let (id, _) = hook(
        &app,
        &admin,
        json!({ "url": receiver.url(), "events": ["thread.created"], "format": "standard" }),
    )
    .await;
    ping(&app, &admin, id).await;
    ping(&app, &admin, id).await;
    receiver.wait_for(2, WAIT).await;
    app.sql(&format!(
        "UPDATE webhook_deliveries SET created_at = now() - interval '31 days' \
          WHERE id = (SELECT min(id) FROM webhook_deliveries WHERE webhook_id = {id})"
    ));
    app.sql("UPDATE webhook_events SET created_at = now() - interval '31 days'");
    let pruned =
        devforum::webhooks::service::prune(&mut app.conn(), Utc::now(), 30).expect("prune");
    assert_eq!(pruned, 1);
    assert_eq!(deliveries(&app, &admin, id).await.len(), 1);
    assert_eq!(app.count("SELECT count(*) AS n FROM webhook_events"), 1);
}
