//! Moderation and administration: the authorization matrix of every endpoint, reports and the
//! review queue, hiding and restoring, locks and pins, suspensions, roles, the append-only log
//! and the automatic hide, with emails read from a real SMTP server.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app, TestApp, TestUser};
use crate::mail::{spawn_app_with_mail, MailServer, MAIL_WAIT};

impl TestApp {
    async fn moderate(&self, user: &TestUser, path: &str) -> reqwest::Response {
        self.call(Method::POST, path, Some(&user.access_token), None)
            .await
    }

    async fn report(&self, user: &TestUser, target_type: &str, id: i64) -> reqwest::Response {
        self.call(
            Method::POST,
            "/api/v1/reports",
            Some(&user.access_token),
            Some(&json!({"target_type": target_type, "target_id": id, "reason": "spam"})),
        )
        .await
    }

    fn log_actions(&self) -> Vec<String> {
        use diesel::prelude::*;
        devforum::schema::moderation_log::table
            .order(devforum::schema::moderation_log::id.asc())
            .select(devforum::schema::moderation_log::action)
            .load(&mut self.conn())
            .expect("log")
    }
}

/// Each moderation, admin and notification operation with a body that passes validation and an unknown
/// target, and what each kind of caller gets: authorization is decided before the target is
/// looked up, so an allowed caller gets the 404 (or the 200 of a list).
fn matrix() -> Vec<(Method, &'static str, Option<Value>, [u16; 4])> {
    let hide = [401, 403, 404, 404];
    let list = [401, 403, 200, 200];
    vec![
        (
            Method::POST,
            "/api/v1/reports",
            Some(json!({"target_type": "thread", "target_id": 999999, "reason": "spam"})),
            [401, 404, 404, 404],
        ),
        (Method::GET, "/api/v1/mod/reports", None, list),
        (
            Method::POST,
            "/api/v1/mod/reports/{id}/resolve",
            Some(json!({"action": "none"})),
            hide,
        ),
        (Method::POST, "/api/v1/mod/reports/{id}/dismiss", None, hide),
        (Method::POST, "/api/v1/mod/threads/{id}/hide", None, hide),
        (Method::POST, "/api/v1/mod/threads/{id}/restore", None, hide),
        (Method::POST, "/api/v1/mod/replies/{id}/hide", None, hide),
        (Method::POST, "/api/v1/mod/replies/{id}/restore", None, hide),
        (Method::POST, "/api/v1/mod/meetups/{id}/hide", None, hide),
        (Method::POST, "/api/v1/mod/meetups/{id}/restore", None, hide),
        (Method::POST, "/api/v1/mod/threads/{id}/lock", None, hide),
        (Method::POST, "/api/v1/mod/threads/{id}/unlock", None, hide),
        (Method::POST, "/api/v1/mod/threads/{id}/pin", None, hide),
        (Method::POST, "/api/v1/mod/threads/{id}/unpin", None, hide),
        (
            Method::POST,
            "/api/v1/mod/users/{username}/suspend",
            Some(json!({"reason": "spam"})),
            hide,
        ),
        (
            Method::POST,
            "/api/v1/mod/users/{username}/unsuspend",
            None,
            hide,
        ),
        (Method::GET, "/api/v1/mod/log", None, list),
        // Appeals, trust and the busy queue.
        (
            Method::POST,
            "/api/v1/appeals",
            Some(json!({"log_id": 999999, "text": "It was not spam."})),
            [401, 404, 404, 404],
        ),
        (Method::GET, "/api/v1/mod/appeals", None, list),
        (
            Method::POST,
            "/api/v1/mod/appeals/{id}/decide",
            Some(json!({"outcome": "upheld", "note": "It stands."})),
            hide,
        ),
        (Method::POST, "/api/v1/mod/reports/{id}/claim", None, hide),
        (Method::DELETE, "/api/v1/mod/reports/{id}/claim", None, hide),
        (
            Method::POST,
            "/api/v1/mod/reports/bulk-resolve",
            Some(json!({"ids": [999999], "action": "none"})),
            hide,
        ),
        (
            Method::POST,
            "/api/v1/mod/users/{username}/hide-content",
            Some(json!({"since": "2026-01-01T00:00:00Z", "reason": "spam run"})),
            hide,
        ),
        (Method::POST, "/api/v1/mod/log/{id}/undo", None, hide),
        (
            Method::PUT,
            "/api/v1/admin/users/{username}/trust-level",
            Some(json!({"level": "regular"})),
            [401, 403, 403, 404],
        ),
        (
            Method::PUT,
            "/api/v1/admin/users/{username}/role",
            Some(json!({"role": "moderator"})),
            [401, 403, 403, 404],
        ),
        // Notifications: every signed-in member has an inbox of their own.
        (
            Method::GET,
            "/api/v1/notifications",
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/notifications/unread-count",
            None,
            [401, 200, 200, 200],
        ),
        // A stream: the 200 and its headers are checked; the body is never read to its end.
        (
            Method::GET,
            "/api/v1/notifications/stream",
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::POST,
            "/api/v1/notifications/{id}/read",
            None,
            [401, 404, 404, 404],
        ),
        (
            Method::POST,
            "/api/v1/notifications/read",
            Some(json!({"up_to_id": 999999})),
            [401, 204, 204, 204],
        ),
        (
            Method::GET,
            "/api/v1/threads/{id}/subscription",
            None,
            [401, 404, 404, 404],
        ),
        (
            Method::PUT,
            "/api/v1/threads/{id}/subscription",
            Some(json!({"level": "muted"})),
            [401, 404, 404, 404],
        ),
        (
            Method::GET,
            "/api/v1/tags/{name}/subscription",
            None,
            [401, 404, 404, 404],
        ),
        (
            Method::PUT,
            "/api/v1/tags/{name}/subscription",
            Some(json!({"level": "muted"})),
            [401, 404, 404, 404],
        ),
        (
            Method::PUT,
            "/api/v1/users/{username}/block",
            None,
            [401, 404, 404, 404],
        ),
        (
            Method::DELETE,
            "/api/v1/users/{username}/block",
            None,
            [401, 404, 404, 404],
        ),
        (
            Method::GET,
            "/api/v1/users/me/notification-settings",
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::PATCH,
            "/api/v1/users/me/notification-settings",
            Some(json!({})),
            [401, 200, 200, 200],
        ),
        // Unsubscribe links work without logging in: the token decides, for everyone alike.
        (
            Method::GET,
            "/api/v1/unsubscribe?token=forged",
            None,
            [400, 400, 400, 400],
        ),
        (
            Method::POST,
            "/api/v1/unsubscribe?token=forged",
            None,
            [400, 400, 400, 400],
        ),
        (
            Method::DELETE,
            "/api/v1/admin/users/{username}",
            Some(json!({"reason": "spam"})),
            [401, 403, 403, 404],
        ),
        // A member's own account: each needs only a token of its own; the password, where one
        // is asked for, is checked after who is asking (here it is wrong: 403).
        (Method::GET, "/api/v1/users/me", None, [401, 200, 200, 200]),
        (
            Method::PATCH,
            "/api/v1/users/me",
            Some(json!({})),
            [401, 200, 200, 200],
        ),
        (
            Method::DELETE,
            "/api/v1/users/me",
            Some(json!({"password": "not the password"})),
            [401, 403, 403, 403],
        ),
        (
            Method::POST,
            "/api/v1/users/me/password",
            Some(
                json!({"current_password": "not the password", "new_password": "a long new password"}),
            ),
            [401, 403, 403, 403],
        ),
        (
            Method::POST,
            "/api/v1/users/me/email",
            Some(json!({"new_email": "new@example.org", "password": "not the password"})),
            [401, 403, 403, 403],
        ),
        (
            Method::GET,
            "/api/v1/users/me/sessions",
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::DELETE,
            "/api/v1/users/me/sessions/{id}",
            None,
            [401, 404, 404, 404],
        ),
        (
            Method::POST,
            "/api/v1/users/me/export",
            None,
            [401, 202, 202, 202],
        ),
        // The mailed link is the key, for everyone alike.
        (
            Method::GET,
            "/api/v1/exports/{token}",
            None,
            [404, 404, 404, 404],
        ),
        (
            Method::POST,
            "/api/v1/users/me/calendar-feed",
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::DELETE,
            "/api/v1/users/me/calendar-feed",
            None,
            [401, 204, 204, 204],
        ),
        (
            Method::GET,
            "/api/v1/calendar-feeds/{token}",
            None,
            [404, 404, 404, 404],
        ),
        // Anyone: the answer never depends on who asks.
        (
            Method::POST,
            "/api/v1/auth/verify-email/resend",
            Some(json!({"email": "nobody@example.com"})),
            [202, 202, 202, 202],
        ),
        (
            Method::POST,
            "/api/v1/auth/email-change/undo",
            Some(json!({"token": "forged"})),
            [400, 400, 400, 400],
        ),
        // Last: it ends the caller's sessions.
        (
            Method::POST,
            "/api/v1/auth/logout-everywhere",
            None,
            [401, 204, 204, 204],
        ),
    ]
}

#[tokio::test]
async fn every_moderation_endpoint_answers_each_kind_of_caller_as_the_matrix_says() {
    let app = spawn_app().await;
    let member = app.member("member").await;
    let moderator = app.staff("moderator", "moderator").await;
    let admin = app.staff("admin", "admin").await;
    let callers = [None, Some(&member), Some(&moderator), Some(&admin)];
    let names = ["anonymous", "member", "moderator", "admin"];

    // The table covers every such operation the API documents: a new one cannot be forgotten.
    let document = json(app.get("/api/v1/openapi.json").await).await;
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        if path.starts_with("/api/v1/mod/")
            || path.starts_with("/api/v1/admin/")
            || path.starts_with("/api/v1/notifications")
            || path.ends_with("/subscription")
            || path.ends_with("/block")
            || path.ends_with("/notification-settings")
            || path == "/api/v1/unsubscribe"
            || path == "/api/v1/reports"
            || path == "/api/v1/appeals"
            || path.starts_with("/api/v1/users/me")
            || path == "/api/v1/auth/verify-email/resend"
            || path == "/api/v1/auth/email-change/undo"
            || path == "/api/v1/auth/logout-everywhere"
            || path.starts_with("/api/v1/exports/")
            || path.starts_with("/api/v1/calendar-feeds/")
        {
            for method in item.as_object().expect("operations").keys() {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let table: BTreeSet<String> = matrix()
        .iter()
        .map(|(method, path, ..)| format!("{method} {}", path.split('?').next().unwrap_or(path)))
        .collect();
    assert_eq!(table, documented);

    for (method, template, body, expected) in matrix() {
        let path = template
            .replace("{id}", "999999")
            .replace("{username}", "nobody_here")
            .replace("{name}", "no-such-tag")
            .replace("{token}", "forged");
        for ((caller, name), want) in callers.iter().zip(names).zip(expected) {
            let token = caller.map(|u| u.access_token.as_str());
            let response = app.call(method.clone(), &path, token, body.as_ref()).await;
            let code = match want {
                200 | 202 | 204 => {
                    assert_eq!(
                        response.status().as_u16(),
                        want,
                        "{method} {path} as {name}"
                    );
                    continue;
                }
                400 => "invalid_token",
                401 => "unauthorized",
                // A member's own account refuses only a wrong password.
                403 if path.starts_with("/api/v1/users/me") => "wrong_password",
                403 => "insufficient_role",
                404 => "not_found",
                other => panic!("the matrix has no code for {other}"),
            };
            let problem = assert_problem(response, want, code).await;
            assert!(
                problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "{method} {path} as {name}: {problem}"
            );
        }
    }
}

#[tokio::test]
async fn members_report_once_per_target_and_only_what_they_can_see() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mod", "moderator").await;
    let thread = app.create_thread(&ada, "Suspicious offer", &[]).await;
    let response = app
        .call(
            Method::POST,
            "/api/v1/reports",
            Some(&bob.access_token),
            Some(&json!({"target_type": "thread", "target_id": thread, "reason": "spam", "details": "Selling watches"})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let report = json(response).await;
    assert_eq!(report["status"], "open");
    assert_eq!(report["reporter"], "bob");
    assert_eq!(report["open_reports"], 1);
    assert_problem(
        app.report(&bob, "thread", thread).await,
        409,
        "report_exists",
    )
    .await;
    assert_eq!(
        app.report(&bob, "user", ada.id).await.status().as_u16(),
        201
    );

    // Missing or invisible targets cannot be reported.
    assert_problem(app.report(&bob, "thread", 999_999).await, 404, "not_found").await;
    assert_problem(app.report(&bob, "user", 999_999).await, 404, "not_found").await;
    let hidden = app.create_thread(&ada, "Already hidden one", &[]).await;
    app.moderate(&moderator, &format!("/api/v1/mod/threads/{hidden}/hide"))
        .await;
    assert_problem(app.report(&bob, "thread", hidden).await, 404, "not_found").await;

    for bad in [
        json!({"target_type": "post", "target_id": thread, "reason": "spam"}),
        json!({"target_type": "thread", "target_id": thread, "reason": "boring"}),
        json!({"target_type": "thread", "target_id": "x", "reason": "spam"}),
        json!({"target_type": "thread", "target_id": thread, "reason": "spam", "details": "x".repeat(2001)}),
    ] {
        let response = app
            .call(
                Method::POST,
                "/api/v1/reports",
                Some(&bob.access_token),
                Some(&bad),
            )
            .await;
        assert_problem(response, 422, "validation_failed").await;
    }
    let unverified = app.signed_up("newbie").await;
    assert_problem(
        app.report(&unverified, "thread", thread).await,
        403,
        "email_not_verified",
    )
    .await;
}

#[tokio::test]
async fn the_queue_shows_reports_oldest_first_with_their_targets_and_resolving_hides() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    let moderator = app.staff("mod", "moderator").await;
    let thread = app.create_thread(&ada, "Buy cheap watches", &[]).await;
    let other = app.create_thread(&ada, "Honest question", &[]).await;
    let first = json(app.report(&bob, "thread", thread).await).await["id"]
        .as_i64()
        .expect("id");
    let second = json(app.report(&cyd, "thread", thread).await).await["id"]
        .as_i64()
        .expect("id");
    let third = json(app.report(&bob, "thread", other).await).await["id"]
        .as_i64()
        .expect("id");

    let queue = json(
        app.get_as("/api/v1/mod/reports", &moderator.access_token)
            .await,
    )
    .await;
    let ids: Vec<i64> = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [first, second, third]);
    assert_eq!(queue["items"][0]["open_reports"], 2);
    assert_eq!(queue["items"][0]["target"]["title"], "Buy cheap watches");
    let page = json(
        app.get_as("/api/v1/mod/reports?limit=2", &moderator.access_token)
            .await,
    )
    .await;
    let cursor = page["next_cursor"].as_str().expect("cursor").to_string();
    let rest = json(
        app.get_as(
            &format!("/api/v1/mod/reports?limit=2&cursor={cursor}"),
            &moderator.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(rest["items"][0]["id"], third);

    let response = app
        .call(
            Method::POST,
            &format!("/api/v1/mod/reports/{first}/resolve"),
            Some(&moderator.access_token),
            Some(&json!({"action": "hide", "note": "Spam, hidden"})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let resolved = json(response).await;
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["action"], "hide");
    assert_eq!(resolved["handled_by"], "mod");
    assert_eq!(resolved["target"]["hidden"], true);
    // The other report of the same target was resolved with it.
    let open = json(
        app.get_as("/api/v1/mod/reports", &moderator.access_token)
            .await,
    )
    .await;
    let open_ids: Vec<i64> = open["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(open_ids, [third]);
    let closed = json(
        app.get_as(
            "/api/v1/mod/reports?status=resolved",
            &moderator.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(closed["items"].as_array().map(Vec::len), Some(2));
    let email = mail.wait_for_subject(&ada.email, "hidden", MAIL_WAIT).await;
    assert!(
        email.text.contains("Buy cheap watches") && email.text.contains("Spam, hidden"),
        "{}",
        email.text
    );
    assert_problem(
        app.get(&format!("/api/v1/threads/{thread}")).await,
        404,
        "not_found",
    )
    .await;

    assert_problem(
        app.call(
            Method::POST,
            &format!("/api/v1/mod/reports/{second}/resolve"),
            Some(&moderator.access_token),
            Some(&json!({"action": "none"})),
        )
        .await,
        409,
        "report_closed",
    )
    .await;
    let dismissed = json(
        app.call(
            Method::POST,
            &format!("/api/v1/mod/reports/{third}/dismiss"),
            Some(&moderator.access_token),
            Some(&json!({"note": "Fine"})),
        )
        .await,
    )
    .await;
    assert_eq!(dismissed["status"], "dismissed");
    assert_problem(
        app.moderate(&moderator, &format!("/api/v1/mod/reports/{third}/dismiss"))
            .await,
        409,
        "report_closed",
    )
    .await;
    // A closed report lets its reporter report again.
    assert_eq!(
        app.report(&bob, "thread", other).await.status().as_u16(),
        201
    );

    let user_report = json(app.report(&bob, "user", ada.id).await).await["id"]
        .as_i64()
        .expect("id");
    assert_problem(
        app.call(
            Method::POST,
            &format!("/api/v1/mod/reports/{user_report}/resolve"),
            Some(&moderator.access_token),
            Some(&json!({"action": "hide"})),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.call(
            Method::POST,
            &format!("/api/v1/mod/reports/{user_report}/resolve"),
            Some(&moderator.access_token),
            Some(&json!({"action": "delete"})),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/mod/reports?status=closed", &moderator.access_token)
            .await,
        400,
        "invalid_query",
    )
    .await;
}

#[tokio::test]
async fn hidden_content_leaves_lists_search_and_get_for_members_but_not_for_staff() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mod", "moderator").await;
    let thread = app
        .create_thread(&ada, "Flamingo flamewar", &["rust"])
        .await;
    // A reply in the thread about to be hidden: search must drop it with its thread.
    let response = app.create_reply(&bob, thread, "Flamingo reply").await;
    assert_eq!(response.status().as_u16(), 201);
    let kept = app.create_thread(&ada, "Flamingo facts", &["rust"]).await;
    let kept_reply = json(app.create_reply(&bob, kept, "Flamingo fact reply").await).await["id"]
        .as_i64()
        .expect("id");
    let start = chrono::Utc::now() + chrono::Duration::days(3);
    let meetup = json(
        app.send_as(
            Method::POST,
            "/api/v1/meetups",
            &ada.access_token,
            &json!({"title": "Flamingo meetup", "description": "Pink", "starts_at": start.to_rfc3339(),
                    "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339(), "timezone": "UTC",
                    "online_url": "https://meet.example/pink"}),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("id");

    let hidden = json(
        app.moderate(&moderator, &format!("/api/v1/mod/threads/{thread}/hide"))
            .await,
    )
    .await;
    assert_eq!(hidden["hidden"], true);
    let hidden_reply = json(
        app.moderate(
            &moderator,
            &format!("/api/v1/mod/replies/{kept_reply}/hide"),
        )
        .await,
    )
    .await;
    assert_eq!(hidden_reply["hidden"], true);
    let hidden_meetup = json(
        app.moderate(&moderator, &format!("/api/v1/mod/meetups/{meetup}/hide"))
            .await,
    )
    .await;
    assert_eq!(hidden_meetup["hidden"], true);

    // Members: gone from GET, lists and search.
    assert_problem(
        app.get_as(&format!("/api/v1/threads/{thread}"), &bob.access_token)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/meetups/{meetup}")).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/meetups/{meetup}/calendar.ics"))
            .await,
        404,
        "not_found",
    )
    .await;
    let listed = json(app.get("/api/v1/threads?tag=rust").await).await;
    let ids: Vec<i64> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [kept]);
    let kept_thread = json(app.get(&format!("/api/v1/threads/{kept}")).await).await;
    assert_eq!(
        kept_thread["reply_count"], 0,
        "a hidden reply is not counted"
    );
    let replies = json(app.get(&format!("/api/v1/threads/{kept}/replies")).await).await;
    assert_eq!(replies["items"], json!([]));
    let meetups = json(app.get("/api/v1/meetups").await).await;
    assert_eq!(meetups["items"], json!([]));
    assert_problem(app.rsvp_status(&bob, meetup).await, 404, "not_found").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let found = json(app.get("/api/v1/search?q=flamingo").await).await;
        let refs: Vec<(String, i64)> = found["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|h| {
                (
                    h["type"].as_str().expect("type").to_string(),
                    h["id"].as_i64().expect("id"),
                )
            })
            .collect();
        if refs == [("thread".to_string(), kept)] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "search still shows {refs:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Staff: still there, marked.
    let seen = json(
        app.get_as(
            &format!("/api/v1/threads/{thread}"),
            &moderator.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(seen["hidden"], true);
    let seen = json(
        app.get_as(
            &format!("/api/v1/meetups/{meetup}"),
            &moderator.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(seen["hidden"], true);
    let staff_list = json(app.get_as("/api/v1/meetups", &moderator.access_token).await).await;
    assert_eq!(staff_list["items"][0]["hidden"], true);

    // Restoring brings everything back.
    app.moderate(&moderator, &format!("/api/v1/mod/threads/{thread}/restore"))
        .await;
    app.moderate(
        &moderator,
        &format!("/api/v1/mod/replies/{kept_reply}/restore"),
    )
    .await;
    let restored = json(
        app.moderate(&moderator, &format!("/api/v1/mod/meetups/{meetup}/restore"))
            .await,
    )
    .await;
    assert_eq!(restored["hidden"], false);
    assert_eq!(
        app.get(&format!("/api/v1/threads/{thread}"))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/meetups/{meetup}"))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        json(app.get(&format!("/api/v1/threads/{kept}")).await).await["reply_count"],
        1
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let found = json(app.get("/api/v1/search?q=flamingo&limit=10").await).await;
        if found["estimated_total"] == 5 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "search not restored: {found}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

impl TestApp {
    async fn rsvp_status(&self, user: &TestUser, meetup: i64) -> reqwest::Response {
        self.call(
            Method::PUT,
            &format!("/api/v1/meetups/{meetup}/rsvp"),
            Some(&user.access_token),
            None,
        )
        .await
    }
}

#[tokio::test]
async fn locked_threads_take_no_replies_and_pinned_ones_come_first() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mod", "moderator").await;
    let old = app.create_thread(&ada, "Community rules", &[]).await;
    let new = app.create_thread(&ada, "Newest question", &[]).await;
    let locked = json(
        app.moderate(&moderator, &format!("/api/v1/mod/threads/{old}/lock"))
            .await,
    )
    .await;
    assert_eq!(locked["locked"], true);
    assert_problem(
        app.create_reply(&ada, old, "Can I still?").await,
        409,
        "thread_locked",
    )
    .await;
    app.moderate(&moderator, &format!("/api/v1/mod/threads/{old}/unlock"))
        .await;
    assert_eq!(
        app.create_reply(&ada, old, "Now I can")
            .await
            .status()
            .as_u16(),
        201
    );

    let pinned = json(
        app.moderate(&moderator, &format!("/api/v1/mod/threads/{old}/pin"))
            .await,
    )
    .await;
    assert_eq!(pinned["pinned"], true);
    let listed = json(app.get("/api/v1/threads").await).await;
    assert_eq!(listed["items"][0]["id"], old);
    app.moderate(&moderator, &format!("/api/v1/mod/threads/{old}/unpin"))
        .await;
    let listed = json(app.get("/api/v1/threads").await).await;
    assert_eq!(listed["items"][0]["id"], new);
    assert_eq!(app.log_actions(), ["lock", "unlock", "pin", "unpin"]);
}

#[tokio::test]
async fn suspensions_stop_writes_at_once_lift_by_themselves_and_spare_staff() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let troll = app.member("troll").await;
    let moderator = app.staff("mod", "moderator").await;
    let other_mod = app.staff("mod2", "moderator").await;
    let admin = app.staff("boss", "admin").await;
    let until = chrono::Utc::now() + chrono::Duration::days(7);
    let suspended = json(
        app.call(
            Method::POST,
            "/api/v1/mod/users/troll/suspend",
            Some(&moderator.access_token),
            Some(&json!({"until": until.to_rfc3339(), "reason": "Repeated spam"})),
        )
        .await,
    )
    .await;
    assert_eq!(suspended["username"], "troll");
    assert_problem(
        app.send_as(
            Method::POST,
            "/api/v1/threads",
            &troll.access_token,
            &json!({"title": "Still here", "body": "Hi"}),
        )
        .await,
        403,
        "account_suspended",
    )
    .await;
    assert_eq!(
        app.get_as("/api/v1/users/me", &troll.access_token)
            .await
            .status()
            .as_u16(),
        200,
        "reading is fine"
    );
    let email = mail
        .wait_for_subject(&troll.email, "suspended", MAIL_WAIT)
        .await;
    assert!(email.text.contains("Repeated spam"), "{}", email.text);

    // The end passes: writes work again without anyone lifting it.
    app.sql(&format!(
        "UPDATE users SET suspended_until = now() - interval '1 second' WHERE id = {}",
        troll.id
    ));
    assert_eq!(
        app.send_as(
            Method::POST,
            "/api/v1/threads",
            &troll.access_token,
            &json!({"title": "I am back", "body": "Hi"})
        )
        .await
        .status()
        .as_u16(),
        201
    );

    // Indefinite, then lifted by hand.
    app.call(
        Method::POST,
        "/api/v1/mod/users/troll/suspend",
        Some(&moderator.access_token),
        Some(&json!({"reason": "Again"})),
    )
    .await;
    assert_problem(
        app.report(&troll, "user", moderator.id).await,
        403,
        "account_suspended",
    )
    .await;
    app.moderate(&moderator, "/api/v1/mod/users/troll/unsuspend")
        .await;
    // The member reads each step in the app as well; the moderator is not named.
    let inbox = json(
        app.get_as("/api/v1/notifications", &troll.access_token)
            .await,
    )
    .await;
    let kinds: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "account_unsuspended",
            "account_suspended",
            "account_suspended"
        ]
    );
    assert!(inbox["items"][0].get("actor").is_none());
    assert_eq!(
        app.report(&troll, "user", moderator.id)
            .await
            .status()
            .as_u16(),
        201
    );

    for (actor, target, code) in [
        (&moderator, "mod2", "cannot_moderate_staff"),
        (&moderator, "boss", "cannot_moderate_staff"),
        (&admin, "boss", "cannot_moderate_self"),
    ] {
        let response = app
            .call(
                Method::POST,
                &format!("/api/v1/mod/users/{target}/suspend"),
                Some(&actor.access_token),
                Some(&json!({"reason": "x"})),
            )
            .await;
        assert_problem(response, 403, code).await;
    }
    assert_eq!(
        app.call(
            Method::POST,
            "/api/v1/mod/users/mod2/suspend",
            Some(&admin.access_token),
            Some(&json!({"reason": "Abuse of tools"}))
        )
        .await
        .status()
        .as_u16(),
        200
    );
    // A suspended moderator cannot moderate either.
    assert_problem(
        app.moderate(&other_mod, "/api/v1/mod/users/troll/unsuspend")
            .await,
        403,
        "account_suspended",
    )
    .await;
    for bad in [
        json!({"reason": ""}),
        json!({"reason": "x", "until": "2001-01-01T00:00:00Z"}),
        json!({}),
    ] {
        let response = app
            .call(
                Method::POST,
                "/api/v1/mod/users/troll/suspend",
                Some(&moderator.access_token),
                Some(&bad),
            )
            .await;
        assert_problem(response, 422, "validation_failed").await;
    }
}

#[tokio::test]
async fn admins_set_roles_but_never_remove_the_last_admin() {
    let app = spawn_app().await;
    let admin = app.staff("boss", "admin").await;
    let ada = app.member("ada").await;
    let set = |user: &TestUser, target: &str, role: &str| {
        let body = json!({"role": role});
        let path = format!("/api/v1/admin/users/{target}/role");
        let app = &app;
        let user = user.clone();
        async move {
            app.call(Method::PUT, &path, Some(&user.access_token), Some(&body))
                .await
        }
    };
    let promoted = json(set(&admin, "ada", "moderator").await).await;
    assert_eq!(promoted["role"], "moderator");
    // The role applies to ada's very next request.
    assert_eq!(
        app.get_as("/api/v1/mod/log", &ada.access_token)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_problem(set(&admin, "boss", "member").await, 409, "last_admin").await;
    assert_problem(set(&admin, "ada", "owner").await, 422, "validation_failed").await;
    assert_problem(set(&ada, "boss", "member").await, 403, "insufficient_role").await;
    json(set(&admin, "ada", "admin").await).await;
    let demoted = json(set(&ada, "boss", "member").await).await;
    assert_eq!(demoted["role"], "member");
    assert_problem(set(&ada, "ada", "moderator").await, 409, "last_admin").await;

    let log = json(app.get_as("/api/v1/mod/log", &ada.access_token).await).await;
    let entries = log["items"].as_array().expect("items");
    assert_eq!(entries[0]["action"], "set_role");
    assert_eq!(entries[0]["actor"], "ada");
    assert_eq!(entries[0]["target_id"], admin.id);
    assert_eq!(entries[0]["reason"], "admin → member");
    assert_eq!(entries.len(), 3);
}

#[tokio::test]
async fn the_log_records_every_action_and_the_database_refuses_to_change_it() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mod", "moderator").await;
    let thread = app.create_thread(&ada, "Log me please", &[]).await;
    app.call(
        Method::POST,
        &format!("/api/v1/mod/threads/{thread}/hide"),
        Some(&moderator.access_token),
        Some(&json!({"reason": "Testing"})),
    )
    .await;
    app.moderate(&moderator, &format!("/api/v1/mod/threads/{thread}/restore"))
        .await;
    let log = json(
        app.get_as("/api/v1/mod/log?limit=1", &moderator.access_token)
            .await,
    )
    .await;
    assert_eq!(log["items"][0]["action"], "restore");
    assert_eq!(log["items"][0]["actor"], "mod");
    assert_eq!(log["items"][0]["target_type"], "thread");
    assert_eq!(log["items"][0]["target_id"], thread);
    let cursor = log["next_cursor"].as_str().expect("cursor").to_string();
    let older = json(
        app.get_as(
            &format!("/api/v1/mod/log?limit=1&cursor={cursor}"),
            &moderator.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(older["items"][0]["action"], "hide");
    assert_eq!(older["items"][0]["reason"], "Testing");

    use diesel::prelude::*;
    let mut conn = app.conn();
    for statement in [
        "UPDATE moderation_log SET reason = 'rewritten'",
        "DELETE FROM moderation_log",
        // CASCADE: appeals and member-content actions refer to the log.
        "TRUNCATE moderation_log CASCADE",
    ] {
        let error = diesel::sql_query(statement)
            .execute(&mut conn)
            .expect_err(statement);
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM moderation_log"), 2);
}

#[tokio::test]
async fn reports_from_three_members_hide_content_as_the_system() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let thread = app.create_thread(&ada, "Obvious spam here", &[]).await;
    let mut reporters = Vec::new();
    for name in ["rep1", "rep2", "rep3"] {
        reporters.push(app.member(name).await);
    }
    // Reports from `new` accounts alone never hide anything (tests/api/trust.rs).
    app.sql(
        "UPDATE users SET trust_level = 'basic', trust_level_pinned = true \
         WHERE username LIKE 'rep%'",
    );
    app.report(&reporters[0], "thread", thread).await;
    app.report(&reporters[1], "thread", thread).await;
    assert_eq!(
        app.get(&format!("/api/v1/threads/{thread}"))
            .await
            .status()
            .as_u16(),
        200
    );
    app.report(&reporters[2], "thread", thread).await;
    assert_problem(
        app.get(&format!("/api/v1/threads/{thread}")).await,
        404,
        "not_found",
    )
    .await;
    let moderator = app.staff("mod", "moderator").await;
    let log = json(app.get_as("/api/v1/mod/log", &moderator.access_token).await).await;
    assert_eq!(log["items"][0]["action"], "auto_hide");
    assert_eq!(log["items"][0]["actor"], Value::Null);
    let email = mail.wait_for_subject(&ada.email, "hidden", MAIL_WAIT).await;
    assert!(
        email.text.contains("Reported by 3 members"),
        "{}",
        email.text
    );
    // The reports wait in the queue for a moderator's decision.
    let queue = json(
        app.get_as("/api/v1/mod/reports", &moderator.access_token)
            .await,
    )
    .await;
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(queue["items"][0]["target"]["hidden"], true);
}

#[tokio::test]
async fn moderation_inputs_are_checked_before_anything_changes() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mod", "moderator").await;
    let admin = app.staff("boss", "admin").await;
    let thread = app.create_thread(&ada, "Checked inputs", &[]).await;
    let report = json(app.report(&bob, "thread", thread).await).await["id"]
        .as_i64()
        .expect("id");
    for (path, status, code) in [
        ("/api/v1/mod/log?cursor=garbage", 400, "invalid_cursor"),
        ("/api/v1/mod/log?limit=0", 422, "validation_failed"),
        ("/api/v1/mod/reports?cursor=garbage", 400, "invalid_cursor"),
        ("/api/v1/mod/reports?limit=101", 422, "validation_failed"),
    ] {
        assert_problem(
            app.get_as(path, &moderator.access_token).await,
            status,
            code,
        )
        .await;
    }
    let long = "x".repeat(2001);
    for (path, body) in [
        (
            format!("/api/v1/mod/threads/{thread}/hide"),
            json!({"reason": long}),
        ),
        (
            format!("/api/v1/mod/threads/{thread}/hide"),
            json!({"because": "no"}),
        ),
        (
            format!("/api/v1/mod/reports/{report}/dismiss"),
            json!({"note": long}),
        ),
        (
            format!("/api/v1/mod/reports/{report}/resolve"),
            json!({"action": "hide", "note": long}),
        ),
        (format!("/api/v1/mod/reports/{report}/resolve"), json!({})),
        ("/api/v1/admin/users/ada/role".to_string(), json!({})),
    ] {
        let method = if path.contains("/admin/") {
            Method::PUT
        } else {
            Method::POST
        };
        let response = app
            .call(method, &path, Some(&admin.access_token), Some(&body))
            .await;
        assert_problem(response, 422, "validation_failed").await;
    }
    let not_json = app
        .client
        .post(app.url(&format!("/api/v1/mod/threads/{thread}/hide")))
        .bearer_auth(&moderator.access_token)
        .header("content-type", "text/plain")
        .body("hide it")
        .send()
        .await
        .expect("request");
    assert_problem(not_json, 415, "unsupported_media_type").await;
    // Nothing was hidden, resolved or logged.
    assert_eq!(
        app.get(&format!("/api/v1/threads/{thread}"))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM reports WHERE status = 'open'"),
        1
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM moderation_log"), 0);
}
