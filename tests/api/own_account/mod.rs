//! Members own their accounts: password and email changes, another verification mail, and the
//! account's sessions (API.md "Members own their accounts"). Mail goes to a real SMTP server.

mod export;
mod sessions;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, json, spawn_app, spawn_app_with, TestApp, TestUser, PASSWORD,
};
use crate::mail::{spawn_app_with_mail, MailServer, MAIL_WAIT};

const NEW_PASSWORD: &str = "a much better password";

/// The messages queued for `to` so far (sent or not).
fn mail_jobs_to(app: &TestApp, to: &str) -> i64 {
    app.count(&format!(
        "SELECT count(*) AS n FROM jobs WHERE kind = 'email.send' AND lower(payload->>'to') = lower('{to}')"
    ))
}

async fn refresh(app: &TestApp, refresh_token: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({ "refresh_token": refresh_token }),
    )
    .await
}

/// A fresh access token for `user`'s session (its refresh token rotates).
async fn refreshed(app: &TestApp, user: &mut TestUser) {
    let response = refresh(app, &user.refresh_token).await;
    assert_eq!(response.status().as_u16(), 200);
    let body = json(response).await;
    user.access_token = body["access_token"].as_str().unwrap().to_string();
    user.refresh_token = body["refresh_token"].as_str().unwrap().to_string();
}

async fn me(app: &TestApp, user: &TestUser) -> Value {
    let response = app.get_as("/api/v1/users/me", &user.access_token).await;
    assert_eq!(response.status().as_u16(), 200);
    json(response).await
}

#[tokio::test]
async fn a_password_change_needs_the_current_password_ends_other_sessions_and_mails_the_member() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let mut ada = app.member("ada").await;
    let laptop = app.signed_in("ada").await;
    let path = "/api/v1/users/me/password";

    app.assert_refusals(
        Method::POST,
        path,
        Some(&ada.access_token),
        &[
            (Some(json!({})), 422, "validation_failed", Some("current_password")),
            (Some(json!({"current_password": PASSWORD})), 422, "validation_failed", Some("new_password")),
            (
                Some(json!({"current_password": PASSWORD, "new_password": "short"})),
                422,
                "validation_failed",
                Some("new_password"),
            ),
            (
                Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "role": "admin"})),
                422,
                "validation_failed",
                None,
            ),
            (
                Some(json!({"current_password": "not the password", "new_password": NEW_PASSWORD})),
                403,
                "wrong_password",
                None,
            ),
        ],
    )
    .await;
    app.assert_refusals(
        Method::POST,
        path,
        None,
        &[(
            Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
            401,
            "unauthorized",
            None,
        )],
    )
    .await;
    // Nothing changed: the password is the old one, and no mail went.
    assert_eq!(app.login("ada", PASSWORD).await.status().as_u16(), 200);
    assert_eq!(mail_jobs_to(&app, &ada.email), 0);

    let response = app
        .send_as(
            Method::POST,
            path,
            &ada.access_token,
            &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);

    let notice = mail
        .wait_for_subject(&ada.email, "password was changed", MAIL_WAIT)
        .await;
    assert!(notice.text.contains("signed out"), "{}", notice.text);
    assert!(notice
        .link_to("/forgot-password")
        .is_some_and(|l| l.starts_with("https://forum.example/")));
    assert!(notice.html.contains("forgot-password"));

    // The other device is signed out: its refresh token and its access token are dead.
    assert_problem(
        refresh(&app, &laptop.refresh_token).await,
        401,
        "invalid_refresh_token",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/users/me", &laptop.access_token).await,
        401,
        "unauthorized",
    )
    .await;
    // This device refreshes its access token and goes on.
    assert_problem(
        app.get_as("/api/v1/users/me", &ada.access_token).await,
        401,
        "unauthorized",
    )
    .await;
    refreshed(&app, &mut ada).await;
    assert_eq!(me(&app, &ada).await["username"], "ada");
    assert_problem(app.login("ada", PASSWORD).await, 401, "invalid_credentials").await;
    assert_eq!(app.login("ada", NEW_PASSWORD).await.status().as_u16(), 200);
}

#[tokio::test]
async fn an_email_change_applies_once_the_new_address_is_verified_and_the_old_one_can_undo_it() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let laptop = app.signed_in("ada").await;
    app.member("grace").await;
    let path = "/api/v1/users/me/email";

    app.assert_refusals(
        Method::POST,
        path,
        Some(&ada.access_token),
        &[
            (
                Some(json!({"password": PASSWORD})),
                422,
                "validation_failed",
                Some("new_email"),
            ),
            (
                Some(json!({"new_email": "not an address", "password": PASSWORD})),
                422,
                "validation_failed",
                Some("new_email"),
            ),
            (
                Some(json!({"new_email": "ada@new.example"})),
                422,
                "validation_failed",
                Some("password"),
            ),
            // The address the account has already, in another case.
            (
                Some(json!({"new_email": "ADA@example.com", "password": PASSWORD})),
                422,
                "validation_failed",
                Some("new_email"),
            ),
            (
                Some(json!({"new_email": "ada@new.example", "password": "wrong password"})),
                403,
                "wrong_password",
                None,
            ),
        ],
    )
    .await;
    // Taken by another account, in any case: refused without naming that account.
    let taken = app
        .send_as(
            Method::POST,
            path,
            &ada.access_token,
            &json!({"new_email": "Grace@Example.com", "password": PASSWORD}),
        )
        .await;
    let problem = assert_problem(taken, 409, "email_taken").await;
    assert!(
        !problem.to_string().to_lowercase().contains("grace"),
        "{problem}"
    );
    app.assert_refusals(
        Method::POST,
        path,
        None,
        &[(
            Some(json!({"new_email": "ada@new.example", "password": PASSWORD})),
            401,
            "unauthorized",
            None,
        )],
    )
    .await;
    assert_eq!(mail_jobs_to(&app, "ada@new.example"), 0);

    let response = app
        .send_as(
            Method::POST,
            path,
            &ada.access_token,
            &json!({"new_email": "Ada@New.Example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 202);
    // Nothing applies before the new address is verified.
    assert_eq!(me(&app, &ada).await["email"], "ada@example.com");

    let verify = mail
        .wait_for_subject("ada@new.example", "new email address", MAIL_WAIT)
        .await;
    let token = verify
        .token_for("/verify-email")
        .expect("verification link");
    let notice = mail
        .wait_for_subject("ada@example.com", "being changed", MAIL_WAIT)
        .await;
    assert!(notice.text.contains("Ada@new.example"), "{}", notice.text);
    let undo = notice.token_for("/undo-email-change").expect("undo link");
    assert!(notice.html.contains("undo-email-change"));

    let verified = app
        .post_json("/api/v1/auth/verify-email", &json!({ "token": token }))
        .await;
    assert_eq!(verified.status().as_u16(), 200);
    let verified = json(verified).await;
    assert_eq!(verified["email"], "Ada@new.example");
    assert_eq!(verified["email_verified"], true);
    assert_eq!(
        app.login("ADA@NEW.EXAMPLE", PASSWORD)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_problem(
        app.login("ada@example.com", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_problem(
        app.post_json("/api/v1/auth/verify-email", &json!({ "token": token }))
            .await,
        400,
        "invalid_token",
    )
    .await;

    // The old address undoes it: the account has its address back and everyone is signed out.
    let response = app
        .post_json("/api/v1/auth/email-change/undo", &json!({ "token": undo }))
        .await;
    assert_eq!(response.status().as_u16(), 204);
    for session in [&ada, &laptop] {
        assert_problem(
            refresh(&app, &session.refresh_token).await,
            401,
            "invalid_refresh_token",
        )
        .await;
        assert_problem(
            app.get_as("/api/v1/users/me", &session.access_token).await,
            401,
            "unauthorized",
        )
        .await;
    }
    let again = app.signed_in("ada").await;
    assert_eq!(me(&app, &again).await["email"], "ada@example.com");
    assert_problem(
        app.post_json("/api/v1/auth/email-change/undo", &json!({ "token": undo }))
            .await,
        400,
        "invalid_token",
    )
    .await;
    app.assert_refusals(
        Method::POST,
        "/api/v1/auth/email-change/undo",
        None,
        &[
            (Some(json!({})), 422, "validation_failed", None),
            (
                Some(json!({"token": "  "})),
                422,
                "validation_failed",
                Some("token"),
            ),
            (
                Some(json!({"token": "unknown"})),
                400,
                "invalid_token",
                None,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn an_undo_before_verification_cancels_the_change_and_an_address_taken_meanwhile_is_refused()
{
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let change = |to: &'static str| {
        let app = &app;
        let token = ada.access_token.clone();
        async move {
            let response = app
                .send_as(
                    Method::POST,
                    "/api/v1/users/me/email",
                    &token,
                    &json!({"new_email": to, "password": PASSWORD}),
                )
                .await;
            assert_eq!(response.status().as_u16(), 202);
        }
    };

    change("first@new.example").await;
    let first = mail
        .wait_for("first@new.example", MAIL_WAIT)
        .await
        .token_for("/verify-email")
        .unwrap();
    let undo = mail
        .wait_for_subject("ada@example.com", "being changed", MAIL_WAIT)
        .await
        .token_for("/undo-email-change")
        .unwrap();
    let response = app
        .post_json("/api/v1/auth/email-change/undo", &json!({ "token": undo }))
        .await;
    assert_eq!(response.status().as_u16(), 204);
    // Cancelled: the link to the new address no longer works, and nobody was signed out.
    assert_problem(
        app.post_json("/api/v1/auth/verify-email", &json!({ "token": first }))
            .await,
        400,
        "invalid_token",
    )
    .await;
    assert_eq!(me(&app, &ada).await["email"], "ada@example.com");

    // Another account takes the address before the link is used: the change is refused.
    change("second@new.example").await;
    let second = mail
        .wait_for("second@new.example", MAIL_WAIT)
        .await
        .token_for("/verify-email")
        .unwrap();
    let grace = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"username": "grace", "email": "Second@New.Example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(grace.status().as_u16(), 201);
    assert_problem(
        app.post_json("/api/v1/auth/verify-email", &json!({ "token": second }))
            .await,
        409,
        "email_taken",
    )
    .await;
    assert_eq!(me(&app, &ada).await["email"], "ada@example.com");
}

#[tokio::test]
async fn another_verification_mail_goes_only_to_unverified_accounts_and_the_answer_never_tells() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    app.signed_up("newbie").await;
    app.member("settled").await;
    let first = mail
        .wait_for("newbie@example.com", MAIL_WAIT)
        .await
        .token_for("/verify-email")
        .unwrap();
    let path = "/api/v1/auth/verify-email/resend";
    let jobs = |to: &str| mail_jobs_to(&app, to);
    let (newbie_before, settled_before) = (jobs("newbie@example.com"), jobs("settled@example.com"));

    for email in [
        "NEWBIE@example.com",
        "settled@example.com",
        "nobody@example.com",
    ] {
        let response = app.post_json(path, &json!({ "email": email })).await;
        assert_eq!(response.status().as_u16(), 202, "{email}");
        assert!(response.text().await.unwrap().is_empty());
    }
    assert_eq!(jobs("newbie@example.com"), newbie_before + 1);
    assert_eq!(jobs("settled@example.com"), settled_before);
    assert_eq!(jobs("nobody@example.com"), 0);

    // The fresh link works and the earlier one is dead.
    let fresh = loop {
        let links: Vec<String> = mail
            .received()
            .iter()
            .filter(|e| e.to == "newbie@example.com")
            .filter_map(|e| e.token_for("/verify-email"))
            .collect();
        if links.len() == 2 {
            break links.into_iter().find(|t| *t != first).unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_problem(
        app.post_json("/api/v1/auth/verify-email", &json!({ "token": first }))
            .await,
        400,
        "invalid_token",
    )
    .await;
    let verified = app
        .post_json("/api/v1/auth/verify-email", &json!({ "token": fresh }))
        .await;
    assert_eq!(json(verified).await["email_verified"], true);

    // Per address: past three an hour the answer stays 202 and no mail goes.
    app.signed_up("eager").await;
    let eager_before = jobs("eager@example.com");
    for _ in 0..5 {
        let response = app
            .post_json(path, &json!({ "email": "eager@example.com" }))
            .await;
        assert_eq!(response.status().as_u16(), 202);
    }
    assert_eq!(jobs("eager@example.com"), eager_before + 3);

    app.assert_refusals(
        Method::POST,
        path,
        None,
        &[
            (Some(json!({})), 422, "validation_failed", None),
            (
                Some(json!({"email": "not an address"})),
                422,
                "validation_failed",
                Some("email"),
            ),
            (
                Some(json!({"email": "a@example.com", "username": "x"})),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn resending_verification_is_rate_limited_per_client_address() {
    let app = spawn_app_with(
        |s| s.rate_limits.verification_resend_per_hour = 2,
        Default::default(),
    )
    .await;
    let path = "/api/v1/auth/verify-email/resend";
    for _ in 0..2 {
        let response = app
            .post_json(path, &json!({ "email": "x@example.com" }))
            .await;
        assert_eq!(response.status().as_u16(), 202);
    }
    let limited = app
        .post_json(path, &json!({ "email": "y@example.com" }))
        .await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, 429, "rate_limited").await;
}

async fn login_from(app: &TestApp, username: &str, agent: &str) -> TestUser {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("User-Agent", agent)
        .json(&json!({ "login": username, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body = json(response).await;
    TestUser {
        id: body["user"]["id"].as_i64().unwrap(),
        username: username.to_string(),
        email: format!("{username}@example.com"),
        access_token: body["access_token"].as_str().unwrap().to_string(),
        refresh_token: body["refresh_token"].as_str().unwrap().to_string(),
    }
}

async fn sessions_of(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let response = app
        .get_as("/api/v1/users/me/sessions", &user.access_token)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    json(response).await["items"].as_array().unwrap().clone()
}

/// The path of the archive link in `email`, on the test server.
fn export_path(email: &crate::mail::ReceivedEmail) -> String {
    let link = email.link_to("/api/v1/exports/").expect("a download link");
    link.strip_prefix("https://forum.example")
        .expect("a link to the forum")
        .to_string()
}
