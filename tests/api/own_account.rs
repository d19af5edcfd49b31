//! Members own their accounts: password and email changes, another verification mail, and the
//! account's sessions (API.md "Members own their accounts"). Mail goes to a real SMTP server.

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

#[tokio::test]
async fn each_login_is_a_session_with_its_device_and_ending_one_stops_its_refresh_at_once() {
    let app = spawn_app().await;
    app.member("ada").await;
    let phone = login_from(&app, "ada", "Mozilla/5.0 (iPhone) Safari").await;
    let laptop = login_from(&app, "ada", "Mozilla/5.0 (X11; Linux) Firefox").await;
    let grace = app.member("grace").await;

    let seen = sessions_of(&app, &laptop).await;
    // The registration's own login, the phone and the laptop; the laptop asked.
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0]["user_agent"], "Mozilla/5.0 (X11; Linux) Firefox");
    assert_eq!(seen[0]["current"], true);
    assert!(seen[1..].iter().all(|s| s["current"] == false));
    for session in &seen {
        assert!(session["id"].as_str().unwrap().len() == 36);
        assert!(session["created_at"].is_string() && session["last_used_at"].is_string());
    }
    let phone_session = seen
        .iter()
        .find(|s| s["user_agent"] == "Mozilla/5.0 (iPhone) Safari")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A refresh moves the session to the top and keeps it the same session.
    let mut phone = phone;
    refreshed(&app, &mut phone).await;
    let seen = sessions_of(&app, &phone).await;
    assert_eq!(seen[0]["id"], phone_session.as_str());
    assert_eq!(seen[0]["current"], true);
    assert!(seen[0]["last_used_at"].as_str() > seen[0]["created_at"].as_str());

    // Someone else's session, an unknown id and garbage are all "no such session".
    let grace_session = sessions_of(&app, &grace).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for id in [
        grace_session.as_str(),
        "00000000-0000-0000-0000-000000000000",
        "nope",
    ] {
        assert_problem(
            app.call(
                Method::DELETE,
                &format!("/api/v1/users/me/sessions/{id}"),
                Some(&laptop.access_token),
                None,
            )
            .await,
            404,
            "not_found",
        )
        .await;
    }
    assert_eq!(sessions_of(&app, &grace).await.len(), 1);
    assert_problem(
        app.call(
            Method::DELETE,
            &format!("/api/v1/users/me/sessions/{phone_session}"),
            None,
            None,
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get("/api/v1/users/me/sessions").await,
        401,
        "unauthorized",
    )
    .await;

    // The laptop ends the phone's session: its next refresh fails.
    let ended = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/me/sessions/{phone_session}"),
            Some(&laptop.access_token),
            None,
        )
        .await;
    assert_eq!(ended.status().as_u16(), 204);
    assert_problem(
        refresh(&app, &phone.refresh_token).await,
        401,
        "invalid_refresh_token",
    )
    .await;
    let seen = sessions_of(&app, &laptop).await;
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s["id"] != phone_session.as_str()));
    assert_problem(
        app.call(
            Method::DELETE,
            &format!("/api/v1/users/me/sessions/{phone_session}"),
            Some(&laptop.access_token),
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    // Logging out ends a session too.
    let logout = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({ "refresh_token": laptop.refresh_token }),
        )
        .await;
    assert_eq!(logout.status().as_u16(), 204);
    assert_eq!(app.count("SELECT count(*) AS n FROM sessions WHERE revoked_at IS NULL AND user_id = (SELECT id FROM users WHERE username = 'ada')"), 1);
}

#[tokio::test]
async fn logging_out_everywhere_ends_every_session_and_access_token_at_once() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let laptop = app.signed_in("ada").await;
    let grace = app.member("grace").await;
    assert_problem(
        app.post_json("/api/v1/auth/logout-everywhere", &json!({}))
            .await,
        401,
        "unauthorized",
    )
    .await;
    let response = app
        .post_as("/api/v1/auth/logout-everywhere", &laptop.access_token)
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
    // Nobody else is touched.
    assert_eq!(me(&app, &grace).await["username"], "grace");
    assert_eq!(
        refresh(&app, &grace.refresh_token).await.status().as_u16(),
        200
    );
    let back = app.signed_in("ada").await;
    assert_eq!(sessions_of(&app, &back).await.len(), 1);
}

/// The path of the archive link in `email`, on the test server.
fn export_path(email: &crate::mail::ReceivedEmail) -> String {
    let link = email.link_to("/api/v1/exports/").expect("a download link");
    link.strip_prefix("https://forum.example")
        .expect("a link to the forum")
        .to_string()
}

#[tokio::test]
async fn an_export_holds_everything_the_member_did_and_nothing_private_of_anyone_else() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let grace = app.member("grace").await;
    let linus = app.member("linus").await;
    let moderator = app.staff("moderator", "moderator").await;
    let mentor_profile = json!({
        "headline": "Compilers", "bio": "Ask me.", "skills": ["Rust"], "languages": ["en"],
        "timezone": "UTC", "capacity": 3, "accepting_requests": true,
    });
    let response = app
        .send_as(
            Method::PUT,
            "/api/v1/mentors/me",
            &grace.access_token,
            &mentor_profile,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);

    let hidden = app
        .create_thread(&ada, "A thread moderators hid", &["rust"])
        .await;
    let kept = app.create_thread(&grace, "Grace's thread", &[]).await;
    assert_eq!(
        app.create_reply(&ada, kept, "Ada's reply")
            .await
            .status()
            .as_u16(),
        201
    );
    let vote = app
        .send_as(
            Method::PUT,
            &format!("/api/v1/threads/{kept}/vote"),
            &ada.access_token,
            &json!({"value": 1}),
        )
        .await;
    assert_eq!(vote.status().as_u16(), 200);
    for (mentee, message) in [
        (&ada, "Ada would like help."),
        (&linus, "LINUS PRIVATE NOTE"),
    ] {
        let response = app
            .send_as(
                Method::POST,
                "/api/v1/mentorship-requests",
                &mentee.access_token,
                &json!({"mentor": "grace", "message": message, "goals": "Learn."}),
            )
            .await;
        assert_eq!(response.status().as_u16(), 201);
    }
    let report = app
        .send_as(
            Method::POST,
            "/api/v1/reports",
            &ada.access_token,
            &json!({"target_type": "thread", "target_id": kept, "reason": "spam", "details": "Looks odd."}),
        )
        .await;
    assert_eq!(report.status().as_u16(), 201);
    let hide = app
        .post_as(
            &format!("/api/v1/mod/threads/{hidden}/hide"),
            &moderator.access_token,
        )
        .await;
    assert_eq!(hide.status().as_u16(), 200);
    let hide_entry = app.count("SELECT max(id) AS n FROM moderation_log");
    let appeal = app
        .send_as(
            Method::POST,
            "/api/v1/appeals",
            &ada.access_token,
            &json!({"log_id": hide_entry, "text": "Please look again."}),
        )
        .await;
    assert_eq!(appeal.status().as_u16(), 201);

    assert_problem(
        app.post_json("/api/v1/users/me/export", &json!({})).await,
        401,
        "unauthorized",
    )
    .await;
    let response = app
        .post_as("/api/v1/users/me/export", &ada.access_token)
        .await;
    assert_eq!(response.status().as_u16(), 202);
    let email = mail
        .wait_for_subject(&ada.email, "ready to download", MAIL_WAIT)
        .await;
    assert!(email.text.contains("works once and expires in 7 days"));
    let path = export_path(&email);

    let download = app.get(&path).await;
    assert_eq!(download.status().as_u16(), 200);
    let headers = download.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment; filename=\"devforum-ada-"));
    assert_eq!(headers["cache-control"], "no-store");
    let text = download.text().await.unwrap();
    let archive: Value = serde_json::from_str(&text).expect("the archive is JSON");

    assert_eq!(archive["format"], "devforum-account-export");
    assert_eq!(archive["version"], 1);
    assert_eq!(archive["account"]["email"], ada.email.as_str());
    assert_eq!(archive["account"]["username"], "ada");
    let threads = archive["threads"].as_array().unwrap();
    assert_eq!(threads.len(), 1);
    // Hidden from everyone else, it is still hers.
    assert_eq!(threads[0]["title"], "A thread moderators hid");
    assert_eq!(threads[0]["hidden"], true);
    assert_eq!(archive["replies"][0]["body"], "Ada's reply");
    assert_eq!(archive["thread_votes"][0]["thread_id"], kept);
    let requests = archive["mentorship_requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["with"], "grace");
    assert_eq!(requests[0]["role"], "mentee");
    assert_eq!(archive["reports"][0]["details"], "Looks odd.");
    assert_eq!(archive["appeals"][0]["text"], "Please look again.");
    assert_eq!(archive["appeals"][0]["status"], "open");
    // Nothing private of anyone else.
    for private in [
        grace.email.as_str(),
        linus.email.as_str(),
        moderator.email.as_str(),
        "LINUS PRIVATE NOTE",
    ] {
        assert!(!text.contains(private), "the archive holds {private}");
    }

    // The link worked once.
    assert_problem(app.get(&path).await, 404, "not_found").await;
    assert_problem(
        app.get("/api/v1/exports/unknown-token").await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM account_export_chunks"),
        0
    );
}

#[tokio::test]
async fn a_history_of_ten_thousand_posts_exports_in_pieces_without_a_request_waiting() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let ada = app.member("ada").await;
    let thread = app.create_thread(&ada, "A long conversation", &[]).await;
    app.sql(&format!(
        "INSERT INTO replies (thread_id, author_id, body, body_html) \
         SELECT {thread}, {}, 'Reply number ' || n || ' with some words to make it longer', '' \
         FROM generate_series(1, 10000) AS n",
        ada.id
    ));

    // The request answers at once; the job does the work.
    let started = std::time::Instant::now();
    let response = app
        .post_as("/api/v1/users/me/export", &ada.access_token)
        .await;
    assert_eq!(response.status().as_u16(), 202);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Asking again while it is being built adds nothing.
    let again = app
        .post_as("/api/v1/users/me/export", &ada.access_token)
        .await;
    assert_eq!(again.status().as_u16(), 202);
    let queued = app.count("SELECT count(*) AS n FROM jobs WHERE kind = 'account.export'");
    let built = app.count("SELECT count(*) AS n FROM account_exports");
    assert!(queued + built <= 1, "{queued} queued, {built} built");

    let email = mail
        .wait_for_subject(
            &ada.email,
            "ready to download",
            std::time::Duration::from_secs(60),
        )
        .await;
    let pieces = app.count("SELECT count(*) AS n FROM account_export_chunks");
    assert!(pieces > 1, "stored in {pieces} piece(s)");
    assert_eq!(
        app.count("SELECT max(length(data))::bigint AS n FROM account_export_chunks"),
        256 * 1024
    );
    let text = app.get(&export_path(&email)).await.text().await.unwrap();
    let archive: Value = serde_json::from_str(&text).unwrap();
    let replies = archive["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 10_000);
    assert_eq!(
        replies[9_999]["body"],
        "Reply number 10000 with some words to make it longer"
    );
    assert_eq!(
        app.count("SELECT size_bytes AS n FROM account_exports"),
        text.len() as i64
    );
}

#[tokio::test]
async fn exports_are_limited_per_member_per_day() {
    let app = spawn_app_with(|s| s.rate_limits.exports_per_day = 1, Default::default()).await;
    let ada = app.member("ada").await;
    assert_eq!(
        app.post_as("/api/v1/users/me/export", &ada.access_token)
            .await
            .status()
            .as_u16(),
        202
    );
    let limited = app
        .post_as("/api/v1/users/me/export", &ada.access_token)
        .await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, 429, "rate_limited").await;
    // Someone else is not limited by Ada's asking.
    let grace = app.member("grace").await;
    assert_eq!(
        app.post_as("/api/v1/users/me/export", &grace.access_token)
            .await
            .status()
            .as_u16(),
        202
    );
}
