//! Signing in with other accounts: the providers the operator configured, the code flow
//! through a real OpenID Provider (`oidc`) and through a stand-in of GitHub's documented
//! endpoints (`github`), and the identities linked to an account.

mod github;
mod oidc;

use devforum::config::{ProviderKind, ProviderSettings};
use devforum::identities::views::{ProviderList, ProviderView};
use secrecy::SecretString;

use crate::helpers::{read_as, spawn_app, spawn_app_with};

fn provider(id: &str, name: &str, kind: ProviderKind, issuer: Option<&str>) -> ProviderSettings {
    ProviderSettings {
        id: id.into(),
        name: name.into(),
        kind,
        issuer: issuer.map(str::to_string),
        client_id: "devforum-client".into(),
        client_secret: SecretString::from("never-shown".to_string()),
        scopes: vec![],
        authorize_url: "https://github.com/login/oauth/authorize".into(),
        token_url: "https://github.com/login/oauth/access_token".into(),
        api_url: "https://api.github.com".into(),
    }
}

#[tokio::test]
async fn the_sign_in_page_lists_the_configured_providers_and_nothing_secret() {
    let app = spawn_app_with(
        |s| {
            s.auth.providers = vec![
                provider("github", "GitHub", ProviderKind::Github, None),
                provider(
                    "gitlab",
                    "GitLab",
                    ProviderKind::Oidc,
                    Some("http://127.0.0.1:9/"),
                ),
            ]
        },
        Default::default(),
    )
    .await;
    let response = app.get("/api/v1/auth/providers").await;
    let text = response.text().await.expect("a body");
    for secret in [
        "never-shown",
        "devforum-client",
        "127.0.0.1",
        "api.github.com",
    ] {
        assert!(!text.contains(secret), "{secret} shown: {text}");
    }
    let list: ProviderList = serde_json::from_str(&text).expect("a provider list");
    assert_eq!(
        list.items,
        [
            ProviderView {
                id: "github".into(),
                name: "GitHub".into(),
                kind: ProviderKind::Github
            },
            ProviderView {
                id: "gitlab".into(),
                name: "GitLab".into(),
                kind: ProviderKind::Oidc
            },
        ]
    );
}

#[tokio::test]
async fn without_providers_the_list_is_empty() {
    let app = spawn_app().await;
    let list: ProviderList = read_as(app.get("/api/v1/auth/providers").await).await;
    assert!(list.items.is_empty());
}

#[tokio::test]
async fn an_issuer_is_discovered_with_its_keys_and_must_name_itself_exactly() {
    use devforum::identities::oidc;
    let provider = crate::oidc_provider::OidcProvider::start("http://127.0.0.1:1/cb").await;
    let client = oidc::http_client().expect("client");
    let metadata = oidc::discover(&client, &provider.issuer())
        .await
        .expect("discovered");
    assert_eq!(metadata.issuer().as_str(), provider.issuer());
    assert_eq!(
        metadata.authorization_endpoint().as_str(),
        format!("{}/auth", provider.issuer())
    );
    assert!(!metadata.jwks().keys().is_empty(), "its signing keys");

    // The same provider under another name is not itself: its document says 127.0.0.1.
    let other_name = format!("http://localhost:{}", provider.port);
    let error = oidc::discover(&client, &other_name)
        .await
        .expect_err("an issuer that does not match");
    assert!(error.to_string().contains("unexpected issuer"), "{error}");
    // Nothing listens there: refused, not hung.
    let closed = format!("http://127.0.0.1:{}", crate::mail::free_port());
    assert!(oidc::discover(&client, &closed).await.is_err());
    assert!(oidc::discover(&client, "not a url").await.is_err());
}
