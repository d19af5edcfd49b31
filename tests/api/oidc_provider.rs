//! A real OpenID Provider for the sign-in tests: npm's `oidc-provider` (pinned in
//! tests/support/oidc, installed by `scripts/oidc-provider`), one process per test on its own
//! loopback port, stopped when the value is dropped; and `ProviderBrowser`, which walks a
//! sign-in through it (and through the GitHub stand-in) as a browser would: following
//! redirects with a cookie jar and filling the provider's login and consent forms.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::TestApp;
use crate::mail::free_port;

/// How a provider is started: the redirect URI its client may return to, and what a test
/// changes about it.
#[derive(Debug, Clone, Default)]
pub struct ProviderOptions {
    pub redirect_uri: String,
    /// Sign with a fresh key of this id (see provider.mjs).
    pub kid: Option<String>,
    /// Seconds added to the provider's clock.
    pub clock_offset_secs: i64,
    /// What to spoil in the ID tokens it issues (`aud`, `azp`, `nonce`, `signature`,
    /// `unknown_key`).
    pub tamper: Option<String>,
}

pub struct OidcProvider {
    pub port: u16,
    child: Child,
}

/// Where `scripts/oidc-provider` installed the provider (`scripts/test` says).
fn install_dir() -> PathBuf {
    std::env::var_os("DEVFORUM_TEST_OIDC_PROVIDER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".local/oidc-provider"))
}

impl OidcProvider {
    /// A provider with one client (`devforum` / `devforum-secret`) that may return to
    /// `redirect_uri`.
    pub async fn start(redirect_uri: &str) -> Self {
        Self::start_with(ProviderOptions {
            redirect_uri: redirect_uri.into(),
            ..Default::default()
        })
        .await
    }

    pub async fn start_with(options: ProviderOptions) -> Self {
        Self::start_on(free_port(), options).await
    }

    /// Another provider on the same port (the same issuer), e.g. after a key rotation.
    pub async fn restart(self, options: ProviderOptions) -> Self {
        let port = self.port;
        drop(self);
        Self::start_on(port, options).await
    }

    async fn start_on(port: u16, options: ProviderOptions) -> Self {
        let dir = install_dir();
        let mut command = Command::new("node");
        command
            .arg(dir.join("provider.mjs"))
            .current_dir(&dir)
            .env("OIDC_PORT", port.to_string())
            .env("OIDC_REDIRECT_URIS", &options.redirect_uri)
            .env(
                "OIDC_CLOCK_OFFSET_SECS",
                options.clock_offset_secs.to_string(),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(kid) = &options.kid {
            command.env("OIDC_KID", kid);
        }
        if let Some(tamper) = &options.tamper {
            command.env("OIDC_TAMPER", tamper);
        }
        let child = command
            .spawn()
            .expect("node runs the OpenID Provider (scripts/oidc-provider installs it)");
        let provider = OidcProvider { port, child };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let discovery = client
                .get(format!(
                    "{}/.well-known/openid-configuration",
                    provider.issuer()
                ))
                .send()
                .await;
            if discovery.is_ok_and(|r| r.status().is_success()) {
                return provider;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the OpenID Provider did not start on port {port}");
    }

    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The web client's address in test settings (`web.base_url`): the provider sends the browser
/// to `{this}/api/v1/auth/oauth/{id}/callback`, which the browser here reaches at the test
/// server's own address; the callback then sends it to `{this}/auth/callback`.
pub const CLIENT_BASE: &str = "http://localhost:3000";

pub fn callback_uri(provider: &str) -> String {
    format!("{CLIENT_BASE}/api/v1/auth/oauth/{provider}/callback")
}

/// Where a sign-in ended: the client's `/auth/callback` query.
#[derive(Debug, Clone)]
pub struct Landing {
    pub query: std::collections::HashMap<String, String>,
}

impl Landing {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }

    pub fn code(&self) -> &str {
        self.get("code")
            .unwrap_or_else(|| panic!("no code where the sign-in landed: {:?}", self.query))
    }

    pub fn error(&self) -> Option<&str> {
        self.get("error")
    }
}

/// A browser with its own cookies, for walking sign-ins through a provider.
pub struct ProviderBrowser {
    client: reqwest::Client,
}

impl Default for ProviderBrowser {
    fn default() -> Self {
        Self::new()
    }
}

impl ProviderBrowser {
    pub fn new() -> Self {
        ProviderBrowser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .build()
                .expect("client"),
        }
    }

    /// `POST /auth/oauth/{provider}/start`, with `token` for a link; the provider's address.
    pub async fn start(
        &self,
        app: &TestApp,
        provider: &str,
        intent: &str,
        token: Option<&str>,
    ) -> String {
        let mut request = app
            .client
            .post(format!(
                "{}/api/v1/auth/oauth/{provider}/start",
                app.address
            ))
            .json(&serde_json::json!({"intent": intent, "return_to": "/threads"}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("start");
        assert_eq!(
            response.status(),
            200,
            "start answered {}",
            response.status()
        );
        let body: serde_json::Value = response.json().await.expect("json");
        body["authorization_url"]
            .as_str()
            .expect("authorization_url")
            .to_string()
    }

    /// Follows `url` through the provider, signing in there as `login`, until the provider
    /// sends the browser to devforum's callback; returns that callback address (not yet
    /// visited).
    pub async fn through_provider(&self, url: &str, login: &str) -> String {
        let mut next = url.to_string();
        for _ in 0..20 {
            if next.starts_with(CLIENT_BASE) {
                return next;
            }
            let response = self.client.get(&next).send().await.expect("provider");
            let at = response.url().clone();
            if response.status().is_redirection() {
                let location = response.headers()["location"].to_str().expect("location");
                next = at.join(location).expect("location").to_string();
                continue;
            }
            let html = response.text().await.expect("page");
            let action = attribute(&html, "action").expect("a form on the provider's page");
            let action = at.join(&action).expect("action").to_string();
            let form: Vec<(&str, &str)> = if html.contains(r#"name="prompt" value="login""#) {
                vec![("prompt", "login"), ("login", login), ("password", "any")]
            } else {
                vec![("prompt", "consent")]
            };
            let response = self
                .client
                .post(&action)
                .form(&form)
                .send()
                .await
                .expect("form");
            assert!(
                response.status().is_redirection(),
                "the form answered {}",
                response.status()
            );
            let location = response.headers()["location"].to_str().expect("location");
            next = response.url().join(location).expect("location").to_string();
        }
        panic!("the provider never sent the browser back");
    }

    /// Visits devforum's callback (at the test server's address) and returns where it sent the
    /// browser: the client's `/auth/callback` and its query.
    pub async fn callback(&self, app: &TestApp, callback: &str) -> Landing {
        let path = callback
            .strip_prefix(CLIENT_BASE)
            .expect("the callback is on the client's address");
        let response = self
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("callback");
        assert_eq!(
            response.status(),
            303,
            "the callback answered {}",
            response.status()
        );
        let location = response.headers()["location"].to_str().expect("location");
        let landing = url::Url::parse(location).expect("a URL");
        assert_eq!(
            format!(
                "{}{}",
                landing.origin().ascii_serialization(),
                landing.path()
            ),
            format!("{CLIENT_BASE}/auth/callback")
        );
        Landing {
            query: landing.query_pairs().into_owned().collect(),
        }
    }

    /// A whole sign-in (or link): start, the provider as `login`, the callback.
    pub async fn sign_in(
        &self,
        app: &TestApp,
        provider: &str,
        login: &str,
        intent: &str,
        token: Option<&str>,
    ) -> Landing {
        let url = self.start(app, provider, intent, token).await;
        let callback = self.through_provider(&url, login).await;
        self.callback(app, &callback).await
    }
}

/// The first `name="…"` attribute value in `html`, entities for `&` undone.
fn attribute(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("{name}=\""))? + name.len() + 2;
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}
