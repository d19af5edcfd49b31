//! A real OpenID Provider for the sign-in tests: npm's `oidc-provider` (pinned in
//! tests/support/oidc, installed by `scripts/oidc-provider`), one process per test on its own
//! loopback port, stopped when the value is dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::mail::free_port;

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
        let port = free_port();
        let dir = install_dir();
        let child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .current_dir(&dir)
            .env("OIDC_PORT", port.to_string())
            .env("OIDC_REDIRECT_URIS", redirect_uri)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
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
