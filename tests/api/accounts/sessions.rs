//! Logins, refresh tokens, logout and the limits on guessing.

use super::*;

#[tokio::test]
async fn login_by_username_or_email_returns_a_token_pair_that_works() {
    let app = spawn_app().await;
    app.register("linus").await;
    for login in ["linus", "LINUS", "linus@example.com", "Linus@Example.com"] {
        let response = app.login(login, PASSWORD).await;
        assert_eq!(response.status().as_u16(), 200, "{login}");
        let body = json(response).await;
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 900);
        assert_eq!(body["user"]["username"], "linus");
        let token = body["access_token"].as_str().expect("token");
        assert!(body["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 40));
        let me = app.get_as("/api/v1/users/me", token).await;
        assert_eq!(me.status().as_u16(), 200);
        assert_eq!(json(me).await["email"], "linus@example.com");
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.register("margaret").await;
    let wrong = assert_problem(
        app.login("margaret", "not the password").await,
        401,
        "invalid_credentials",
    )
    .await;
    let unknown = assert_problem(
        app.login("nobody_here", "not the password").await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(wrong, unknown);
    app.assert_refusals(
        Method::POST,
        "/api/v1/auth/login",
        None,
        &[
            (
                Some(json!({"login": "", "password": ""})),
                422,
                "validation_failed",
                Some("login"),
            ),
            (
                Some(json!({"login": "", "password": ""})),
                422,
                "validation_failed",
                Some("password"),
            ),
            (
                Some(json!({"login": "margaret"})),
                422,
                "validation_failed",
                Some("password"),
            ),
            (
                Some(json!({"login": "x".repeat(255), "password": "p"})),
                422,
                "validation_failed",
                Some("login"),
            ),
        ],
    )
    .await;
}

/// Unknown users are checked against a dummy hash, so they cost what a wrong password costs.
/// Compared as medians of interleaved samples: an unhashed path would be ~50× faster. The
/// account's login delay is turned off here: ten failures in a row would otherwise answer
/// `429` without hashing, and how many did depended on how fast the machine hashed.
#[tokio::test]
async fn an_unknown_user_costs_the_same_time_as_a_wrong_password() {
    let app = spawn_app_with(
        |settings| settings.auth.login_failures_before_delay = i32::MAX,
        BuildOptions::default(),
    )
    .await;
    app.register("timing_tim").await;
    // Warm up: the dummy hash is computed on first use.
    app.login("nobody_at_all", "warm up please").await;
    app.login("timing_tim", "warm up please").await;
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for _ in 0..9 {
        let started = Instant::now();
        let response = app.login("nobody_at_all", "a wrong password").await;
        unknown.push(started.elapsed());
        assert_eq!(response.status().as_u16(), 401);
        let started = Instant::now();
        let response = app.login("timing_tim", "a wrong password").await;
        wrong.push(started.elapsed());
        assert_eq!(
            response.status().as_u16(),
            401,
            "a wrong password, not a throttle"
        );
    }
    unknown.sort();
    wrong.sort();
    let (unknown, wrong) = (unknown[4].as_secs_f64(), wrong[4].as_secs_f64());
    let ratio = unknown / wrong;
    assert!(
        (0.5..=2.0).contains(&ratio),
        "unknown {unknown:.4}s vs wrong {wrong:.4}s (ratio {ratio:.2})"
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_whole_login() {
    // No grace period: a token presented again is a replay at once (the grace period is
    // tested in browser.rs).
    let app = spawn_app_with(
        |settings| settings.auth.refresh_reuse_grace_secs = 0,
        BuildOptions::default(),
    )
    .await;
    let user = app.signed_up("rotating_rita").await;
    let first = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_eq!(first.status().as_u16(), 200);
    let first = json(first).await;
    let second_token = first["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_string();
    assert_ne!(second_token, user.refresh_token);
    assert_eq!(
        app.get_as(
            "/api/v1/users/me",
            first["access_token"].as_str().expect("access")
        )
        .await
        .status()
        .as_u16(),
        200
    );

    // Replaying the used token: refused, and the token that replaced it dies too.
    let replay = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_problem(replay, 401, "invalid_refresh_token").await;
    let successor = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": second_token}),
        )
        .await;
    assert_problem(successor, 401, "invalid_refresh_token").await;

    // Another login of the same account is unaffected.
    let other = app.signed_in("rotating_rita").await;
    let ok = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": other.refresh_token}),
        )
        .await;
    assert_eq!(ok.status().as_u16(), 200);

    app.assert_refusals(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        &[
            (
                Some(json!({"refresh_token": "garbage"})),
                401,
                "invalid_refresh_token",
                None,
            ),
            (
                Some(json!({"refresh_token": ""})),
                422,
                "validation_failed",
                Some("refresh_token"),
            ),
            // Without a token in the body (or the cookie) there is no session to refresh.
            (Some(json!({})), 401, "invalid_refresh_token", None),
            (None, 401, "invalid_refresh_token", None),
        ],
    )
    .await;
}

#[tokio::test]
async fn an_expired_refresh_token_is_refused() {
    let app = spawn_app().await;
    let user = app.signed_up("expired_ed").await;
    app.sql(&format!(
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = {}",
        user.id
    ));
    let response = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_problem(response, 401, "invalid_refresh_token").await;
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let user = app.signed_up("leaving_lee").await;
    let response = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);
    let refresh = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_problem(refresh, 401, "invalid_refresh_token").await;
    // Idempotent, and bad input is still a problem document.
    assert_eq!(
        app.post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": user.refresh_token})
        )
        .await
        .status()
        .as_u16(),
        204
    );
    assert_problem(
        app.post_json("/api/v1/auth/logout", &json!({})).await,
        401,
        "invalid_refresh_token",
    )
    .await;
    assert_problem(
        app.post_json("/api/v1/auth/logout", &json!({"refresh_token": ""}))
            .await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn login_is_rate_limited_per_address_with_retry_after() {
    let app = spawn_app_with(
        |s| s.rate_limits.login_per_minute = 3,
        BuildOptions::default(),
    )
    .await;
    app.register("limited_lou").await;
    for _ in 0..3 {
        assert_eq!(
            app.login("limited_lou", PASSWORD).await.status().as_u16(),
            200
        );
    }
    let limited = app.login("limited_lou", PASSWORD).await;
    let retry_after: u64 = limited
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_problem(limited, 429, "rate_limited").await;
}

#[tokio::test]
async fn repeated_failures_on_one_account_make_it_wait_longer_each_time() {
    let app = spawn_app_with(
        |s| s.auth.login_failures_before_delay = 3,
        BuildOptions::default(),
    )
    .await;
    app.register("guessed_gus").await;
    for _ in 0..3 {
        assert_problem(
            app.login("guessed_gus", "wrong guess 123").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    // Now even the right password must wait; the answer says how long.
    let waiting = app.login("guessed_gus", PASSWORD).await;
    let retry_after: u64 = waiting
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_problem(waiting, 429, "rate_limited").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_problem(
        app.login("guessed_gus", "wrong guess 456").await,
        401,
        "invalid_credentials",
    )
    .await;
    let longer = app.login("guessed_gus", PASSWORD).await;
    let retry_after: u64 = longer
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(
        (3..=4).contains(&retry_after),
        "the delay grew: {retry_after}"
    );
    // Other accounts are not affected.
    app.register("innocent_ina").await;
    assert_eq!(
        app.login("innocent_ina", PASSWORD).await.status().as_u16(),
        200
    );
}
