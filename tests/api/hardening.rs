//! What a black-box probe found (issue 36), each shown: access tokens of an ended login stop
//! at once, member text never becomes an encoded word in a mail header, secrets stay out of
//! logs, dates are bounded, and signed-in answers are never cached.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, json, spawn_app, spawn_app_with, TestApp, TestUser, PASSWORD,
};
use devforum::startup::BuildOptions;

impl TestApp {
    /// A fresh login of `user`: its access and refresh tokens.
    async fn another_login(&self, user: &TestUser) -> (String, String) {
        let body = json(self.login(&user.username, PASSWORD).await).await;
        (
            body["access_token"].as_str().expect("access").to_string(),
            body["refresh_token"].as_str().expect("refresh").to_string(),
        )
    }

    async fn refreshed(&self, refresh_token: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    async fn me_status(&self, access_token: &str) -> u16 {
        self.get_as("/api/v1/users/me", access_token)
            .await
            .status()
            .as_u16()
    }

    /// Both the account lookup every endpoint makes and the unread badge's own statement.
    async fn assert_ended(&self, access_token: &str, how: &str) {
        assert_eq!(self.me_status(access_token).await, 401, "{how}: /users/me");
        let badge = self
            .get_as("/api/v1/notifications/unread-count", access_token)
            .await;
        assert_eq!(badge.status().as_u16(), 401, "{how}: the unread badge");
        let write = self
            .send_as(
                Method::POST,
                "/api/v1/threads",
                access_token,
                &json!({"title": "Still here?", "body": "A thief's post.", "tags": []}),
            )
            .await;
        assert_eq!(write.status().as_u16(), 401, "{how}: a write");
    }
}

#[tokio::test]
async fn every_way_a_login_ends_ends_its_access_tokens_at_the_next_request() {
    let app = spawn_app_with(
        |settings| settings.auth.refresh_reuse_grace_secs = 0,
        BuildOptions::default(),
    )
    .await;
    let ada = app.member("ada").await;

    // Logout.
    let (access, refresh) = app.another_login(&ada).await;
    assert_eq!(app.me_status(&access).await, 200);
    let out = app
        .post_json("/api/v1/auth/logout", &json!({ "refresh_token": refresh }))
        .await;
    assert_eq!(out.status().as_u16(), 204);
    app.assert_ended(&access, "logout").await;

    // A detected reuse: P0's refresh token presented after it was rotated ends the login,
    // and with it the access tokens of P0 and of P1.
    let (p0_access, p0_refresh) = app.another_login(&ada).await;
    let p1 = json(app.refreshed(&p0_refresh).await).await;
    let p1_access = p1["access_token"].as_str().expect("access").to_string();
    assert_eq!(app.me_status(&p0_access).await, 200);
    assert_eq!(app.me_status(&p1_access).await, 200);
    assert_problem(
        app.refreshed(&p0_refresh).await,
        401,
        "invalid_refresh_token",
    )
    .await;
    app.assert_ended(&p0_access, "reuse: P0").await;
    app.assert_ended(&p1_access, "reuse: P1").await;

    // A device signed out from another.
    let (phone, _) = app.another_login(&ada).await;
    let sessions = json(
        app.get_as("/api/v1/users/me/sessions", &ada.access_token)
            .await,
    )
    .await;
    let others: Vec<String> = sessions["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|s| s["current"] == false)
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(others.len(), 1, "{sessions}");
    let out = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/me/sessions/{}", others[0]),
            Some(&ada.access_token),
            None,
        )
        .await;
    assert_eq!(out.status().as_u16(), 204);
    app.assert_ended(&phone, "device sign-out").await;
    assert_eq!(
        app.me_status(&ada.access_token).await,
        200,
        "the caller's own goes on"
    );

    // Signed out everywhere: every other login ends.
    let (laptop, _) = app.another_login(&ada).await;
    let out = app
        .post_as("/api/v1/auth/logout-everywhere", &ada.access_token)
        .await;
    assert_eq!(out.status().as_u16(), 204);
    app.assert_ended(&laptop, "logout everywhere").await;
}

#[tokio::test]
async fn a_token_without_its_login_is_refused() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    // Signed with the server's own key, but naming no login: nothing could ever end it.
    let settings = crate::helpers::test_settings("postgres://unused");
    let keys = devforum::accounts::jwt::JwtKeys::new(&settings.auth);
    let token = keys.issue(devforum::ids::UserId(ada.id), 0).expect("token");
    assert_problem(
        app.get_as("/api/v1/users/me", &token).await,
        401,
        "unauthorized",
    )
    .await;
    let _: Value = json(app.get_as("/api/v1/users/me", &ada.access_token).await).await;
}

#[tokio::test]
async fn a_title_holding_an_encoded_word_reaches_the_mail_subject_exactly_as_written() {
    let mail = crate::mail::MailServer::start();
    let app = crate::mail::spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    // Base64 of "Urgent: verify at http://evil.example\r\nnow", which a mail client would decode.
    let title = "Hi =?utf-8?b?VXJnZW50OiB2ZXJpZnkgYXQgaHR0cDovL2V2aWwuZXhhbXBsZQ0Kbm93?= there";
    let thread = app.create_thread(&ada, title, &[]).await;
    app.reply_id(&bob, thread, "A reply that mails the author.")
        .await;
    let email = mail
        .wait_for_subject(&ada.email, "replied", crate::mail::MAIL_WAIT)
        .await;
    assert_eq!(
        email.subject,
        format!("bob replied to your thread “{title}”")
    );
    let raw = String::from_utf8_lossy(&email.raw);
    assert!(
        !raw.contains("VXJnZW50OiB2ZXJpZnkgYXQgaHR0cDovL2V2aWwuZXhhbXBsZQ0Kbm93?= there"),
        "the member's encoded word is in the header as it was typed"
    );
}

#[tokio::test]
async fn dates_far_from_today_are_refused_naming_their_field() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mona", "moderator").await;
    app.member("troll").await;
    let far = "+99999-01-01T10:00:00Z";
    let meetup = |starts: &str, ends: &str| {
        json!({
            "title": "Rust night",
            "description": "Talks.",
            "starts_at": starts,
            "ends_at": ends,
            "timezone": "Europe/Berlin",
            "venue": {"name": "Hall 1", "address": "Main St 1", "city": "Berlin", "country": "DE"},
        })
    };
    let in_eleven_years = (chrono::Utc::now() + chrono::Duration::days(366 * 11))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    app.assert_refusals(
        Method::POST,
        "/api/v1/meetups",
        Some(&ada.access_token),
        &[
            (
                Some(meetup(far, far)),
                422,
                "validation_failed",
                Some("starts_at"),
            ),
            (
                Some(meetup(&in_eleven_years, &in_eleven_years)),
                422,
                "validation_failed",
                Some("ends_at"),
            ),
        ],
    )
    .await;
    assert_eq!(app.count("SELECT count(*) AS n FROM meetups"), 0);

    app.assert_refusals(
        Method::POST,
        "/api/v1/mod/users/troll/suspend",
        Some(&moderator.access_token),
        &[(
            Some(json!({"reason": "Spam", "until": far})),
            422,
            "validation_failed",
            Some("until"),
        )],
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM users WHERE suspended_at IS NOT NULL"),
        0
    );

    for (path, field) in [
        (
            "/api/v1/search?q=rust&from=%2B99999-01-01T10:00:00Z",
            "from",
        ),
        ("/api/v1/meetups?to=%2B99999-01-01T10:00:00Z", "to"),
        (
            "/api/v1/mod/reports?created_after=0001-01-01T00:00:00Z",
            "created_after",
        ),
    ] {
        let body = assert_problem(
            app.get_as(path, &moderator.access_token).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(body["errors"][field].is_array(), "{path}: {body}");
    }
}

/// Every write operation a signed-in member can call, with a body that passes validation and
/// unknown targets: a suspended member is refused exactly those not in `auth::SUSPENDED_MAY`.
fn member_writes() -> Vec<(Method, &'static str, Option<Value>)> {
    let soon = (chrono::Utc::now() + chrono::Duration::days(3))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let later = (chrono::Utc::now() + chrono::Duration::days(3) + chrono::Duration::hours(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    vec![
        (
            Method::POST,
            "/api/v1/appeals",
            Some(json!({"log_id": 999999, "text": "Not spam."})),
        ),
        (Method::DELETE, "/api/v1/users/me/sessions/{id}", None),
        (
            Method::POST,
            "/api/v1/users/me/password",
            Some(
                json!({"current_password": "wrong password!", "new_password": "a new long password"}),
            ),
        ),
        (
            Method::POST,
            "/api/v1/users/me/email",
            Some(json!({"new_email": "new@example.com", "password": "wrong password!"})),
        ),
        (
            Method::PATCH,
            "/api/v1/users/me/notification-settings",
            Some(json!({"email": "never"})),
        ),
        (Method::POST, "/api/v1/notifications/{id}/read", None),
        (
            Method::PUT,
            "/api/v1/threads/{id}/read",
            Some(json!({"last_read_reply_id": null})),
        ),
        (Method::POST, "/api/v1/users/me/mark-threads-read", None),
        (
            Method::POST,
            "/api/v1/conversations",
            Some(json!({"to": ["nobody_here"], "subject": "Hi", "body": "Hello"})),
        ),
        (
            Method::POST,
            "/api/v1/conversations/{id}/messages",
            Some(json!({"body": "Hello"})),
        ),
        (Method::POST, "/api/v1/conversations/{id}/read", None),
        (Method::POST, "/api/v1/conversations/{id}/leave", None),
        (
            Method::POST,
            "/api/v1/conversations/{id}/report",
            Some(json!({"reason": "spam"})),
        ),
        (
            Method::POST,
            "/api/v1/threads/{id}/notifications/read",
            None,
        ),
        (
            Method::POST,
            "/api/v1/mentorship-requests/{id}/notifications/read",
            None,
        ),
        (
            Method::PUT,
            "/api/v1/drafts/{key}",
            Some(json!({"body": "Half a thought"})),
        ),
        (Method::DELETE, "/api/v1/drafts/{key}", None),
        (
            Method::POST,
            "/api/v1/notifications/read",
            Some(json!({"up_to_id": 999999})),
        ),
        (
            Method::PUT,
            "/api/v1/threads/{id}/subscription",
            Some(json!({"level": "muted"})),
        ),
        (
            Method::PUT,
            "/api/v1/tags/{name}/subscription",
            Some(json!({"level": "muted"})),
        ),
        (Method::PUT, "/api/v1/users/{username}/block", None),
        (Method::DELETE, "/api/v1/users/{username}/block", None),
        (Method::POST, "/api/v1/users/me/calendar-feed", None),
        (Method::DELETE, "/api/v1/users/me/calendar-feed", None),
        (Method::POST, "/api/v1/users/me/export", None),
        (Method::POST, "/api/v1/users/me/2fa/totp", None),
        (
            Method::POST,
            "/api/v1/users/me/2fa/totp/confirm",
            Some(json!({"code": "123456"})),
        ),
        (
            Method::DELETE,
            "/api/v1/users/me/2fa/totp",
            Some(json!({"password": "wrong password!"})),
        ),
        (Method::DELETE, "/api/v1/users/me/identities/{id}", None),
        (
            Method::POST,
            "/api/v1/users/me/passkeys/register/start",
            None,
        ),
        (
            Method::POST,
            "/api/v1/users/me/passkeys/register/finish",
            Some(json!({"name": "Laptop", "credential": {"id": "AAAA"}})),
        ),
        (Method::DELETE, "/api/v1/users/me/passkeys/{id}", None),
        (
            Method::PUT,
            "/api/v1/users/me/username",
            Some(json!({"username": "new_name"})),
        ),
        (
            Method::DELETE,
            "/api/v1/users/me",
            Some(json!({"password": "wrong password!"})),
        ),
        // Refused while suspended.
        (
            Method::PATCH,
            "/api/v1/users/me",
            Some(json!({"bio": "Back soon."})),
        ),
        (
            Method::POST,
            "/api/v1/threads",
            Some(json!({"title": "A title", "body": "A body.", "tags": []})),
        ),
        (
            Method::PATCH,
            "/api/v1/threads/{id}",
            Some(json!({"title": "Another title"})),
        ),
        (Method::DELETE, "/api/v1/threads/{id}", None),
        (
            Method::POST,
            "/api/v1/threads/{id}/replies",
            Some(json!({"body": "A reply."})),
        ),
        (
            Method::PATCH,
            "/api/v1/replies/{id}",
            Some(json!({"body": "Edited."})),
        ),
        (Method::DELETE, "/api/v1/replies/{id}", None),
        (
            Method::PUT,
            "/api/v1/threads/{id}/vote",
            Some(json!({"value": 1})),
        ),
        (
            Method::PUT,
            "/api/v1/replies/{id}/vote",
            Some(json!({"value": 1})),
        ),
        (
            Method::PUT,
            "/api/v1/threads/{id}/solution",
            Some(json!({"reply_id": 1})),
        ),
        (Method::DELETE, "/api/v1/threads/{id}/solution", None),
        (
            Method::POST,
            "/api/v1/markdown/preview",
            Some(json!({"body": "*hi*"})),
        ),
        (
            Method::POST,
            "/api/v1/reports",
            Some(json!({"target_type": "thread", "target_id": 999999, "reason": "spam"})),
        ),
        (
            Method::PUT,
            "/api/v1/mentors/me",
            Some(
                json!({"headline": "Rust", "bio": "Ask me.", "skills": ["rust"], "languages": ["en"], "timezone": "Europe/Berlin", "capacity": 2, "accepting": true}),
            ),
        ),
        (
            Method::POST,
            "/api/v1/mentorship-requests",
            Some(
                json!({"mentor": "nobody_here", "message": "Hello there.", "goals": "Learn Rust."}),
            ),
        ),
        (
            Method::POST,
            "/api/v1/mentorship-requests/{id}/accept",
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/v1/mentorship-requests/{id}/decline",
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/v1/mentorship-requests/{id}/withdraw",
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/v1/mentorship-requests/{id}/complete",
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/v1/meetups",
            Some(json!({
                "title": "Rust night", "description": "Talks.", "starts_at": soon, "ends_at": later,
                "timezone": "Europe/Berlin",
                "venue": {"name": "Hall 1", "address": "Main St 1", "city": "Berlin", "country": "DE"},
            })),
        ),
        (
            Method::PATCH,
            "/api/v1/meetups/{id}",
            Some(json!({"title": "Renamed"})),
        ),
        (Method::POST, "/api/v1/meetups/{id}/cancel", Some(json!({}))),
        (Method::PUT, "/api/v1/meetups/{id}/rsvp", None),
        (Method::DELETE, "/api/v1/meetups/{id}/rsvp", None),
        // A JSON body is the wrong shape (415) for a member who may upload; the suspended
        // member is refused before the form is read.
        (Method::POST, "/api/v1/uploads", Some(json!({}))),
        (
            Method::PUT,
            "/api/v1/users/me/avatar",
            Some(json!({"upload_id": 999999})),
        ),
        (Method::DELETE, "/api/v1/users/me/avatar", None),
        (
            Method::POST,
            "/api/v1/users/me/api-tokens",
            Some(json!({"name": "bot", "scopes": ["read"]})),
        ),
        (Method::DELETE, "/api/v1/users/me/api-tokens/{id}", None),
        // Last: it ends every login, the caller's too.
        (Method::POST, "/api/v1/auth/logout-everywhere", None),
    ]
}

/// Write operations nobody signs in for (the token or link is the credential).
const ANONYMOUS_WRITES: &[&str] = &[
    "POST /api/v1/auth/register",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/logout",
    "POST /api/v1/auth/verify-email",
    "POST /api/v1/auth/verify-email/resend",
    "POST /api/v1/auth/password-reset/request",
    "POST /api/v1/auth/password-reset/confirm",
    "POST /api/v1/auth/email-change/undo",
    "POST /api/v1/unsubscribe",
    "POST /api/v1/mentorship-check-ins",
    "POST /api/v1/auth/oauth/{provider}/start",
    "POST /api/v1/auth/oauth/exchange",
    "POST /api/v1/auth/login/mfa",
    "POST /api/v1/auth/passkey/start",
    "POST /api/v1/auth/passkey/finish",
];

#[tokio::test]
async fn a_suspended_member_keeps_exactly_the_writes_that_concern_only_themselves() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    app.sql(&format!(
        "UPDATE users SET suspended_at = now(), suspension_reason = 'spam' WHERE id = {}",
        ada.id
    ));

    // The table covers every member write the API documents (staff's are the moderation
    // matrix's): a new one cannot be forgotten.
    let document = json(app.get("/api/v1/openapi.json").await).await;
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        if path.starts_with("/api/v1/mod/") || path.starts_with("/api/v1/admin/") {
            continue;
        }
        for method in item.as_object().expect("operations").keys() {
            let operation = format!("{} {path}", method.to_uppercase());
            if ["POST", "PUT", "PATCH", "DELETE"].contains(&method.to_uppercase().as_str())
                && !ANONYMOUS_WRITES.contains(&operation.as_str())
            {
                documented.insert(operation);
            }
        }
    }
    let table: std::collections::BTreeSet<String> = member_writes()
        .iter()
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect();
    assert_eq!(table, documented);
    for (method, path) in devforum::accounts::auth::SUSPENDED_MAY {
        assert!(
            table.contains(&format!("{method} {path}")),
            "SUSPENDED_MAY names {method} {path}, which the API does not have"
        );
    }

    for (method, template, body) in member_writes() {
        let allowed = devforum::accounts::auth::SUSPENDED_MAY
            .iter()
            .any(|(m, p)| *m == method.as_str() && *p == template);
        let path = template
            .replace("{id}", "999999")
            .replace("{username}", "nobody_here")
            .replace("{name}", "no-such-tag")
            .replace("{key}", "new-thread");
        let response = app
            .call(
                method.clone(),
                &path,
                Some(&ada.access_token),
                body.as_ref(),
            )
            .await;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        let refused = status == 403 && answer["code"] == "account_suspended";
        assert_eq!(
            refused, !allowed,
            "{method} {path} while suspended: {status} {answer}"
        );
        assert!(status < 500, "{method} {path}: {status} {answer}");
    }
}

#[tokio::test]
async fn answers_made_for_a_signed_in_caller_are_never_cached() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mona", "moderator").await;
    let thread = app.create_thread(&ada, "Caching", &[]).await;
    for (path, token) in [
        ("/api/v1/users/me".to_string(), &ada.access_token),
        ("/api/v1/notifications".to_string(), &ada.access_token),
        ("/api/v1/mentorship-requests".to_string(), &ada.access_token),
        (format!("/api/v1/threads/{thread}"), &ada.access_token),
        ("/api/v1/mod/reports".to_string(), &moderator.access_token),
        ("/api/v1/threads/999999".to_string(), &ada.access_token),
    ] {
        let response = app.get_as(&path, token).await;
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("private, no-store"),
            "{path}: {}",
            response.status()
        );
    }
    // An anonymous answer is not marked private.
    let anonymous = app.get(&format!("/api/v1/threads/{thread}")).await;
    assert_ne!(
        anonymous
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("private, no-store")
    );
}

#[tokio::test]
async fn guessing_at_emailed_tokens_meets_a_429() {
    let app = spawn_app_with(
        |settings| {
            settings.rate_limits.verify_email_per_hour = 3;
            settings.rate_limits.password_reset_per_hour = 3;
        },
        BuildOptions::default(),
    )
    .await;
    for path in [
        "/api/v1/auth/verify-email",
        "/api/v1/auth/email-change/undo",
    ] {
        for guess in 0..3 {
            let answer = app
                .post_json(
                    path,
                    &json!({ "token": format!("guess-{guess}-{}", "x".repeat(40)) }),
                )
                .await;
            assert_eq!(answer.status().as_u16(), 400, "{path}, guess {guess}");
        }
        let refused = app
            .post_json(
                path,
                &json!({ "token": format!("guess-4-{}", "x".repeat(40)) }),
            )
            .await;
        assert!(refused.headers().contains_key("retry-after"), "{path}");
        assert_problem(refused, 429, "rate_limited").await;
    }
}

#[tokio::test]
async fn the_one_click_post_takes_rfc_8058s_body_or_none() {
    use devforum::notifications::unsubscribe::{Scope, UnsubscribeKeys};
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let keys = UnsubscribeKeys::new(&crate::helpers::test_settings("postgres://unused"));
    let token = keys
        .issue(devforum::ids::UserId(ada.id), Scope::Mail)
        .expect("token");
    let post = |body: &'static str| {
        let url = app.url(&format!("/api/v1/unsubscribe?token={token}"));
        async move {
            reqwest::Client::new()
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("post")
        }
    };
    assert_problem(
        post("List-Unsubscribe=Something-Else").await,
        400,
        "not_one_click",
    )
    .await;
    assert_problem(post("{\"evil\": true}").await, 400, "not_one_click").await;
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM users WHERE id = {} AND email_notifications = 'never'",
            ada.id
        )),
        0,
        "nothing changed"
    );
    assert_eq!(
        post("List-Unsubscribe=One-Click").await.status().as_u16(),
        200
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM users WHERE id = {} AND email_notifications = 'never'",
            ada.id
        )),
        1
    );
}
