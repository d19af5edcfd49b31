//! Moderation and administration: the authorization matrix of every endpoint, reports and the
//! review queue, hiding and restoring, locks and pins, suspensions, roles, the append-only log
//! and the automatic hide, with emails read from a real SMTP server.

mod actions;
mod reports;

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
        // Everything read, for whoever asks: nobody else's reading changes.
        (
            Method::POST,
            "/api/v1/users/me/mark-threads-read",
            None,
            [401, 204, 204, 204],
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
        // Ways to sign in: every member's own (a password account here, so its username was
        // chosen at registration; no factor, identity or passkey by those ids).
        (
            Method::GET,
            "/api/v1/users/me/2fa",
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::POST,
            "/api/v1/users/me/2fa/totp",
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::POST,
            "/api/v1/users/me/2fa/totp/confirm",
            Some(json!({"code": "000000"})),
            [401, 422, 422, 422],
        ),
        (
            Method::DELETE,
            "/api/v1/users/me/2fa/totp",
            Some(json!({})),
            [401, 422, 422, 422],
        ),
        (
            Method::GET,
            "/api/v1/users/me/identities",
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::DELETE,
            "/api/v1/users/me/identities/{id}",
            None,
            [401, 404, 404, 404],
        ),
        (
            Method::GET,
            "/api/v1/users/me/passkeys",
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::POST,
            "/api/v1/users/me/passkeys/register/start",
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::POST,
            "/api/v1/users/me/passkeys/register/finish",
            Some(json!({"name": "Laptop", "credential": {
                "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
                "response": {"attestationObject": "AAAA", "clientDataJSON": "AAAA"},
            }})),
            [401, 422, 422, 422],
        ),
        (
            Method::DELETE,
            "/api/v1/users/me/passkeys/{id}",
            None,
            [401, 404, 404, 404],
        ),
        (
            Method::PUT,
            "/api/v1/users/me/username",
            Some(json!({"username": "another_name"})),
            [401, 409, 409, 409],
        ),
        // A picture: only one's own avatar upload (none by that id).
        (
            Method::PUT,
            "/api/v1/users/me/avatar",
            Some(json!({"upload_id": 999999})),
            [401, 404, 404, 404],
        ),
        (
            Method::DELETE,
            "/api/v1/users/me/avatar",
            None,
            [401, 204, 204, 204],
        ),
        // API tokens: every member's own (none by that id).
        (
            Method::GET,
            "/api/v1/users/me/api-tokens",
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::POST,
            "/api/v1/users/me/api-tokens",
            Some(json!({"name": "bot", "scopes": ["read"]})),
            [401, 201, 201, 201],
        ),
        (
            Method::DELETE,
            "/api/v1/users/me/api-tokens/{id}",
            None,
            [401, 404, 404, 404],
        ),
        // Webhooks: admins only (an empty body is what an admin gets a 422 for).
        (
            Method::POST,
            "/api/v1/admin/webhooks",
            Some(json!({})),
            [401, 403, 403, 422],
        ),
        (
            Method::GET,
            "/api/v1/admin/webhooks",
            None,
            [401, 403, 403, 200],
        ),
        (
            Method::GET,
            "/api/v1/admin/webhooks/{id}",
            None,
            [401, 403, 403, 404],
        ),
        (
            Method::PATCH,
            "/api/v1/admin/webhooks/{id}",
            Some(json!({"active": true})),
            [401, 403, 403, 404],
        ),
        (
            Method::DELETE,
            "/api/v1/admin/webhooks/{id}",
            None,
            [401, 403, 403, 404],
        ),
        (
            Method::POST,
            "/api/v1/admin/webhooks/{id}/test",
            None,
            [401, 403, 403, 404],
        ),
        (
            Method::POST,
            "/api/v1/admin/webhooks/{id}/rotate-secret",
            None,
            [401, 403, 403, 404],
        ),
        (
            Method::GET,
            "/api/v1/admin/webhooks/{id}/deliveries",
            None,
            [401, 403, 403, 404],
        ),
        (
            Method::POST,
            "/api/v1/admin/webhooks/{id}/deliveries/{delivery_id}/retry",
            None,
            [401, 403, 403, 404],
        ),
        // Community health: staff read it (moderators too); a bad range is staff's 422.
        (
            Method::GET,
            "/api/v1/admin/stats",
            None,
            [401, 403, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/admin/stats?interval=hour",
            None,
            [401, 403, 422, 422],
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
            .replace("{delivery_id}", "999999")
            .replace("{username}", "nobody_here")
            .replace("{name}", "no-such-tag")
            .replace("{token}", "forged");
        for ((caller, name), want) in callers.iter().zip(names).zip(expected) {
            let token = caller.map(|u| u.access_token.as_str());
            let response = app.call(method.clone(), &path, token, body.as_ref()).await;
            let code = match want {
                200..=204 => {
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
                // The ways to sign in refuse what no authenticator made, and a second choice.
                409 => "username_chosen",
                422 if path.ends_with("/totp/confirm") => "invalid_otp",
                422 if path.ends_with("/register/finish") => "invalid_credential",
                422 => "validation_failed",
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
