//! The code flow through a real OpenID Provider (npm's `oidc-provider`): sign-up, sign-in,
//! linking, and every refusal the contract names.

use devforum::accounts::views::{SessionList, TokenPair};
use devforum::config::ProviderKind;
use devforum::identities::views::IdentityList;
use reqwest::Method;
use serde_json::json;

use super::provider;
use crate::helpers::{assert_problem, json, read_as, spawn_app_with, TestApp, PASSWORD};
use crate::oidc_provider::{callback_uri, OidcProvider, ProviderBrowser, ProviderOptions};

/// An app with the provider `oidc` (and `other`, the same issuer under a second id).
async fn app_with(provider_process: &OidcProvider) -> TestApp {
    app_customised(provider_process, |_| {}).await
}

async fn app_customised(
    provider_process: &OidcProvider,
    customise: impl FnOnce(&mut devforum::config::Settings),
) -> TestApp {
    let issuer = provider_process.issuer();
    spawn_app_with(
        move |s| {
            let mut oidc = provider("oidc", "Company SSO", ProviderKind::Oidc, Some(&issuer));
            oidc.client_id = "devforum".into();
            oidc.client_secret = "devforum-secret".to_string().into();
            let mut other = oidc.clone();
            other.id = "other".into();
            s.auth.providers = vec![oidc, other];
            customise(s);
        },
        Default::default(),
    )
    .await
}

fn options() -> ProviderOptions {
    ProviderOptions {
        redirect_uri: format!("{},{}", callback_uri("oidc"), callback_uri("other")),
        kid: Some("key-1".into()),
        ..Default::default()
    }
}

async fn exchange(app: &TestApp, code: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/oauth/exchange", &json!({ "code": code }))
        .await
}

async fn signed_in(app: &TestApp, code: &str) -> TokenPair {
    read_as(exchange(app, code).await).await
}

#[tokio::test]
async fn signing_up_through_an_openid_provider_makes_an_account_and_signing_in_again_finds_it() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;

    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "ada", "login", None)
        .await;
    assert_eq!(landing.get("new_account"), Some("1"));
    assert_eq!(landing.get("return_to"), Some("/threads"));
    let first = signed_in(&app, landing.code()).await;
    assert_eq!(first.user.username, "ada");
    assert_eq!(first.user.email.as_deref(), Some("ada@oidc.test"));
    assert!(first.user.email_verified, "the provider verified it");
    assert_eq!(first.user.username_pending, Some(true));
    assert_eq!(first.user.has_password, Some(false));
    assert_eq!(first.user.trust_level.as_str(), "new");
    let sessions: SessionList = read_as(
        app.get_as("/api/v1/users/me/sessions", &first.access_token)
            .await,
    )
    .await;
    assert_eq!(sessions.items[0].method, "oidc");

    // Another browser, the same person at the provider: the same account, nothing new.
    let again = ProviderBrowser::new()
        .sign_in(&app, "oidc", "ada", "login", None)
        .await;
    assert_eq!(again.get("new_account"), None);
    let second = signed_in(&app, again.code()).await;
    assert_eq!(second.user.id, first.user.id);
    assert_eq!(app.count("SELECT count(*) AS n FROM users"), 1);
    let identities: IdentityList = read_as(
        app.get_as("/api/v1/users/me/identities", &second.access_token)
            .await,
    )
    .await;
    assert_eq!(identities.items.len(), 1);
    assert_eq!(identities.items[0].provider, "oidc");
    assert_eq!(identities.items[0].subject, "ada");
}

#[tokio::test]
async fn an_address_the_provider_did_not_verify_is_not_verified_here_and_is_sent_a_link() {
    let idp = OidcProvider::start_with(options()).await;
    // The mail is read from the queue: no worker may send (and so delete) it first.
    let app = app_customised(&idp, |s| s.worker.enabled = false).await;
    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "unverified-bo", "login", None)
        .await;
    let pair = signed_in(&app, landing.code()).await;
    assert!(!pair.user.email_verified);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM jobs WHERE kind = 'email.send' AND payload->>'to' = 'unverified-bo@oidc.test'"),
        1
    );
}

#[tokio::test]
async fn an_identity_whose_address_has_an_account_is_not_signed_in_to_it() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"username": "carol", "email": "Carol@oidc.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 201);
    // Verified by the provider or not, the address is carol's account's: no merge.
    for login in ["carol", "unverified-x"] {
        if login == "unverified-x" {
            app.sql("UPDATE users SET email = 'unverified-x@oidc.test' WHERE username = 'carol'");
        }
        let landing = ProviderBrowser::new()
            .sign_in(&app, "oidc", login, "login", None)
            .await;
        assert_eq!(landing.error(), Some("account_exists"), "{login}");
        assert_eq!(landing.get("code"), None);
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM users"), 1);
    assert_eq!(app.count("SELECT count(*) AS n FROM identities"), 0);
    assert_eq!(app.count("SELECT count(*) AS n FROM oauth_codes"), 0);
}

#[tokio::test]
async fn a_provider_without_an_address_for_the_member_makes_no_account() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "noemail-dee", "login", None)
        .await;
    assert_eq!(landing.error(), Some("email_required"));
    assert_eq!(app.count("SELECT count(*) AS n FROM users"), 0);
}

#[tokio::test]
async fn a_member_links_a_provider_and_signs_in_with_it_and_unlinks_it() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let dave = app.member("dave").await;

    let landing = ProviderBrowser::new()
        .sign_in(
            &app,
            "oidc",
            "dave-at-work",
            "link",
            Some(&dave.access_token),
        )
        .await;
    assert_eq!(landing.get("linked"), Some("oidc"));
    assert_eq!(landing.get("code"), None, "a link signs nobody in");

    let signed = ProviderBrowser::new()
        .sign_in(&app, "oidc", "dave-at-work", "login", None)
        .await;
    let pair = signed_in(&app, signed.code()).await;
    assert_eq!(pair.user.id.get(), dave.id);

    let identities: IdentityList = read_as(
        app.get_as("/api/v1/users/me/identities", &dave.access_token)
            .await,
    )
    .await;
    assert_eq!(identities.items.len(), 1);
    assert_eq!(
        identities.items[0].email.as_deref(),
        Some("dave-at-work@oidc.test")
    );
    let id = identities.items[0].id;

    // Another member cannot see or remove it; dave (who has a password) can.
    let erin = app.member("erin").await;
    let path = format!("/api/v1/users/me/identities/{id}");
    app.assert_refusals(
        Method::DELETE,
        &path,
        None,
        &[(None, 401, "unauthorized", None)],
    )
    .await;
    app.assert_refusals(
        Method::DELETE,
        &path,
        Some(&erin.access_token),
        &[(None, 404, "not_found", None)],
    )
    .await;
    app.assert_refusals(
        Method::DELETE,
        "/api/v1/users/me/identities/999999",
        Some(&dave.access_token),
        &[(None, 404, "not_found", None)],
    )
    .await;
    let response = app
        .call(Method::DELETE, &path, Some(&dave.access_token), None)
        .await;
    assert_eq!(response.status(), 204);
    // Unlinked: the provider's account is a stranger again (and its address is free).
    let after = ProviderBrowser::new()
        .sign_in(&app, "oidc", "dave-at-work", "login", None)
        .await;
    assert_eq!(after.get("new_account"), Some("1"));
}

#[tokio::test]
async fn linking_an_identity_another_member_has_is_refused() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "fay", "login", None)
        .await;
    signed_in(&app, landing.code()).await;
    let gus = app.member("gus").await;
    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "fay", "link", Some(&gus.access_token))
        .await;
    assert_eq!(landing.error(), Some("identity_taken"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM identities WHERE user_id = {}",
            gus.id
        )),
        0
    );
}

#[tokio::test]
async fn the_last_way_to_sign_in_cannot_be_unlinked() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "hal", "login", None)
        .await;
    let hal = signed_in(&app, landing.code()).await;
    let identities: IdentityList = read_as(
        app.get_as("/api/v1/users/me/identities", &hal.access_token)
            .await,
    )
    .await;
    let only = identities.items[0].id;
    let path = format!("/api/v1/users/me/identities/{only}");
    let response = app
        .call(Method::DELETE, &path, Some(&hal.access_token), None)
        .await;
    assert_problem(response, 409, "last_sign_in_method").await;

    // With a second identity linked, either may go, but not both.
    let linked = ProviderBrowser::new()
        .sign_in(&app, "oidc", "hal-2", "link", Some(&hal.access_token))
        .await;
    assert_eq!(linked.get("linked"), Some("oidc"));
    let response = app
        .call(Method::DELETE, &path, Some(&hal.access_token), None)
        .await;
    assert_eq!(response.status(), 204);
    let identities: IdentityList = read_as(
        app.get_as("/api/v1/users/me/identities", &hal.access_token)
            .await,
    )
    .await;
    let last = format!("/api/v1/users/me/identities/{}", identities.items[0].id);
    let response = app
        .call(Method::DELETE, &last, Some(&hal.access_token), None)
        .await;
    assert_problem(response, 409, "last_sign_in_method").await;
}

#[tokio::test]
async fn a_state_works_once_and_only_at_its_own_provider() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let browser = ProviderBrowser::new();

    // Used once: the same callback again signs in nobody.
    let url = browser.start(&app, "oidc", "login", None).await;
    let callback = browser.through_provider(&url, "ida").await;
    let landing = browser.callback(&app, &callback).await;
    assert!(landing.get("code").is_some());
    let replayed = browser.callback(&app, &callback).await;
    assert_eq!(replayed.error(), Some("invalid_state"));
    assert_eq!(replayed.get("code"), None);

    // A state begun at one provider does not finish at another (and is spent by trying).
    let url = browser.start(&app, "oidc", "login", None).await;
    let callback = browser.through_provider(&url, "ida").await;
    let foreign = callback.replace("/oauth/oidc/callback", "/oauth/other/callback");
    assert_eq!(
        browser.callback(&app, &foreign).await.error(),
        Some("invalid_state")
    );
    assert_eq!(
        browser.callback(&app, &callback).await.error(),
        Some("invalid_state")
    );

    // No state at all, or one nobody made.
    let no_state =
        crate::oidc_provider::CLIENT_BASE.to_string() + "/api/v1/auth/oauth/oidc/callback?code=abc";
    assert_eq!(
        browser.callback(&app, &no_state).await.error(),
        Some("invalid_state")
    );
    let made_up = no_state.clone() + "&state=made-up";
    assert_eq!(
        browser.callback(&app, &made_up).await.error(),
        Some("invalid_state")
    );

    // Expired: ten minutes at the provider is too long.
    let url = browser.start(&app, "oidc", "login", None).await;
    let callback = browser.through_provider(&url, "ida").await;
    app.sql("UPDATE oauth_states SET expires_at = now() - interval '1 second'");
    assert_eq!(
        browser.callback(&app, &callback).await.error(),
        Some("invalid_state")
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM users"), 1);
}

#[tokio::test]
async fn an_error_from_the_provider_signs_in_nobody() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let browser = ProviderBrowser::new();
    let url = browser.start(&app, "oidc", "login", None).await;
    let state = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let denied = format!(
        "{}/api/v1/auth/oauth/oidc/callback?error=access_denied&error_description=no&state={state}",
        crate::oidc_provider::CLIENT_BASE
    );
    let landing = browser.callback(&app, &denied).await;
    assert_eq!(landing.error(), Some("cancelled"));
    assert_eq!(landing.get("return_to"), Some("/threads"));
    // The state went with it.
    assert_eq!(app.count("SELECT count(*) AS n FROM oauth_states"), 0);

    let url = browser.start(&app, "oidc", "login", None).await;
    let state = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    // A made-up code with a real state: the provider refuses the exchange.
    let bad_code = format!(
        "{}/api/v1/auth/oauth/oidc/callback?code=made-up&state={state}",
        crate::oidc_provider::CLIENT_BASE
    );
    assert_eq!(
        browser.callback(&app, &bad_code).await.error(),
        Some("verification_failed")
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM users"), 0);
}

#[tokio::test]
async fn the_code_from_the_callback_works_once_and_for_a_minute() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "jo", "login", None)
        .await;
    let code = landing.code().to_string();
    signed_in(&app, &code).await;
    assert_problem(exchange(&app, &code).await, 401, "invalid_code").await;
    assert_problem(exchange(&app, "never-issued").await, 401, "invalid_code").await;

    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "jo", "login", None)
        .await;
    app.sql("UPDATE oauth_codes SET expires_at = now() - interval '1 second'");
    assert_problem(exchange(&app, landing.code()).await, 401, "invalid_code").await;

    app.assert_refusals(
        Method::POST,
        "/api/v1/auth/oauth/exchange",
        None,
        &[
            (Some(json!({})), 422, "validation_failed", None),
            (Some(json!({"code": 7})), 422, "validation_failed", None),
            (
                Some(json!({"code": "x", "extra": 1})),
                422,
                "validation_failed",
                None,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn the_code_exchange_honours_cookie_mode() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "kim", "login", None)
        .await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/oauth/exchange"))
        .header("X-Session-Mode", "cookie")
        .header("Origin", crate::oidc_provider::CLIENT_BASE)
        .json(&json!({"code": landing.code()}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("__Host-devforum_refresh="), "{cookie}");
    let body = json(response).await;
    assert!(body["refresh_token"].is_null());
}

#[tokio::test]
async fn starting_refuses_unknown_providers_and_bad_fields() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    app.assert_refusals(
        Method::POST,
        "/api/v1/auth/oauth/nobody/start",
        None,
        &[(Some(json!({"intent": "login"})), 404, "not_found", None)],
    )
    .await;
    let callback = app
        .get("/api/v1/auth/oauth/nobody/callback?code=a&state=b")
        .await;
    assert_problem(callback, 404, "not_found").await;
    app.assert_refusals(
        Method::POST,
        "/api/v1/auth/oauth/oidc/start",
        None,
        &[
            (Some(json!({})), 422, "validation_failed", None),
            (
                Some(json!({"intent": "merge"})),
                422,
                "validation_failed",
                None,
            ),
            (
                Some(json!({"intent": "login", "return_to": "//evil.example"})),
                422,
                "validation_failed",
                Some("return_to"),
            ),
            (
                Some(json!({"intent": "login", "return_to": "https://evil.example/"})),
                422,
                "validation_failed",
                Some("return_to"),
            ),
            (Some(json!({"intent": "link"})), 401, "unauthorized", None),
        ],
    )
    .await;
    assert_eq!(app.count("SELECT count(*) AS n FROM oauth_states"), 0);
}

#[tokio::test]
async fn an_unreachable_issuer_is_unavailable_not_a_hang() {
    let closed = format!("http://127.0.0.1:{}", crate::mail::free_port());
    let app = spawn_app_with(
        move |s| {
            s.auth.providers = vec![provider("oidc", "SSO", ProviderKind::Oidc, Some(&closed))]
        },
        Default::default(),
    )
    .await;
    let response = app
        .post_json("/api/v1/auth/oauth/oidc/start", &json!({"intent": "login"}))
        .await;
    assert_problem(response, 503, "provider_unavailable").await;
}

/// Tokens spoiled one way each (provider.mjs `OIDC_TAMPER`) are refused, logged, and sign in
/// nobody.
#[tokio::test]
async fn tampered_id_tokens_are_refused() {
    for tamper in ["aud", "azp", "nonce", "signature", "unknown_key"] {
        let idp = OidcProvider::start_with(ProviderOptions {
            tamper: Some(tamper.into()),
            ..options()
        })
        .await;
        let app = app_with(&idp).await;
        let landing = ProviderBrowser::new()
            .sign_in(&app, "oidc", "mallory", "login", None)
            .await;
        assert_eq!(landing.error(), Some("verification_failed"), "{tamper}");
        assert_eq!(app.count("SELECT count(*) AS n FROM users"), 0, "{tamper}");
    }
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    // The provider's clock two hours behind: its one-hour ID tokens are past their `exp`.
    let idp = OidcProvider::start_with(ProviderOptions {
        clock_offset_secs: -7200,
        ..options()
    })
    .await;
    let app = app_with(&idp).await;
    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "late", "login", None)
        .await;
    assert_eq!(landing.error(), Some("verification_failed"));
    assert_eq!(app.count("SELECT count(*) AS n FROM users"), 0);
}

#[tokio::test]
async fn a_rotated_signing_key_is_fetched_once_and_the_sign_in_goes_on() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let first = ProviderBrowser::new()
        .sign_in(&app, "oidc", "nia", "login", None)
        .await;
    let before = signed_in(&app, first.code()).await;

    // The issuer now signs with a key the app's cached set lacks.
    let idp = idp
        .restart(ProviderOptions {
            kid: Some("key-2".into()),
            ..options()
        })
        .await;
    let again = ProviderBrowser::new()
        .sign_in(&app, "oidc", "nia", "login", None)
        .await;
    let after = signed_in(&app, again.code()).await;
    assert_eq!(after.user.id, before.user.id);
    drop(idp);
}

#[tokio::test]
async fn a_member_from_a_provider_confirms_or_changes_the_suggested_username_once() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let other = app.member("taken_name").await;
    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "lu", "login", None)
        .await;
    let lu = signed_in(&app, landing.code()).await;
    let path = "/api/v1/users/me/username";
    app.assert_refusals(
        Method::PUT,
        path,
        Some(&lu.access_token),
        &[
            (
                Some(json!({"username": "no spaces"})),
                422,
                "validation_failed",
                Some("username"),
            ),
            (Some(json!({})), 422, "validation_failed", None),
            (
                Some(json!({"username": "TAKEN_NAME"})),
                409,
                "username_taken",
                None,
            ),
        ],
    )
    .await;
    app.assert_refusals(
        Method::PUT,
        path,
        None,
        &[(
            Some(json!({"username": "lu_dev"})),
            401,
            "unauthorized",
            None,
        )],
    )
    .await;
    let chosen = json(
        app.send_as(
            Method::PUT,
            path,
            &lu.access_token,
            &json!({"username": "lu_dev"}),
        )
        .await,
    )
    .await;
    assert_eq!(chosen["username"], "lu_dev");
    assert_eq!(chosen["username_pending"], false);
    // Once: afterwards (and for accounts that chose theirs at registration) it is refused.
    let again = app
        .send_as(
            Method::PUT,
            path,
            &lu.access_token,
            &json!({"username": "lu_again"}),
        )
        .await;
    assert_problem(again, 409, "username_chosen").await;
    let registered = app
        .send_as(
            Method::PUT,
            path,
            &other.access_token,
            &json!({"username": "renamed"}),
        )
        .await;
    assert_problem(registered, 409, "username_chosen").await;
}

#[tokio::test]
async fn a_provider_sign_in_to_an_account_with_totp_asks_for_the_code() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "moe", "login", None)
        .await;
    let mo = signed_in(&app, landing.code()).await;
    let setup = json(
        app.post_as("/api/v1/users/me/2fa/totp", &mo.access_token)
            .await,
    )
    .await;
    let secret = setup["secret"].as_str().unwrap().to_string();
    let now = crate::second_factor::totp::now();
    let confirmed = app
        .send_as(
            Method::POST,
            "/api/v1/users/me/2fa/totp/confirm",
            &mo.access_token,
            &json!({"code": crate::second_factor::totp::code_at(&secret, now)}),
        )
        .await;
    assert_eq!(confirmed.status(), 200);

    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "moe", "login", None)
        .await;
    let step = json(exchange(&app, landing.code()).await).await;
    assert_eq!(step["mfa_required"], true, "{step}");
    assert!(step["access_token"].is_null());
    let code = crate::second_factor::totp::code_at(&secret, now + 30);
    let pair: TokenPair = read_as(
        app.post_json(
            "/api/v1/auth/login/mfa",
            &json!({"mfa_token": step["mfa_token"], "code": code}),
        )
        .await,
    )
    .await;
    let sessions: SessionList = read_as(
        app.get_as("/api/v1/users/me/sessions", &pair.access_token)
            .await,
    )
    .await;
    assert_eq!(
        sessions.items.iter().find(|s| s.current).unwrap().method,
        "oidc+totp"
    );

    // Without a password, turning it off takes a fresh code instead.
    let path = "/api/v1/users/me/2fa/totp";
    app.assert_refusals(
        Method::DELETE,
        path,
        Some(&pair.access_token),
        &[
            (Some(json!({})), 422, "invalid_otp", None),
            (Some(json!({"password": "guess"})), 422, "invalid_otp", None),
        ],
    )
    .await;
    // Half a minute on (the codes used so far are spent).
    app.sql("UPDATE totp_secrets SET last_step = NULL");
    let fresh = crate::second_factor::totp::code_at(&secret, crate::second_factor::totp::now());
    let response = app
        .send_as(
            Method::DELETE,
            path,
            &pair.access_token,
            &json!({"code": fresh}),
        )
        .await;
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn starts_callbacks_and_exchanges_are_rate_limited() {
    let idp = OidcProvider::start_with(options()).await;
    let issuer = idp.issuer();
    let app = spawn_app_with(
        move |s| {
            let mut oidc = provider("oidc", "SSO", ProviderKind::Oidc, Some(&issuer));
            oidc.client_id = "devforum".into();
            s.auth.providers = vec![oidc];
            s.rate_limits.oauth_per_minute = 1;
        },
        Default::default(),
    )
    .await;
    let start = "/api/v1/auth/oauth/oidc/start";
    assert_eq!(
        app.post_json(start, &json!({"intent": "login"}))
            .await
            .status(),
        200
    );
    let again = app.post_json(start, &json!({"intent": "login"})).await;
    assert_eq!(again.status(), 429);
    for _ in 0..2 {
        let response = exchange(&app, "made-up").await;
        if response.status() == 429 {
            break;
        }
        assert_eq!(response.status(), 401);
    }
    assert_eq!(exchange(&app, "made-up").await.status(), 429);
    let browser = ProviderBrowser::new();
    let callback = format!(
        "{}/api/v1/auth/oauth/oidc/callback?code=a&state=b",
        crate::oidc_provider::CLIENT_BASE
    );
    assert_eq!(
        browser.callback(&app, &callback).await.error(),
        Some("invalid_state")
    );
    assert_eq!(
        browser.callback(&app, &callback).await.error(),
        Some("rate_limited")
    );
}

#[tokio::test]
async fn a_suspended_or_deleted_members_provider_account_opens_no_more_than_a_password_would() {
    let idp = OidcProvider::start_with(options()).await;
    let app = app_with(&idp).await;
    let landing = ProviderBrowser::new()
        .sign_in(&app, "oidc", "suki", "login", None)
        .await;
    let suki = signed_in(&app, landing.code()).await;
    app.sql(&format!(
        "UPDATE users SET email_verified = true, suspended_at = now(), suspension_reason = 'spam' WHERE id = {}",
        suki.user.id.get()
    ));
    // Signed in, as a password would be, and held to the suspension like one.
    let again = ProviderBrowser::new()
        .sign_in(&app, "oidc", "suki", "login", None)
        .await;
    let pair = signed_in(&app, again.code()).await;
    assert!(pair.user.suspended_until.is_some());
    let post = app
        .send_as(
            Method::POST,
            "/api/v1/threads",
            &pair.access_token,
            &json!({"title": "Back again", "body": "Hello.", "tags": []}),
        )
        .await;
    assert_problem(post, 403, "account_suspended").await;

    // Deleted: the identity went with the account; the provider's account is a stranger.
    app.sql(&format!(
        "UPDATE users SET suspended_at = NULL WHERE id = {}",
        suki.user.id.get()
    ));
    app.assert_refusals(
        Method::DELETE,
        "/api/v1/users/me",
        Some(&pair.access_token),
        &[
            (
                Some(json!({})),
                422,
                "validation_failed",
                Some("confirm_username"),
            ),
            (
                Some(json!({"confirm_username": "someone"})),
                422,
                "validation_failed",
                Some("confirm_username"),
            ),
        ],
    )
    .await;
    let response = app
        .send_as(
            Method::DELETE,
            "/api/v1/users/me",
            &pair.access_token,
            &json!({"confirm_username": "SUKI"}),
        )
        .await;
    assert_eq!(
        response.status(),
        204,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let after = ProviderBrowser::new()
        .sign_in(&app, "oidc", "suki", "login", None)
        .await;
    assert_eq!(after.get("new_account"), Some("1"));
    let fresh = signed_in(&app, after.code()).await;
    assert_ne!(fresh.user.id, suki.user.id);
}
