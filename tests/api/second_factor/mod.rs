//! Second factors (API.md "Signing in with other accounts, and second factors"): TOTP set up
//! and confirmed, the login's second step with a code or a recovery code, replay refused,
//! turning it off, and the staff policy. Codes are computed by `totp` from the secret the
//! server showed, never read back from the server.

mod passkeys;
pub mod totp;

use devforum::accounts::views::{SessionList, TokenPair};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, json, read_as, spawn_app, spawn_app_with, TestApp, TestUser, PASSWORD,
};

/// Mail about the second factor queued for `to`.
fn two_factor_mail(app: &TestApp, to: &str, words: &str) -> i64 {
    app.count(&format!(
        "SELECT count(*) AS n FROM jobs WHERE kind = 'email.send' AND payload->>'to' = '{to}' \
         AND payload->>'subject' LIKE '%{words}%'"
    ))
}

/// Turns TOTP on for `user`; the base32 secret and the recovery codes.
async fn enable_totp(app: &TestApp, user: &TestUser) -> (String, Vec<String>) {
    let setup = json(
        app.post_as("/api/v1/users/me/2fa/totp", &user.access_token)
            .await,
    )
    .await;
    let secret = setup["secret"].as_str().expect("secret").to_string();
    let code = totp::current_code(&secret);
    let response = app
        .send_as(
            Method::POST,
            "/api/v1/users/me/2fa/totp/confirm",
            &user.access_token,
            &json!({ "code": code }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let codes = json(response).await["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    // The step just used is spent: later logins must wait for the next code.
    (secret, codes)
}

/// The first step of a login with a second factor set: its `mfa_token`.
async fn first_step(app: &TestApp, username: &str) -> String {
    let body = json(app.login(username, PASSWORD).await).await;
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(body["access_token"].is_null() && body["refresh_token"].is_null());
    assert_eq!(body["methods"], json!(["totp", "recovery"]));
    body["mfa_token"].as_str().expect("mfa_token").to_string()
}

async fn second_step(app: &TestApp, body: Value) -> reqwest::Response {
    app.post_json("/api/v1/auth/login/mfa", &body).await
}

/// A code for a step later than every one used so far (the one just shown may be spent).
async fn fresh_code(secret: &str) -> String {
    let now = totp::now();
    // The next step's code is accepted already (one step of drift).
    totp::code_at(secret, now + 30)
}

#[tokio::test]
async fn totp_is_set_up_with_a_code_and_then_asked_for_at_every_login() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let setup = json(
        app.post_as("/api/v1/users/me/2fa/totp", &ada.access_token)
            .await,
    )
    .await;
    let secret = setup["secret"].as_str().unwrap().to_string();
    let url = setup["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/localhost:ada?"), "{url}");
    assert!(url.contains(&format!("secret={secret}")), "{url}");
    // Pending: logins still take the password alone.
    assert!(json(app.login("ada", PASSWORD).await).await["access_token"].is_string());

    let confirm = "/api/v1/users/me/2fa/totp/confirm";
    let wrong = if totp::current_code(&secret) == "000000" {
        "111111"
    } else {
        "000000"
    };
    app.assert_refusals(
        Method::POST,
        confirm,
        Some(&ada.access_token),
        &[
            (Some(json!({ "code": wrong })), 422, "invalid_otp", None),
            (Some(json!({})), 422, "validation_failed", None),
        ],
    )
    .await;
    app.assert_refusals(
        Method::POST,
        confirm,
        None,
        &[(Some(json!({"code": "123456"})), 401, "unauthorized", None)],
    )
    .await;
    let response = app
        .send_as(
            Method::POST,
            confirm,
            &ada.access_token,
            &json!({ "code": totp::current_code(&secret) }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let codes = json(response).await["recovery_codes"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(codes, 10);
    assert_eq!(two_factor_mail(&app, &ada.email, "is on"), 1);
    let me = json(app.get_as("/api/v1/users/me", &ada.access_token).await).await;
    assert_eq!(me["two_factor"], true);
    // On already: another set-up is refused until it is turned off.
    let again = app
        .post_as("/api/v1/users/me/2fa/totp", &ada.access_token)
        .await;
    assert_problem(again, 409, "totp_enabled").await;

    let token = first_step(&app, "ada").await;
    let response = second_step(&app, json!({"mfa_token": token, "code": wrong})).await;
    assert_problem(response, 401, "invalid_otp").await;
    let code = fresh_code(&secret).await;
    let response = second_step(&app, json!({"mfa_token": token, "code": code})).await;
    let pair: TokenPair = read_as(response).await;
    assert_eq!(pair.user.username, "ada");
    let sessions: SessionList = read_as(
        app.get_as("/api/v1/users/me/sessions", &pair.access_token)
            .await,
    )
    .await;
    let current = sessions.items.iter().find(|s| s.current).unwrap();
    assert_eq!(current.method, "password+totp");

    // The same code again, at a new login: refused (replay), as is the used mfa_token.
    let token2 = first_step(&app, "ada").await;
    let replay = second_step(&app, json!({"mfa_token": token2, "code": code})).await;
    assert_problem(replay, 401, "invalid_otp").await;
    let used = second_step(&app, json!({"mfa_token": token, "code": code})).await;
    assert_problem(used, 401, "invalid_mfa_token").await;
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    let bob = app.member("bob").await;
    let (_, codes) = enable_totp(&app, &bob).await;
    let token = first_step(&app, "bob").await;
    // Typed loosely: upper case, spaces for the dash.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let response = second_step(&app, json!({"mfa_token": token, "recovery_code": typed})).await;
    let pair: TokenPair = read_as(response).await;
    let sessions: SessionList = read_as(
        app.get_as("/api/v1/users/me/sessions", &pair.access_token)
            .await,
    )
    .await;
    assert_eq!(
        sessions.items.iter().find(|s| s.current).unwrap().method,
        "password+recovery"
    );

    let token = first_step(&app, "bob").await;
    let again = second_step(&app, json!({"mfa_token": token, "recovery_code": codes[3]})).await;
    assert_problem(again, 401, "invalid_otp").await;
    let other = second_step(&app, json!({"mfa_token": token, "recovery_code": codes[4]})).await;
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn an_mfa_token_lives_five_minutes_and_allows_five_tries() {
    let app = spawn_app().await;
    let cy = app.member("cyd").await;
    let (secret, _) = enable_totp(&app, &cy).await;

    let token = first_step(&app, "cyd").await;
    let other_device = first_step(&app, "cyd").await;
    for _ in 0..5 {
        let wrong = second_step(
            &app,
            json!({"mfa_token": token, "recovery_code": "nope-nope"}),
        )
        .await;
        assert_problem(wrong, 401, "invalid_otp").await;
    }
    // Five tries: the right code comes too late for this token.
    let spent = second_step(
        &app,
        json!({"mfa_token": token, "code": fresh_code(&secret).await}),
    )
    .await;
    assert_problem(spent, 401, "invalid_mfa_token").await;
    // Each wrong try counted as a failed login: the account waits, at its other second steps
    // as at the password.
    let waits = second_step(
        &app,
        json!({"mfa_token": other_device, "code": fresh_code(&secret).await}),
    )
    .await;
    assert_eq!(waits.status(), 429);
    assert_eq!(app.login("cyd", PASSWORD).await.status(), 429);
    app.sql("UPDATE users SET failed_login_count = 0, last_failed_login_at = NULL WHERE username = 'cyd'");
    let token = first_step(&app, "cyd").await;
    let right = second_step(
        &app,
        json!({"mfa_token": token, "code": fresh_code(&secret).await}),
    )
    .await;
    assert_eq!(right.status(), 200);

    // Expired after five minutes.
    let token = first_step(&app, "cyd").await;
    app.sql("UPDATE mfa_challenges SET expires_at = now() - interval '1 second'");
    let expired = second_step(
        &app,
        json!({"mfa_token": token, "code": fresh_code(&secret).await}),
    )
    .await;
    assert_problem(expired, 401, "invalid_mfa_token").await;

    app.assert_refusals(
        Method::POST,
        "/api/v1/auth/login/mfa",
        None,
        &[
            (
                Some(json!({"mfa_token": "made-up", "code": "123456"})),
                401,
                "invalid_mfa_token",
                None,
            ),
            (
                Some(json!({"mfa_token": "x"})),
                422,
                "validation_failed",
                Some("code"),
            ),
            (
                Some(json!({"mfa_token": "x", "code": "123456", "recovery_code": "a"})),
                422,
                "validation_failed",
                Some("code"),
            ),
            (
                Some(json!({"code": "123456"})),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn turning_totp_off_needs_the_password_and_tells_the_member() {
    let app = spawn_app().await;
    let di = app.member("dia").await;
    enable_totp(&app, &di).await;
    let path = "/api/v1/users/me/2fa/totp";
    app.assert_refusals(
        Method::DELETE,
        path,
        Some(&di.access_token),
        &[
            (Some(json!({})), 422, "validation_failed", Some("password")),
            (
                Some(json!({"password": "not the password"})),
                403,
                "wrong_password",
                None,
            ),
        ],
    )
    .await;
    app.assert_refusals(
        Method::DELETE,
        path,
        None,
        &[(
            Some(json!({"password": PASSWORD})),
            401,
            "unauthorized",
            None,
        )],
    )
    .await;
    let response = app
        .send_as(
            Method::DELETE,
            path,
            &di.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(two_factor_mail(&app, &di.email, "turned off"), 1);
    assert!(json(app.login("dia", PASSWORD).await).await["access_token"].is_string());
    assert_eq!(app.count("SELECT count(*) AS n FROM recovery_codes"), 0);
    // Off already: nothing to turn off.
    let again = app
        .send_as(
            Method::DELETE,
            path,
            &di.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_problem(again, 404, "not_found").await;
}

#[tokio::test]
async fn staff_without_a_second_factor_are_refused_on_mod_and_admin_when_the_policy_is_on() {
    let app = spawn_app_with(
        |s| s.auth.require_second_factor_for_staff = true,
        Default::default(),
    )
    .await;
    let moderator = app.staff("mod", "moderator").await;
    let admin = app.staff("root", "admin").await;
    let member = app.member("plain").await;
    for (user, path) in [
        (&moderator, "/api/v1/mod/reports"),
        (&admin, "/api/v1/mod/log"),
    ] {
        let response = app.get_as(path, &user.access_token).await;
        assert_problem(response, 403, "second_factor_required").await;
    }
    let role = app
        .send_as(
            Method::PUT,
            "/api/v1/admin/users/plain/role",
            &admin.access_token,
            &json!({"role": "moderator"}),
        )
        .await;
    assert_problem(role, 403, "second_factor_required").await;
    // Members are untouched; staff with a second factor go on.
    assert_problem(
        app.get_as("/api/v1/mod/reports", &member.access_token)
            .await,
        403,
        "insufficient_role",
    )
    .await;
    enable_totp(&app, &moderator).await;
    assert_eq!(
        app.get_as("/api/v1/mod/reports", &moderator.access_token)
            .await
            .status(),
        200
    );

    // The admin sees who has a second factor.
    let profile = json(app.get_as("/api/v1/users/mod", &admin.access_token).await).await;
    assert_eq!(profile["two_factor"], true);
    let public = json(app.get_as("/api/v1/users/mod", &member.access_token).await).await;
    assert!(public["two_factor"].is_null(), "{public}");

    // With the policy off (the default), staff act without one.
    let relaxed = spawn_app().await;
    let moderator = relaxed.staff("mod", "moderator").await;
    assert_eq!(
        relaxed
            .get_as("/api/v1/mod/reports", &moderator.access_token)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn setting_up_totp_needs_a_signed_in_member_and_a_started_set_up() {
    let app = spawn_app().await;
    let eve = app.member("eve").await;
    app.assert_refusals(
        Method::POST,
        "/api/v1/users/me/2fa/totp",
        None,
        &[(None, 401, "unauthorized", None)],
    )
    .await;
    let response = app
        .send_as(
            Method::POST,
            "/api/v1/users/me/2fa/totp/confirm",
            &eve.access_token,
            &json!({"code": "123456"}),
        )
        .await;
    assert_problem(response, 409, "totp_not_started").await;
    // A second set-up replaces the first: the first secret's codes stop working.
    let first = json(
        app.post_as("/api/v1/users/me/2fa/totp", &eve.access_token)
            .await,
    )
    .await;
    let second = json(
        app.post_as("/api/v1/users/me/2fa/totp", &eve.access_token)
            .await,
    )
    .await;
    assert_ne!(first["secret"], second["secret"]);
    let old = totp::current_code(first["secret"].as_str().unwrap());
    let new = totp::current_code(second["secret"].as_str().unwrap());
    if old != new {
        let response = app
            .send_as(
                Method::POST,
                "/api/v1/users/me/2fa/totp/confirm",
                &eve.access_token,
                &json!({"code": old}),
            )
            .await;
        assert_problem(response, 422, "invalid_otp").await;
    }
}

#[tokio::test]
async fn the_settings_page_learns_which_factors_are_on() {
    let app = spawn_app().await;
    let fay = app.member("fay").await;
    let path = "/api/v1/users/me/2fa";
    let off = json(app.get_as(path, &fay.access_token).await).await;
    assert_eq!(
        off,
        json!({"totp": false, "recovery_codes_left": 0, "passkeys": 0})
    );
    let (_, codes) = enable_totp(&app, &fay).await;
    let token = first_step(&app, "fay").await;
    let used = second_step(&app, json!({"mfa_token": token, "recovery_code": codes[0]})).await;
    assert_eq!(used.status(), 200);
    let on = json(app.get_as(path, &fay.access_token).await).await;
    assert_eq!(
        on,
        json!({"totp": true, "recovery_codes_left": 9, "passkeys": 0})
    );
    app.assert_refusals(
        Method::GET,
        path,
        None,
        &[(None, 401, "unauthorized", None)],
    )
    .await;
}

/// Second steps and passkey ceremonies share one budget per address (here one a minute).
#[tokio::test]
async fn second_factor_and_passkey_endpoints_are_rate_limited() {
    let app = spawn_app_with(
        |s| s.rate_limits.second_factor_per_minute = 1,
        Default::default(),
    )
    .await;
    let mfa = json!({"mfa_token": "x", "code": "123456"});
    let first = app.post_json("/api/v1/auth/login/mfa", &mfa).await;
    assert_problem(first, 401, "invalid_mfa_token").await;
    for (path, body) in [
        ("/api/v1/auth/login/mfa", mfa),
        ("/api/v1/auth/passkey/start", json!({})),
        (
            "/api/v1/auth/passkey/finish",
            json!({"challenge_id": uuid::Uuid::new_v4(), "credential": {
                "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
                "response": {"authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA", "userHandle": "AAAA"},
            }}),
        ),
    ] {
        let response = app.post_json(path, &body).await;
        let status = response.status();
        assert_eq!(
            status,
            429,
            "{path}: {}",
            response.text().await.unwrap_or_default()
        );
    }
}
