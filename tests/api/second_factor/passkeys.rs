//! Passkeys' refusals over the API (their whole ceremony, which needs an authenticator, runs
//! in Chromium with its virtual authenticator: web/tests/sign-in.spec.ts).

use reqwest::Method;
use serde_json::json;

use crate::helpers::{assert_problem, json, spawn_app, spawn_app_with};

/// A credential shaped like `RegistrationResponseJSON` that no authenticator made.
fn forged_registration() -> serde_json::Value {
    json!({
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"attestationObject": "AAAA", "clientDataJSON": "AAAA"},
        "extensions": {}
    })
}

fn forged_assertion() -> serde_json::Value {
    json!({
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA", "userHandle": "AAAA"},
        "extensions": {}
    })
}

#[tokio::test]
async fn registration_options_ask_for_a_discoverable_credential_for_this_site() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let body = json(
        app.post_as(
            "/api/v1/users/me/passkeys/register/start",
            &ada.access_token,
        )
        .await,
    )
    .await;
    let options = &body["options"]["publicKey"];
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["user"]["name"], "ada");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    // The user handle is the account's random one, not its id.
    assert_ne!(options["user"]["id"], json!(ada.id.to_string()));
}

#[tokio::test]
async fn a_registration_needs_its_start_and_a_real_credential() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let finish = "/api/v1/users/me/passkeys/register/finish";
    let body = json!({"name": "Laptop", "credential": forged_registration()});
    let response = app
        .send_as(Method::POST, finish, &ada.access_token, &body)
        .await;
    assert_problem(response, 409, "no_registration").await;
    app.post_as(
        "/api/v1/users/me/passkeys/register/start",
        &ada.access_token,
    )
    .await;
    app.assert_refusals(
        Method::POST,
        finish,
        Some(&ada.access_token),
        &[
            (
                Some(json!({"name": "", "credential": forged_registration()})),
                422,
                "validation_failed",
                Some("name"),
            ),
            (
                Some(json!({"name": "x".repeat(65), "credential": forged_registration()})),
                422,
                "validation_failed",
                Some("name"),
            ),
            (
                Some(json!({"name": "Laptop", "credential": {"id": 7}})),
                422,
                "validation_failed",
                None,
            ),
            (
                Some(json!({"name": "Laptop", "credential": forged_registration()})),
                422,
                "invalid_credential",
                None,
            ),
        ],
    )
    .await;
    // The forged answer used the registration up.
    let response = app
        .send_as(Method::POST, finish, &ada.access_token, &body)
        .await;
    assert_problem(response, 409, "no_registration").await;
    app.assert_refusals(
        Method::POST,
        finish,
        None,
        &[(Some(body), 401, "unauthorized", None)],
    )
    .await;
    assert_eq!(app.count("SELECT count(*) AS n FROM passkeys"), 0);
}

#[tokio::test]
async fn signing_in_refuses_unknown_ceremonies_and_forged_assertions() {
    let app = spawn_app().await;
    let start = json(
        app.post_json("/api/v1/auth/passkey/start", &json!({}))
            .await,
    )
    .await;
    assert!(start["options"]["publicKey"]["allowCredentials"]
        .as_array()
        .is_none_or(|a| a.is_empty()));
    let challenge = start["challenge_id"].as_str().unwrap().to_string();
    app.assert_refusals(
        Method::POST,
        "/api/v1/auth/passkey/finish",
        None,
        &[
            (
                Some(
                    json!({"challenge_id": uuid::Uuid::new_v4(), "credential": forged_assertion()}),
                ),
                401,
                "invalid_passkey",
                None,
            ),
            (
                Some(json!({"challenge_id": "not-a-uuid", "credential": forged_assertion()})),
                422,
                "validation_failed",
                None,
            ),
            (
                Some(json!({"challenge_id": challenge, "credential": forged_assertion()})),
                401,
                "invalid_passkey",
                None,
            ),
            // Used up by the try before.
            (
                Some(json!({"challenge_id": challenge, "credential": forged_assertion()})),
                401,
                "invalid_passkey",
                None,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn removing_a_passkey_needs_one_of_ones_own() {
    let app = spawn_app().await;
    let ada = app.member("ada").await;
    let list = json(
        app.get_as("/api/v1/users/me/passkeys", &ada.access_token)
            .await,
    )
    .await;
    assert_eq!(list["items"], json!([]));
    app.assert_refusals(
        Method::DELETE,
        "/api/v1/users/me/passkeys/999999",
        Some(&ada.access_token),
        &[(None, 404, "not_found", None)],
    )
    .await;
    app.assert_refusals(
        Method::GET,
        "/api/v1/users/me/passkeys",
        None,
        &[(None, 401, "unauthorized", None)],
    )
    .await;
}

#[tokio::test]
async fn passkeys_need_a_domain_name() {
    let app = spawn_app_with(
        |s| s.web.base_url = "http://127.0.0.1:9".into(),
        Default::default(),
    )
    .await;
    let ada = app.member("ada").await;
    let response = app
        .post_as(
            "/api/v1/users/me/passkeys/register/start",
            &ada.access_token,
        )
        .await;
    assert_problem(response, 503, "passkeys_unavailable").await;
    let response = app
        .post_json("/api/v1/auth/passkey/start", &json!({}))
        .await;
    assert_problem(response, 503, "passkeys_unavailable").await;
}
