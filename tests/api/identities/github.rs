//! Signing in with GitHub, against a stand-in of its three documented endpoints
//! (`github_standin`): OAuth 2.0 with PKCE, then `GET /user` and `GET /user/emails`.

use devforum::accounts::views::TokenPair;
use devforum::config::ProviderKind;
use serde_json::json;

use super::provider;
use crate::github_standin::{GithubAccount, GithubStandIn, CLIENT_ID, CLIENT_SECRET};
use crate::helpers::{read_as, spawn_app_with, TestApp};
use crate::oidc_provider::{Landing, ProviderBrowser, CLIENT_BASE};

async fn app_with(github: &GithubStandIn) -> TestApp {
    let base = github.url.clone();
    spawn_app_with(
        move |s| {
            let mut gh = provider("github", "GitHub", ProviderKind::Github, None);
            gh.client_id = CLIENT_ID.into();
            gh.client_secret = CLIENT_SECRET.to_string().into();
            gh.authorize_url = format!("{base}/login/oauth/authorize");
            gh.token_url = format!("{base}/login/oauth/access_token");
            gh.api_url = base.clone();
            s.auth.providers = vec![gh];
        },
        Default::default(),
    )
    .await
}

/// Start, GitHub's authorize redirect, devforum's callback.
async fn sign_in(app: &TestApp) -> Landing {
    let browser = ProviderBrowser::new();
    let url = browser.start(app, "github", "login", None).await;
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let callback = response.headers()["location"].to_str().unwrap().to_string();
    assert!(callback.starts_with(CLIENT_BASE), "{callback}");
    browser.callback(app, &callback).await
}

async fn exchange(app: &TestApp, code: &str) -> TokenPair {
    read_as(
        app.post_json("/api/v1/auth/oauth/exchange", &json!({ "code": code }))
            .await,
    )
    .await
}

#[tokio::test]
async fn signing_in_with_github_makes_an_account_from_its_user_and_verified_email() {
    let github = GithubStandIn::start();
    let app = app_with(&github).await;
    let mut octo = GithubAccount::new(583231, "octocat");
    octo.emails = vec![
        ("old@github.test".into(), false, true),
        ("octo@github.test".into(), true, true),
    ];
    github.sign_in_as(octo);

    let landing = sign_in(&app).await;
    let asked = github.last_authorize_request();
    assert_eq!(asked["code_challenge_method"], "S256");
    assert_eq!(asked["scope"], "read:user user:email");
    assert_eq!(
        asked["redirect_uri"],
        format!("{CLIENT_BASE}/api/v1/auth/oauth/github/callback")
    );
    assert_eq!(landing.get("new_account"), Some("1"));
    let pair = exchange(&app, landing.code()).await;
    assert_eq!(pair.user.username, "octocat");
    assert_eq!(pair.user.email.as_deref(), Some("octo@github.test"));
    assert!(pair.user.email_verified);
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM identities WHERE provider = 'github' AND subject = '583231'"
        ),
        1
    );

    // Again: the same account, found by GitHub's id (not its login, which can change).
    let mut renamed = GithubAccount::new(583231, "octocat-renamed");
    renamed.emails = vec![("octo@github.test".into(), true, true)];
    github.sign_in_as(renamed);
    let again = exchange(&app, sign_in(&app).await.code()).await;
    assert_eq!(again.user.id, pair.user.id);
}

#[tokio::test]
async fn a_taken_username_is_suggested_with_a_number() {
    let github = GithubStandIn::start();
    let app = app_with(&github).await;
    app.member("octocat").await;
    github.sign_in_as(GithubAccount::new(1, "octocat"));
    let pair = exchange(&app, sign_in(&app).await.code()).await;
    assert_eq!(pair.user.username, "octocat2");
    assert_eq!(pair.user.username_pending, Some(true));
}

#[tokio::test]
async fn github_without_a_verified_address_makes_an_unverified_account_or_none() {
    let github = GithubStandIn::start();
    let app = app_with(&github).await;
    let mut unverified = GithubAccount::new(2, "newbie");
    unverified.emails = vec![("newbie@github.test".into(), true, false)];
    github.sign_in_as(unverified);
    let pair = exchange(&app, sign_in(&app).await.code()).await;
    assert!(!pair.user.email_verified);

    let mut none = GithubAccount::new(3, "private");
    none.emails = vec![];
    github.sign_in_as(none);
    assert_eq!(sign_in(&app).await.error(), Some("email_required"));
    assert_eq!(app.count("SELECT count(*) AS n FROM users"), 1);
}

#[tokio::test]
async fn declining_at_github_signs_in_nobody() {
    let github = GithubStandIn::start();
    let app = app_with(&github).await;
    github.sign_in_as(GithubAccount::new(4, "shy"));
    github.refuse();
    assert_eq!(sign_in(&app).await.error(), Some("cancelled"));
    assert_eq!(app.count("SELECT count(*) AS n FROM users"), 0);
}
