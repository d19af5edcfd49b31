//! Registration and email verification.

use super::*;

#[tokio::test]
async fn registration_sends_a_verification_email_whose_link_verifies_once() {
    let mail = MailServer::start();
    let app = spawn_app_with_mail(&mail).await;
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"username": "ada_l", "email": " Ada@Example.COM ", "password": PASSWORD, "display_name": "Ada"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let user = json(response).await;
    assert_eq!(user["username"], "ada_l");
    assert_eq!(user["display_name"], "Ada");
    assert_eq!(user["role"], "member");
    assert_eq!(user["email_verified"], false);
    assert_eq!(
        user["email"], "Ada@example.com",
        "trimmed, domain lower-cased"
    );
    assert!(user["id"].is_number() && user["created_at"].is_string());
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());

    let email = mail.wait_for("Ada@example.com", MAIL_WAIT).await;
    assert!(
        email.subject.contains("Confirm your email"),
        "{}",
        email.subject
    );
    let link = email
        .link_to("/verify-email")
        .expect("a link in the text part");
    assert!(
        link.starts_with("https://forum.example/verify-email?token="),
        "{link}"
    );
    assert!(
        email.html.replace("&#x2f;", "/").contains(&link),
        "the HTML part has the link too"
    );
    let token = email.token_for("/verify-email").expect("token");

    let verified = app
        .post_json("/api/v1/auth/verify-email", &json!({ "token": token }))
        .await;
    assert_eq!(verified.status().as_u16(), 200);
    assert_eq!(json(verified).await["email_verified"], true);
    let again = app
        .post_json("/api/v1/auth/verify-email", &json!({ "token": token }))
        .await;
    assert_problem(again, 400, "invalid_token").await;
}

#[tokio::test]
async fn verify_email_refuses_unknown_expired_and_malformed_tokens() {
    let app = spawn_app().await;
    app.assert_refusals(
        Method::POST,
        "/api/v1/auth/verify-email",
        None,
        &[
            (Some(json!({"token": "nope"})), 400, "invalid_token", None),
            (
                Some(json!({"token": ""})),
                422,
                "validation_failed",
                Some("token"),
            ),
            (Some(json!({})), 422, "validation_failed", Some("token")),
            (
                Some(json!({"token": 7})),
                422,
                "validation_failed",
                Some("token"),
            ),
            (None, 415, "unsupported_media_type", None),
        ],
    )
    .await;

    // An expired token is refused even though it was never used.
    app.signed_up("late_larry").await;
    let token = "expired-token-value";
    let hash = devforum::accounts::tokens::hash(token);
    app.sql(&format!(
        "INSERT INTO user_tokens (user_id, purpose, token_hash, expires_at)
         SELECT id, 'verify_email', '{hash}', now() - interval '1 minute' FROM users WHERE username = 'late_larry'"
    ));
    assert_problem(
        app.post_json("/api/v1/auth/verify-email", &json!({"token": token}))
            .await,
        400,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn registration_reports_every_bad_field_at_once() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"username": "x!", "email": "not-an-email", "password": "short", "display_name": "   "}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    for field in ["username", "email", "password", "display_name"] {
        assert!(
            problem["errors"][field].is_array(),
            "{field} missing from {problem}"
        );
    }
    let missing = assert_problem(
        app.post_json("/api/v1/auth/register", &json!({})).await,
        422,
        "validation_failed",
    )
    .await;
    for field in ["username", "email", "password"] {
        assert!(
            missing["errors"][field].is_array(),
            "{field} missing from {missing}"
        );
    }
    let unknown = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"username": "sneaky", "email": "s@example.com", "password": PASSWORD, "role": "admin"}),
        )
        .await;
    assert_problem(unknown, 422, "validation_failed").await;
    let count: i64 =
        diesel::RunQueryDsl::get_result(devforum::schema::users::table.count(), &mut app.conn())
            .expect("count");
    assert_eq!(count, 0, "nothing was created");
}

#[tokio::test]
async fn usernames_and_emails_are_unique_regardless_of_case_and_a_conflict_sends_no_mail() {
    let app = spawn_app().await;
    assert_eq!(app.register("grace").await.status().as_u16(), 201);
    let taken_name = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"username": "GRACE", "email": "other@example.com", "password": PASSWORD}),
        )
        .await;
    assert_problem(taken_name, 409, "username_taken").await;
    let taken_email = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"username": "grace2", "email": "grace@EXAMPLE.com", "password": PASSWORD}),
        )
        .await;
    assert_problem(taken_email, 409, "email_taken").await;
    let depth = devforum::jobs::queue_depth(&mut app.conn()).expect("depth");
    // One verification email for the one account; the refused ones enqueued nothing.
    assert!(depth.pending + depth.running <= 1);
    let jobs: i64 =
        diesel::RunQueryDsl::get_result(devforum::schema::jobs::table.count(), &mut app.conn())
            .expect("count");
    assert!(jobs <= 1, "{jobs} jobs");
}

#[tokio::test]
async fn registration_is_rate_limited_per_address() {
    let app = spawn_app_with(
        |s| s.rate_limits.register_per_hour = 2,
        BuildOptions::default(),
    )
    .await;
    assert_eq!(app.register("first_one").await.status().as_u16(), 201);
    assert_eq!(app.register("second_one").await.status().as_u16(), 201);
    let limited = app.register("third_one").await;
    assert!(limited.headers().get("retry-after").is_some());
    assert_problem(limited, 429, "rate_limited").await;
}
