//! Sessions in a browser: the refresh token in an HttpOnly `__Host-` cookie, honoured only
//! with `X-Session-Mode: cookie` from an allowed origin; two tabs refreshing at once stay
//! signed in; the Markdown preview renders as a post would.

use devforum::startup::BuildOptions;
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json, spawn_app, spawn_app_with, TestApp, PASSWORD};

const MODE: &str = "x-session-mode";

/// The refresh cookie a response sets: its value and its full `Set-Cookie` line.
fn refresh_cookie(response: &reqwest::Response) -> Option<(String, String)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|line| line.starts_with("__Host-devforum_refresh="))
        .map(|line| {
            let value = line
                .trim_start_matches("__Host-devforum_refresh=")
                .split(';')
                .next()
                .unwrap_or_default()
                .to_string();
            (value, line.to_string())
        })
}

impl TestApp {
    async fn cookie_login(&self, username: &str) -> (Value, String) {
        let response = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .header(MODE, "cookie")
            .json(&json!({"login": username, "password": PASSWORD}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 200);
        let (cookie, _) = refresh_cookie(&response).expect("a refresh cookie");
        (json(response).await, cookie)
    }

    /// `POST /auth/{action}` carrying the refresh cookie, with these extra headers.
    async fn with_cookie(
        &self,
        action: &str,
        cookie: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(&format!("/api/v1/auth/{action}")))
            .header(COOKIE, format!("__Host-devforum_refresh={cookie}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request")
    }
}

#[tokio::test]
async fn a_cookie_login_keeps_the_refresh_token_out_of_the_body_and_out_of_javascript() {
    let app = spawn_app().await;
    app.register("cookie_cora").await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header(MODE, "cookie")
        .json(&json!({"login": "cookie_cora", "password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let (value, line) = refresh_cookie(&response).expect("a refresh cookie");
    assert_eq!(value.len(), 43, "{line}");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=2592000",
    ] {
        assert!(line.contains(attribute), "{attribute} missing: {line}");
    }
    assert!(!line.contains("Domain"), "{line}");
    let body = json(response).await;
    assert!(body.get("refresh_token").is_none(), "{body}");
    let access = body["access_token"].as_str().expect("access token");
    assert_eq!(
        app.get_as("/api/v1/users/me", access)
            .await
            .status()
            .as_u16(),
        200
    );

    // Without the header, a login answers the token in the body and sets no cookie.
    let plain = app.login("cookie_cora", PASSWORD).await;
    assert!(refresh_cookie(&plain).is_none());
    assert!(json(plain).await["refresh_token"].is_string());
}

#[tokio::test]
async fn the_cookie_refreshes_and_rotates_and_logout_clears_it() {
    let app = spawn_app_with(
        |settings| settings.auth.refresh_reuse_grace_secs = 0,
        BuildOptions::default(),
    )
    .await;
    app.register("cookie_carl").await;
    let (_, first) = app.cookie_login("cookie_carl").await;

    let refreshed = app
        .with_cookie("refresh", &first, &[(MODE, "cookie")])
        .await;
    assert_eq!(refreshed.status().as_u16(), 200);
    let (second, _) = refresh_cookie(&refreshed).expect("a new cookie");
    assert_ne!(second, first);
    let body = json(refreshed).await;
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(body["user"]["username"], "cookie_carl");

    // The old cookie is spent: with no grace period, presenting it again ends the login.
    assert_problem(
        app.with_cookie("refresh", &first, &[(MODE, "cookie")])
            .await,
        401,
        "invalid_refresh_token",
    )
    .await;
    assert_problem(
        app.with_cookie("refresh", &second, &[(MODE, "cookie")])
            .await,
        401,
        "invalid_refresh_token",
    )
    .await;

    let (_, third) = app.cookie_login("cookie_carl").await;
    let out = app.with_cookie("logout", &third, &[(MODE, "cookie")]).await;
    assert_eq!(out.status().as_u16(), 204);
    let (cleared, line) = refresh_cookie(&out).expect("the cookie is cleared");
    assert!(cleared.is_empty() && line.contains("Max-Age=0"), "{line}");
    assert_problem(
        app.with_cookie("refresh", &third, &[(MODE, "cookie")])
            .await,
        401,
        "invalid_refresh_token",
    )
    .await;
}

#[tokio::test]
async fn the_cookie_alone_or_from_another_origin_does_nothing() {
    let app = spawn_app_with(
        |settings| settings.server.cors_allowed_origins = vec!["https://app.example".into()],
        BuildOptions::default(),
    )
    .await;
    app.register("cookie_cleo").await;
    let (_, cookie) = app.cookie_login("cookie_cleo").await;

    // A cross-site form post carries the cookie but cannot set the header.
    assert_problem(
        app.with_cookie("refresh", &cookie, &[]).await,
        401,
        "session_mode_required",
    )
    .await;
    assert_problem(
        app.with_cookie("logout", &cookie, &[]).await,
        401,
        "session_mode_required",
    )
    .await;
    for origin in ["https://evil.example", "null", "https://app.example.evil"] {
        assert_problem(
            app.with_cookie(
                "refresh",
                &cookie,
                &[(MODE, "cookie"), (ORIGIN.as_str(), origin)],
            )
            .await,
            401,
            "origin_not_allowed",
        )
        .await;
    }
    assert_problem(
        app.with_cookie("refresh", &cookie, &[(MODE, "wrong")])
            .await,
        400,
        "invalid_session_mode",
    )
    .await;
    // None of that spent or revoked the token: the allowed origin and our own still work.
    let allowed = app
        .with_cookie(
            "refresh",
            &cookie,
            &[(MODE, "cookie"), (ORIGIN.as_str(), "https://app.example")],
        )
        .await;
    assert_eq!(allowed.status().as_u16(), 200);
    let (next, _) = refresh_cookie(&allowed).expect("cookie");
    let own = app.url("/").trim_end_matches('/').to_string();
    let own_origin = app
        .with_cookie(
            "refresh",
            &next,
            &[(MODE, "cookie"), (ORIGIN.as_str(), &own)],
        )
        .await;
    assert_eq!(own_origin.status().as_u16(), 200);
    // No token at all, in either mode, is no session.
    let none = app
        .call(Method::POST, "/api/v1/auth/refresh", None, None)
        .await;
    assert_problem(none, 401, "invalid_refresh_token").await;
    let no_cookie = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header(MODE, "cookie")
        .send()
        .await
        .expect("request");
    assert_problem(no_cookie, 401, "invalid_refresh_token").await;
}

#[tokio::test]
async fn cross_origin_clients_named_in_the_config_may_send_credentials() {
    let app = spawn_app_with(
        |settings| settings.server.cors_allowed_origins = vec!["https://app.example".into()],
        BuildOptions::default(),
    )
    .await;
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/auth/refresh"))
        .header(ORIGIN, "https://app.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "x-session-mode, content-type",
        )
        .send()
        .await
        .expect("request");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let header = |name: &str| {
        preflight
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    assert_eq!(header("access-control-allow-origin"), "https://app.example");
    assert_eq!(header("access-control-allow-credentials"), "true");
    assert!(header("access-control-allow-headers").contains("x-session-mode"));
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_both_stay_signed_in() {
    let app = spawn_app().await;
    app.register("two_tabs").await;
    let (_, cookie) = app.cookie_login("two_tabs").await;
    let (a, b) = tokio::join!(
        app.with_cookie("refresh", &cookie, &[(MODE, "cookie")]),
        app.with_cookie("refresh", &cookie, &[(MODE, "cookie")]),
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let (a, _) = refresh_cookie(&a).expect("cookie");
    let (b, _) = refresh_cookie(&b).expect("cookie");
    assert_eq!(a, b, "both tabs get the same successor");
    // And the successor works: the login was not revoked.
    let next = app.with_cookie("refresh", &a, &[(MODE, "cookie")]).await;
    assert_eq!(next.status().as_u16(), 200);
}

#[tokio::test]
async fn after_the_grace_period_a_reused_token_still_revokes_the_login() {
    let app = spawn_app_with(
        |settings| settings.auth.refresh_reuse_grace_secs = 0,
        BuildOptions::default(),
    )
    .await;
    app.register("late_tab").await;
    let (_, cookie) = app.cookie_login("late_tab").await;
    let first = app
        .with_cookie("refresh", &cookie, &[(MODE, "cookie")])
        .await;
    let (successor, _) = refresh_cookie(&first).expect("cookie");
    assert_problem(
        app.with_cookie("refresh", &cookie, &[(MODE, "cookie")])
            .await,
        401,
        "invalid_refresh_token",
    )
    .await;
    assert_problem(
        app.with_cookie("refresh", &successor, &[(MODE, "cookie")])
            .await,
        401,
        "invalid_refresh_token",
    )
    .await;
}

#[tokio::test]
async fn a_preview_renders_exactly_as_the_post_will() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let markdown = "Hello *world* <script>alert(1)</script> [x](javascript:alert(1))\n\n```rust\nfn main() {}\n```";
    let preview = app
        .send_as(
            Method::POST,
            "/api/v1/markdown/preview",
            &ada.access_token,
            &json!({"body": markdown}),
        )
        .await;
    assert_eq!(preview.status().as_u16(), 200);
    let preview = json(preview).await;
    let html = preview["body_html"].as_str().expect("html");
    assert!(
        html.contains("<em>world</em>") && !html.contains("<script"),
        "{html}"
    );
    assert!(!html.contains("javascript:"), "{html}");

    let thread = app
        .send_as(
            Method::POST,
            "/api/v1/threads",
            &ada.access_token,
            &json!({"title": "Preview check", "body": markdown}),
        )
        .await;
    // The post is stored with its code plain and highlighted by its rendering job moments
    // later: then it shows exactly what the preview showed.
    let id = json(thread).await["id"].as_i64().expect("id");
    let started = std::time::Instant::now();
    loop {
        let shown = json(app.get(&format!("/api/v1/threads/{id}")).await).await;
        if shown["body_html"] == preview["body_html"] {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "{} != {}",
            shown["body_html"],
            preview["body_html"]
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    app.assert_refusals(
        Method::POST,
        "/api/v1/markdown/preview",
        Some(&ada.access_token),
        &[
            (
                Some(json!({"body": "   "})),
                422,
                "validation_failed",
                Some("body"),
            ),
            (Some(json!({})), 422, "validation_failed", Some("body")),
            (
                Some(json!({"body": "x".repeat(50_001)})),
                422,
                "validation_failed",
                Some("body"),
            ),
        ],
    )
    .await;
    assert_problem(
        app.post_json("/api/v1/markdown/preview", &json!({"body": "hi"}))
            .await,
        401,
        "unauthorized",
    )
    .await;
    // Previews are for members who may post: an unverified account is refused.
    let unverified = app.signed_up("not_yet_verified").await;
    assert_problem(
        app.send_as(
            Method::POST,
            "/api/v1/markdown/preview",
            &unverified.access_token,
            &json!({"body": "hi"}),
        )
        .await,
        403,
        "email_not_verified",
    )
    .await;
}

#[tokio::test]
async fn previews_are_rate_limited_per_member() {
    let app = spawn_app_with(
        |settings| settings.rate_limits.previews_per_minute = 2,
        BuildOptions::default(),
    )
    .await;
    let ada = app.member("ada").await;
    let draft = json!({"body": "draft"});
    let preview = || {
        app.send_as(
            Method::POST,
            "/api/v1/markdown/preview",
            &ada.access_token,
            &draft,
        )
    };
    assert_eq!(preview().await.status().as_u16(), 200);
    assert_eq!(preview().await.status().as_u16(), 200);
    let limited = preview().await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, 429, "rate_limited").await;
}
