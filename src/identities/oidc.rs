//! OpenID Connect providers as `openidconnect` (the field's crate) checks them: an issuer's
//! discovery document, whose `issuer` must be the configured one exactly, and its signing
//! keys (JWKS); the authorization request (code flow, PKCE S256, `state`, `nonce`); the code
//! exchanged for tokens and the ID token verified (signature, `iss`, `aud`, `azp`, `nonce`,
//! `exp` and `iat` with [`LEEWAY`]).

use std::time::Duration;

use chrono::Utc;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use secrecy::ExposeSecret;

use super::domain::{error_chain, Authorization, ProviderAccount, ProviderError};
use crate::config::ProviderSettings;

/// How far a provider's clock may be from ours when `exp` and `iat` are checked.
pub const LEEWAY: chrono::Duration = chrono::Duration::seconds(60);

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

/// The issuer's keys fetched again (after a token named a key the cached set lacks).
pub async fn refetch_keys(
    client: &reqwest::Client,
    metadata: &CoreProviderMetadata,
) -> Result<CoreJsonWebKeySet, ProviderError> {
    CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), client)
        .await
        .map_err(|e| ProviderError::Unavailable(format!("fetching keys: {}", error_chain(&e))))
}

fn client_for(
    metadata: CoreProviderMetadata,
    provider: &ProviderSettings,
    redirect_uri: &str,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    ProviderError,
> {
    let redirect = RedirectUrl::new(redirect_uri.to_string())
        .map_err(|e| ProviderError::Unavailable(format!("redirect URI: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(
            provider.client_secret.expose_secret().to_string(),
        )),
    )
    .set_redirect_uri(redirect))
}

/// The address to send the member to, with a fresh `state`, `nonce` and PKCE verifier.
pub fn authorization(
    metadata: CoreProviderMetadata,
    provider: &ProviderSettings,
    redirect_uri: &str,
) -> Result<Authorization, ProviderError> {
    let client = client_for(metadata, provider, redirect_uri)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in provider.scopes() {
        if scope != "openid" {
            request = request.add_scope(Scope::new(scope));
        }
    }
    let (url, state, nonce) = request.url();
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: Some(nonce.secret().clone()),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// The outcome of checking an ID token with the keys at hand.
pub enum Checked {
    Account(Box<CoreIdTokenClaims>),
    /// The token names a key the set lacks: fetch the keys again and check once more.
    UnknownKey,
}

/// Exchanges `code` (with the PKCE verifier) at the token endpoint and returns the ID token
/// and the access token (for the userinfo endpoint).
pub async fn exchange(
    http: &reqwest::Client,
    metadata: CoreProviderMetadata,
    provider: &ProviderSettings,
    redirect_uri: &str,
    code: &str,
    pkce_verifier: &str,
) -> Result<(CoreIdToken, openidconnect::AccessToken), ProviderError> {
    let client = client_for(metadata, provider, redirect_uri)?;
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| ProviderError::Unavailable(format!("no token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
        .request_async(http)
        .await
        .map_err(|e| ProviderError::Refused(format!("code exchange: {}", error_chain(&e))))?;
    let id_token = response
        .id_token()
        .cloned()
        .ok_or_else(|| ProviderError::Refused("the token response has no ID token".into()))?;
    Ok((id_token, response.access_token().clone()))
}

/// Verifies `id_token` against the issuer's keys in `metadata`: the signature, `iss`, `aud`
/// (this client, and no audience it does not know), `azp` when present, `nonce`, and `exp`
/// and `iat` within [`LEEWAY`].
pub fn check_id_token(
    metadata: CoreProviderMetadata,
    provider: &ProviderSettings,
    redirect_uri: &str,
    id_token: &CoreIdToken,
    nonce: &str,
) -> Result<Checked, ProviderError> {
    let client = client_for(metadata, provider, redirect_uri)?;
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
            CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::EcdsaP384Sha384,
            CoreJwsSigningAlgorithm::EdDsa,
        ])
        .set_time_fn(|| Utc::now() - LEEWAY)
        .set_issue_time_verifier_fn(|issued| {
            if issued > Utc::now() + LEEWAY {
                Err(format!("issued in the future ({issued})"))
            } else {
                Ok(())
            }
        });
    match id_token.claims(&verifier, &Nonce::new(nonce.to_string())) {
        Ok(claims) => {
            if let Some(party) = claims.authorized_party() {
                if party.as_str() != provider.client_id {
                    return Err(ProviderError::Refused(format!(
                        "the ID token was issued to {:?} (azp)",
                        party.as_str()
                    )));
                }
            }
            Ok(Checked::Account(Box::new(claims.clone())))
        }
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => Ok(Checked::UnknownKey),
        Err(error) => Err(ProviderError::Refused(format!(
            "ID token: {}",
            error_chain(&error)
        ))),
    }
}

/// The account the verified claims describe, completed from the userinfo endpoint when the ID
/// token left the email out (providers that follow the spec keep scope claims there).
pub async fn account(
    http: &reqwest::Client,
    metadata: CoreProviderMetadata,
    provider: &ProviderSettings,
    redirect_uri: &str,
    claims: &CoreIdTokenClaims,
    access_token: openidconnect::AccessToken,
) -> Result<ProviderAccount, ProviderError> {
    let mut account = ProviderAccount {
        subject: claims.subject().as_str().to_string(),
        email: claims.email().map(|e| e.as_str().to_string()),
        email_verified: claims.email_verified().unwrap_or(false),
        username_hint: claims.preferred_username().map(|u| u.as_str().to_string()),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string()),
    };
    if account.email.is_some() || metadata.userinfo_endpoint().is_none() {
        return Ok(account);
    }
    let client = client_for(metadata, provider, redirect_uri)?;
    let info: CoreUserInfoClaims = client
        .user_info(access_token, Some(claims.subject().clone()))
        .map_err(|e| ProviderError::Unavailable(format!("userinfo: {e}")))?
        .request_async(http)
        .await
        .map_err(|e| ProviderError::Refused(format!("userinfo: {}", error_chain(&e))))?;
    account.email = info.email().map(|e| e.as_str().to_string());
    account.email_verified = info.email_verified().unwrap_or(false);
    if account.username_hint.is_none() {
        account.username_hint = info.preferred_username().map(|u| u.as_str().to_string());
    }
    if account.name.is_none() {
        account.name = info
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string());
    }
    Ok(account)
}
