//! Accounts and sessions: every row of the contract's table, happy and unhappy paths, mail
//! delivered to a real SMTP server.

mod registration;
mod sessions;

use std::time::{Duration, Instant};

use actix_web::{web, HttpResponse};
use devforum::accounts::auth::{Admin, Member, Moderator};
use devforum::startup::BuildOptions;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app, spawn_app_with, TestApp, PASSWORD};
use crate::mail::{spawn_app_with_mail, MailServer, MAIL_WAIT};

use diesel::QueryDsl;

#[tokio::test]
async fn a_password_reset_by_email_changes_the_password_and_ends_every_session() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let user = app.signed_up("forgetful_fay").await;
    let other_session = app.signed_in("forgetful_fay").await;
    mail.wait_for(&user.email, MAIL_WAIT).await; // the verification email

    let response = app
        .post_json(
            "/api/v1/auth/password-reset/request",
            &json!({"email": "FORGETFUL_FAY@example.com"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 202);
    let token = loop {
        let emails = mail.received();
        if let Some(email) = emails.iter().find(|e| e.subject.contains("Reset")) {
            assert!(email
                .link_to("/reset-password")
                .is_some_and(|l| l.starts_with("https://forum.example/reset-password?token=")));
            break email.token_for("/reset-password").expect("token");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let weak = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "new_password": "short"}),
        )
        .await;
    assert_problem(weak, 422, "validation_failed").await;
    let confirm = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(confirm.status().as_u16(), 204);

    for session in [&user, &other_session] {
        assert_problem(
            app.get_as("/api/v1/users/me", &session.access_token).await,
            401,
            "unauthorized",
        )
        .await;
        // The unread badge checks the session in its own statement: the same answer.
        assert_problem(
            app.get_as("/api/v1/notifications/unread-count", &session.access_token)
                .await,
            401,
            "unauthorized",
        )
        .await;
        let refresh = app
            .post_json(
                "/api/v1/auth/refresh",
                &json!({"refresh_token": session.refresh_token}),
            )
            .await;
        assert_problem(refresh, 401, "invalid_refresh_token").await;
    }
    assert_problem(
        app.login("forgetful_fay", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.login("forgetful_fay", "a brand new password")
            .await
            .status()
            .as_u16(),
        200
    );
    let reuse = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "new_password": "yet another password"}),
        )
        .await;
    assert_problem(reuse, 400, "invalid_token").await;
}

#[tokio::test]
async fn a_password_reset_request_always_answers_202_and_mails_only_real_accounts() {
    let app = spawn_app().await;
    let before = devforum::jobs::queue_depth(&mut app.conn()).expect("depth");
    let response = app
        .post_json(
            "/api/v1/auth/password-reset/request",
            &json!({"email": "ghost@example.com"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 202);
    let after = devforum::jobs::queue_depth(&mut app.conn()).expect("depth");
    assert_eq!(before, after, "no mail for an unknown address");
    assert_problem(
        app.post_json(
            "/api/v1/auth/password-reset/request",
            &json!({"email": "nope"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let bad_token = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": "made-up", "new_password": "a long new password"}),
        )
        .await;
    assert_problem(bad_token, 400, "invalid_token").await;
    let missing = assert_problem(
        app.post_json("/api/v1/auth/password-reset/confirm", &json!({}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(missing["errors"]["token"].is_array() && missing["errors"]["new_password"].is_array());
}

#[tokio::test]
async fn users_me_needs_a_valid_token() {
    let app = spawn_app().await;
    let anonymous = app.get("/api/v1/users/me").await;
    assert_eq!(
        anonymous
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert_problem(anonymous, 401, "unauthorized").await;
    assert_problem(
        app.get_as("/api/v1/users/me", "not-a-jwt").await,
        401,
        "unauthorized",
    )
    .await;
    let wrong_scheme = app
        .client
        .get(app.url("/api/v1/users/me"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .expect("request");
    assert_problem(wrong_scheme, 401, "unauthorized").await;
    // A token signed with another secret.
    let forged = devforum::accounts::jwt::JwtKeys::new(&devforum::config::AuthSettings {
        jwt_secret: "some-other-secret".to_string().into(),
        access_token_ttl_secs: 900,
        refresh_token_ttl_days: 30,
        refresh_reuse_grace_secs: 5,
        login_failures_before_delay: 5,
        login_max_delay_secs: 900,
        hashing_concurrency: 1,
        username_reserved_days: 90,
        forget_expired_every_secs: 0,
        require_second_factor_for_staff: false,
        providers: vec![],
    })
    .issue(devforum::ids::UserId(1), 0)
    .expect("token");
    assert_problem(
        app.get_as("/api/v1/users/me", &forged).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn the_profile_can_be_edited_but_never_the_privileged_fields() {
    let app = spawn_app().await;
    let user = app.signed_up("profile_pat").await;
    let patch = |body: Value| {
        let app = &app;
        let token = user.access_token.clone();
        async move {
            app.send_as(reqwest::Method::PATCH, "/api/v1/users/me", &token, &body)
                .await
        }
    };
    let updated = patch(json!({
        "display_name": "Pat",
        "bio": "Rustacean.\nLikes **Markdown**.",
        "location": "Lisbon",
        "timezone": "Europe/Lisbon",
        "skills": ["Rust", "rust", "Distributed Systems"],
    }))
    .await;
    assert_eq!(updated.status().as_u16(), 200);
    let body = json(updated).await;
    assert_eq!(body["display_name"], "Pat");
    assert_eq!(body["timezone"], "Europe/Lisbon");
    assert_eq!(body["skills"], json!(["rust", "distributed-systems"]));

    for field in ["role", "email_verified", "id", "email"] {
        let value = if field == "email_verified" {
            json!(true)
        } else if field == "id" {
            json!(1)
        } else {
            json!("admin")
        };
        let response = patch(json!({ field: value })).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert!(problem["errors"][field].is_array(), "{problem}");
    }
    let me = json(app.get_as("/api/v1/users/me", &user.access_token).await).await;
    assert_eq!(
        (me["role"].as_str(), me["email_verified"].as_bool()),
        (Some("member"), Some(false))
    );

    let bad = patch(json!({"timezone": "Mars/Olympus", "skills": ["ok", "c++"], "display_name": "x".repeat(65), "location": "y".repeat(101)})).await;
    let problem = assert_problem(bad, 422, "validation_failed").await;
    for field in ["timezone", "skills", "display_name", "location"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let cleared =
        json(patch(json!({"display_name": null, "timezone": null, "skills": []})).await).await;
    assert_eq!(
        (
            cleared["display_name"].is_null(),
            cleared["timezone"].is_null()
        ),
        (true, true)
    );
    assert_eq!(cleared["skills"], json!([]));
    assert_eq!(cleared["location"], "Lisbon", "untouched fields stay");

    let anonymous = app
        .client
        .patch(app.url("/api/v1/users/me"))
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_problem(anonymous, 401, "unauthorized").await;
}

#[tokio::test]
async fn public_profiles_hide_the_email_except_from_staff() {
    let app = spawn_app().await;
    app.signed_up("shy_sam").await;
    let public = json(app.get("/api/v1/users/SHY_SAM").await).await;
    assert_eq!(public["username"], "shy_sam");
    assert!(public.get("email").is_none(), "{public}");
    let stranger = app.signed_up("stranger_sue").await;
    assert!(json(
        app.get_as("/api/v1/users/shy_sam", &stranger.access_token)
            .await
    )
    .await
    .get("email")
    .is_none());
    let moderator = app.staff("mod_mo", "moderator").await;
    let seen = json(
        app.get_as("/api/v1/users/shy_sam", &moderator.access_token)
            .await,
    )
    .await;
    assert_eq!(seen["email"], "shy_sam@example.com");
    assert_problem(
        app.get("/api/v1/users/nobody_by_that_name").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/users/shy_sam", "garbage").await,
        401,
        "unauthorized",
    )
    .await;
}

async fn needs_member(Member(user): Member) -> HttpResponse {
    HttpResponse::Ok().json(json!({"user": user.username}))
}
async fn needs_moderator(Moderator(user): Moderator) -> HttpResponse {
    HttpResponse::Ok().json(json!({"user": user.username}))
}
async fn needs_admin(Admin(user): Admin) -> HttpResponse {
    HttpResponse::Ok().json(json!({"user": user.username}))
}

fn guarded_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/test/member").route(web::post().to(needs_member)))
        .service(web::resource("/test/moderator").route(web::post().to(needs_moderator)))
        .service(web::resource("/test/admin").route(web::post().to(needs_admin)));
}

async fn call(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.post_as(path, token).await
}

#[tokio::test]
async fn extractors_refuse_unverified_suspended_and_under_privileged_callers() {
    let app = spawn_app_with(
        |_| {},
        BuildOptions {
            extra_routes: Some(guarded_routes),
            ..Default::default()
        },
    )
    .await;
    let unverified = app.signed_up("new_nell").await;
    assert_problem(
        call(&app, "/test/member", &unverified.access_token).await,
        403,
        "email_not_verified",
    )
    .await;
    let member = app.member("verified_vic").await;
    assert_eq!(
        json(call(&app, "/test/member", &member.access_token).await).await["user"],
        member.username
    );
    assert_problem(
        call(&app, "/test/moderator", &member.access_token).await,
        403,
        "insufficient_role",
    )
    .await;
    let moderator = app.staff("mod_max", "moderator").await;
    assert_eq!(
        call(&app, "/test/moderator", &moderator.access_token)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_problem(
        call(&app, "/test/admin", &moderator.access_token).await,
        403,
        "insufficient_role",
    )
    .await;
    let admin = app.staff("admin_ana", "admin").await;
    assert_eq!(
        call(&app, "/test/moderator", &admin.access_token)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        call(&app, "/test/admin", &admin.access_token)
            .await
            .status()
            .as_u16(),
        200
    );
    let anonymous = app
        .client
        .post(app.url("/test/member"))
        .send()
        .await
        .expect("request");
    assert_problem(anonymous, 401, "unauthorized").await;
}

#[tokio::test]
async fn suspension_and_demotion_apply_to_the_very_next_request() {
    let app = spawn_app_with(
        |_| {},
        BuildOptions {
            extra_routes: Some(guarded_routes),
            ..Default::default()
        },
    )
    .await;
    let member = app.member("soon_suspended").await;
    assert_eq!(
        call(&app, "/test/member", &member.access_token)
            .await
            .status()
            .as_u16(),
        200
    );
    app.sql(&format!(
        "UPDATE users SET suspended_at = now(), suspended_until = now() + interval '1 day', suspension_reason = 'spam' WHERE id = {}",
        member.id
    ));
    assert_problem(
        call(&app, "/test/member", &member.access_token).await,
        403,
        "account_suspended",
    )
    .await;
    let patch = app
        .send_as(
            reqwest::Method::PATCH,
            "/api/v1/users/me",
            &member.access_token,
            &json!({"bio": "x"}),
        )
        .await;
    assert_problem(patch, 403, "account_suspended").await;
    // Suspended members still sign in and read.
    assert_eq!(
        app.login("soon_suspended", PASSWORD)
            .await
            .status()
            .as_u16(),
        200
    );
    let me = json(app.get_as("/api/v1/users/me", &member.access_token).await).await;
    assert_eq!(me["suspended_until"]["reason"], "spam");
    // A suspension that has ended lifts by itself.
    app.sql(&format!(
        "UPDATE users SET suspended_until = now() - interval '1 second' WHERE id = {}",
        member.id
    ));
    assert_eq!(
        call(&app, "/test/member", &member.access_token)
            .await
            .status()
            .as_u16(),
        200
    );

    let moderator = app.staff("demoted_dan", "moderator").await;
    assert_eq!(
        call(&app, "/test/moderator", &moderator.access_token)
            .await
            .status()
            .as_u16(),
        200
    );
    app.sql(&format!(
        "UPDATE users SET role = 'member' WHERE id = {}",
        moderator.id
    ));
    assert_problem(
        call(&app, "/test/moderator", &moderator.access_token).await,
        403,
        "insufficient_role",
    )
    .await;
    assert_eq!(
        json(
            app.get_as("/api/v1/users/me", &moderator.access_token)
                .await
        )
        .await["role"],
        "member"
    );
}

#[tokio::test]
async fn mail_waits_while_the_smtp_server_is_down_and_goes_out_when_it_is_back() {
    let port = crate::mail::free_port();
    let app = spawn_app_with(
        move |s| {
            s.email.transport = devforum::config::EmailTransport::Smtp;
            s.email.smtp.host = "127.0.0.1".into();
            s.email.smtp.port = port;
            s.email.smtp.timeout_secs = 2;
        },
        BuildOptions::default(),
    )
    .await;
    assert_eq!(app.register("patient_pia").await.status().as_u16(), 201);
    // The first delivery attempts fail and are recorded.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let failed_attempts: Vec<(i32, Option<String>)> = diesel::RunQueryDsl::load(
            devforum::schema::jobs::table.select((
                devforum::schema::jobs::attempts,
                devforum::schema::jobs::last_error,
            )),
            &mut app.conn(),
        )
        .expect("jobs");
        if failed_attempts
            .iter()
            .any(|(attempts, error)| *attempts >= 1 && error.is_some())
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no failed delivery recorded: {failed_attempts:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mail = MailServer::start_on(port);
    let email = mail
        .wait_for("patient_pia@example.com", Duration::from_secs(15))
        .await;
    assert!(email.token_for("/verify-email").is_some());
}

#[tokio::test]
async fn create_admin_accounts_can_sign_in_as_admin() {
    let app = spawn_app().await;
    let username = devforum::accounts::Username::parse("root_rae").expect("username");
    let email = devforum::accounts::EmailAddress::parse("root@example.com").expect("email");
    let password = devforum::accounts::Password::parse(PASSWORD).expect("password");
    devforum::accounts::service::admin::create_admin(&mut app.conn(), &username, &email, &password)
        .expect("create admin");
    let body = json(app.login("root_rae", PASSWORD).await).await;
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(body["user"]["email_verified"], true);
}

/// Found by schemathesis: PostgreSQL refuses NUL in text, which once turned into a 500.
#[tokio::test]
async fn nul_characters_name_no_account_instead_of_failing() {
    let app = spawn_app().await;
    assert_problem(
        app.login("nul\u{0}user", "some password").await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_problem(
        app.login("nul\u{0}@example.com", "some password").await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_problem(app.get("/api/v1/users/nul%00user").await, 404, "not_found").await;
    let reset = app
        .post_json(
            "/api/v1/auth/password-reset/request",
            &json!({"email": "a\u{0}b@example.com"}),
        )
        .await;
    assert_problem(reset, 422, "validation_failed").await;
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused() {
    let app = spawn_app().await;
    let user = app.signed_up("array_andy").await;
    let response = app
        .send_as(
            reqwest::Method::PATCH,
            "/api/v1/users/me",
            &user.access_token,
            &json!([null, null]),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert!(problem["errors"]["body"].is_array());
}

#[tokio::test]
async fn the_file_transport_writes_one_message_file_per_email() {
    let dir =
        std::env::temp_dir().join(format!("devforum-files-{}", uuid::Uuid::new_v4().simple()));
    let mut settings = crate::helpers::test_settings("postgres://unused");
    settings.email.transport = devforum::config::EmailTransport::File;
    settings.email.from = "devforum <no-reply@devforum.localhost>".into();
    settings.email.file_dir = dir.clone();
    let mailer = devforum::email::Mailer::from_settings(&settings).expect("mailer");
    let email = devforum::email::render(
        "verify_email",
        "file@example.com",
        json!({"username": "f", "link": "https://x/verify-email?token=t"}),
    )
    .expect("render");
    mailer.send(&email, None).await.expect("send");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|entry| entry.path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    let envelope = std::fs::read_to_string(&files[1]).expect("envelope");
    assert!(files[1].extension().is_some_and(|e| e == "json"));
    assert!(envelope.contains("file@example.com"), "{envelope}");
    assert_eq!(files[0].with_extension("json"), files[1]);
    let raw = std::fs::read_to_string(&files[0]).expect("read");
    assert!(
        raw.contains("file@example.com") && raw.contains("Confirm your email address"),
        "{raw}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
