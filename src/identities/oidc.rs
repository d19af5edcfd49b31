//! OpenID Connect providers as `openidconnect` (the field's crate) checks them: an issuer's
//! discovery document, whose `issuer` must be the configured one exactly, and its signing
//! keys (JWKS). The sign-in flow (issue 39) verifies ID tokens against these keys.

use std::time::Duration;

use openidconnect::core::CoreProviderMetadata;
use openidconnect::IssuerUrl;

/// Why an issuer could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("the issuer {0:?} is not a URL: {1}")]
    BadIssuer(String, String),
    #[error("discovering {issuer}: {reason}")]
    Discovery { issuer: String, reason: String },
}

/// The client providers are reached with: it follows no redirect (`openidconnect`'s advice:
/// a redirect could lead a server-side request anywhere) and gives up after 10 seconds.
pub fn http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
}

/// `{issuer}/.well-known/openid-configuration` and the keys it names, checked: the document's
/// `issuer` equal to `issuer`, its fields well-formed.
pub async fn discover(
    client: &reqwest::Client,
    issuer: &str,
) -> Result<CoreProviderMetadata, DiscoveryError> {
    let url = IssuerUrl::new(issuer.to_string())
        .map_err(|e| DiscoveryError::BadIssuer(issuer.to_string(), e.to_string()))?;
    CoreProviderMetadata::discover_async(url, client)
        .await
        .map_err(|e| DiscoveryError::Discovery {
            issuer: issuer.to_string(),
            reason: error_chain(&e),
        })
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
