//! API tokens (issue 45): made with scopes, shown once, kept hashed, working as a bearer token
//! within their scopes, ended by revocation, suspension, logout-everywhere and a password
//! change, with a rate-limit bucket of their own.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{json, spawn_app, spawn_app_with, TestApp, TestUser, PASSWORD};
use crate::support::a_thread;
use devforum::startup::BuildOptions;

async fn token(app: &TestApp, member: &TestUser, body: Value) -> (i64, String) {
    let response = app
        .send_as(
            Method::POST,
            "/api/v1/users/me/api-tokens",
            &member.access_token,
            &body,
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let made = json(response).await;
    (
        made["api_token"]["id"].as_i64().expect("id"),
        made["token"].as_str().expect("token").to_string(),
    )
}

async fn status(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> u16 {
    app.call(method, path, Some(token), body.as_ref())
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_token_works_within_its_scopes_and_never_for_the_account_itself() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let (id, reader) = token(
        &app,
        &ada,
        json!({ "name": "dashboard", "scopes": ["read"], "expires_in_days": 30 }),
    )
    .await;
    assert!(reader.starts_with(&format!("dfp_{id}_")), "{reader}");
    // Kept hashed: the secret is nowhere in the database.
    let secret = reader.rsplit('_').next().expect("secret");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM api_tokens WHERE encode(secret_hash, 'escape') LIKE '%{secret}%'"
        )),
        0
    );

    let me = app.get_as("/api/v1/users/me", &reader).await;
    assert_eq!(me.status().as_u16(), 200);
    assert_eq!(json(me).await["username"], "ada");
    // The unread badge, which reads access tokens without the database, takes one too.
    let badge = app
        .get_as("/api/v1/notifications/unread-count", &reader)
        .await;
    assert_eq!(badge.status().as_u16(), 200);
    assert_eq!(json(badge).await["unread"], 0);
    let thread = json!({ "title": "From a bot", "body": "Posted by a script", "tags": [] });
    let refused = app
        .call(
            Method::POST,
            "/api/v1/threads",
            Some(&reader),
            Some(&thread),
        )
        .await;
    crate::helpers::assert_problem(refused, 403, "insufficient_scope").await;
    // The account's own settings need a session, whatever the scopes.
    let (_, everything) = token(
        &app,
        &ada,
        json!({ "name": "ci", "scopes": ["read", "write"] }),
    )
    .await;
    for (method, path) in [
        (Method::GET, "/api/v1/users/me/api-tokens"),
        (Method::GET, "/api/v1/users/me/sessions"),
        (Method::POST, "/api/v1/auth/logout-everywhere"),
        (Method::DELETE, "/api/v1/users/me"),
    ] {
        // A body for the operations that read one: the refusal comes first anyway.
        let body = (method == Method::DELETE).then(|| json!({ "password": PASSWORD }));
        let response = app
            .call(method.clone(), path, Some(&everything), body.as_ref())
            .await;
        crate::helpers::assert_problem(response, 403, "insufficient_scope").await;
    }
    let posted = app
        .call(
            Method::POST,
            "/api/v1/threads",
            Some(&everything),
            Some(&thread),
        )
        .await;
    assert_eq!(posted.status().as_u16(), 201);
    // Staff work needs `moderate`, which only staff may give.
    let reports = app.get_as("/api/v1/mod/reports", &everything).await;
    assert_eq!(reports.status().as_u16(), 403);

    // The list shows no secret, and when each was last used.
    let listed = json(
        app.get_as("/api/v1/users/me/api-tokens", &ada.access_token)
            .await,
    )
    .await;
    assert_eq!(listed["items"].as_array().expect("items").len(), 2);
    assert!(!listed.to_string().contains(secret));
    let dashboard = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["id"] == id)
        .expect("listed");
    assert_eq!(dashboard["scopes"], json!(["read"]));
    assert!(dashboard["last_used_at"].is_string() && dashboard["expires_at"].is_string());

    // Revoked: it stops at once.
    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/me/api-tokens/{id}"),
            Some(&ada.access_token),
            None,
        )
        .await;
    assert_eq!(revoked.status().as_u16(), 204);
    crate::helpers::assert_problem(
        app.get_as("/api/v1/users/me", &reader).await,
        401,
        "unauthorized",
    )
    .await;
    // A wrong secret, or a made-up token, is no token.
    let forged = format!("{}x", &everything[..everything.len() - 1]);
    crate::helpers::assert_problem(
        app.get_as("/api/v1/users/me", &forged).await,
        401,
        "unauthorized",
    )
    .await;
    crate::helpers::assert_problem(
        app.get_as(
            "/api/v1/users/me",
            "dfp_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn tokens_are_made_with_valid_fields_by_their_member_and_moderate_only_by_staff() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let bob = app.member("bob").await;
    let moderator = app.staff("mod", "moderator").await;
    let path = "/api/v1/users/me/api-tokens";
    app.assert_refusals(
        Method::POST,
        path,
        Some(&ada.access_token),
        &[
            (
                Some(json!({ "scopes": ["read"] })),
                422,
                "validation_failed",
                Some("name"),
            ),
            (
                Some(json!({ "name": "", "scopes": ["read"] })),
                422,
                "validation_failed",
                Some("name"),
            ),
            (
                Some(json!({ "name": "x" })),
                422,
                "validation_failed",
                Some("scopes"),
            ),
            (
                Some(json!({ "name": "x", "scopes": [] })),
                422,
                "validation_failed",
                Some("scopes"),
            ),
            (
                Some(json!({ "name": "x", "scopes": ["root"] })),
                422,
                "validation_failed",
                Some("scopes"),
            ),
            (
                Some(json!({ "name": "x", "scopes": ["read", "read"] })),
                422,
                "validation_failed",
                Some("scopes"),
            ),
            (
                Some(json!({ "name": "x", "scopes": ["read"], "expires_in_days": 0 })),
                422,
                "validation_failed",
                Some("expires_in_days"),
            ),
            (
                Some(json!({ "name": "x", "scopes": ["moderate"] })),
                403,
                "insufficient_role",
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
            Some(json!({ "name": "x", "scopes": ["read"] })),
            401,
            "unauthorized",
            None,
        )],
    )
    .await;
    // Someone else's token is not one of yours.
    let (bobs, _) = token(&app, &bob, json!({ "name": "bob's", "scopes": ["read"] })).await;
    app.assert_refusals(
        Method::DELETE,
        &format!("{path}/{bobs}"),
        Some(&ada.access_token),
        &[(None, 404, "not_found", None)],
    )
    .await;
    app.assert_refusals(
        Method::DELETE,
        &format!("{path}/999999"),
        Some(&ada.access_token),
        &[(None, 404, "not_found", None)],
    )
    .await;

    // Staff may give `moderate`, and the token then does staff work (and only that scope's).
    let (_, staff) = token(
        &app,
        &moderator,
        json!({ "name": "triage", "scopes": ["moderate"] }),
    )
    .await;
    assert_eq!(
        status(&app, Method::GET, "/api/v1/mod/reports", &staff, None).await,
        200
    );
    assert_eq!(
        status(&app, Method::GET, "/api/v1/threads", &staff, None).await,
        403
    );
    // A role lost takes the scope's use with it.
    app.sql(&format!(
        "UPDATE users SET role = 'member' WHERE id = {}",
        moderator.id
    ));
    assert_eq!(
        status(&app, Method::GET, "/api/v1/mod/reports", &staff, None).await,
        403
    );
}

#[tokio::test]
async fn a_token_ends_with_suspension_logout_everywhere_and_a_password_change() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let moderator = app.staff("mod", "moderator").await;
    let (_, bot) = token(
        &app,
        &ada,
        json!({ "name": "bot", "scopes": ["read", "write"] }),
    )
    .await;
    a_thread(&app, &ada).create().await;

    // While suspended it works for nothing, reading included.
    let suspended = app
        .send_as(
            Method::POST,
            "/api/v1/mod/users/ada/suspend",
            &moderator.access_token,
            &json!({ "reason": "a cooling-off week" }),
        )
        .await;
    assert_eq!(
        suspended.status().as_u16(),
        200,
        "{}",
        suspended.text().await.unwrap_or_default()
    );
    crate::helpers::assert_problem(
        app.get_as("/api/v1/users/me", &bot).await,
        403,
        "account_suspended",
    )
    .await;
    let lifted = app
        .post_as("/api/v1/mod/users/ada/unsuspend", &moderator.access_token)
        .await;
    assert!(lifted.status().is_success());
    assert_eq!(
        status(&app, Method::GET, "/api/v1/users/me", &bot, None).await,
        200
    );

    // Signing out everywhere ends it.
    let out = app
        .post_as("/api/v1/auth/logout-everywhere", &ada.access_token)
        .await;
    assert!(out.status().is_success());
    assert_eq!(
        status(&app, Method::GET, "/api/v1/users/me", &bot, None).await,
        401
    );

    // So does a password change.
    let ada = app.signed_in("ada").await;
    let (_, second) = token(&app, &ada, json!({ "name": "bot 2", "scopes": ["read"] })).await;
    assert_eq!(
        status(&app, Method::GET, "/api/v1/users/me", &second, None).await,
        200
    );
    let changed = app
        .send_as(
            Method::POST,
            "/api/v1/users/me/password",
            &ada.access_token,
            &json!({ "current_password": PASSWORD, "new_password": "another horse battery" }),
        )
        .await;
    assert!(
        changed.status().is_success(),
        "{}",
        changed.text().await.unwrap_or_default()
    );
    assert_eq!(
        status(&app, Method::GET, "/api/v1/users/me", &second, None).await,
        401
    );
}

#[tokio::test]
async fn each_token_has_a_rate_limit_bucket_of_its_own() {
    let app = spawn_app_with(
        |s| s.rate_limits.api_token_requests_per_minute = 2,
        BuildOptions::default(),
    )
    .await;
    let ada = app.member("ada").await;
    let (_, first) = token(&app, &ada, json!({ "name": "one", "scopes": ["read"] })).await;
    let (_, second) = token(&app, &ada, json!({ "name": "two", "scopes": ["read"] })).await;
    for _ in 0..2 {
        assert_eq!(
            status(&app, Method::GET, "/api/v1/users/me", &first, None).await,
            200
        );
    }
    let limited = app.get_as("/api/v1/users/me", &first).await;
    assert!(limited.headers().contains_key("retry-after"));
    crate::helpers::assert_problem(limited, 429, "rate_limited").await;
    // The other token, and the member's own session, are not held back.
    assert_eq!(
        status(&app, Method::GET, "/api/v1/users/me", &second, None).await,
        200
    );
    assert_eq!(
        status(
            &app,
            Method::GET,
            "/api/v1/users/me",
            &ada.access_token,
            None
        )
        .await,
        200
    );
}

#[tokio::test]
async fn the_openapi_document_declares_the_scope_each_operation_needs_of_a_token() {
    let app = spawn_app().await;
    let document = json(app.get("/api/v1/openapi.json").await).await;
    assert_eq!(
        document["components"]["securitySchemes"]["api_token"]["scheme"],
        "bearer"
    );
    let scopes = |path: &str, method: &str| -> Option<Value> {
        document["paths"][path][method]["security"]
            .as_array()
            .expect("security")
            .iter()
            .find_map(|requirement| requirement.get("api_token").cloned())
    };
    assert_eq!(scopes("/api/v1/threads", "post"), Some(json!(["write"])));
    assert_eq!(scopes("/api/v1/users/me", "get"), Some(json!(["read"])));
    assert_eq!(
        scopes("/api/v1/mod/reports", "get"),
        Some(json!(["moderate"]))
    );
    assert_eq!(
        scopes("/api/v1/admin/webhooks", "post"),
        Some(json!(["moderate"]))
    );
    // What concerns the account itself declares none: no token may call it.
    assert_eq!(scopes("/api/v1/users/me/api-tokens", "post"), None);
    assert_eq!(scopes("/api/v1/users/me/password", "post"), None);
    // Every operation a session may call declares what a token needs, or that none may.
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let Some(security) = operation["security"].as_array() else {
                continue;
            };
            let session = security.iter().any(|r| r.get("bearer_auth").is_some());
            let token = security.iter().any(|r| r.get("api_token").is_some());
            let expected =
                match devforum::accounts::api_tokens::required_access(&method.to_uppercase(), path)
                {
                    devforum::accounts::api_tokens::Access::SessionOnly => false,
                    devforum::accounts::api_tokens::Access::Scope(_) => session,
                };
            assert_eq!(token, expected, "{method} {path}");
        }
    }
}
