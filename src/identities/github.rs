//! GitHub, which speaks plain OAuth 2.0 (no ID token): the authorization request with PKCE
//! S256 and `state` through the `oauth2` crate, the code exchanged at the token endpoint, and
//! the account read from the REST API's `GET /user` and `GET /user/emails`. Its addresses are
//! configurable (GitHub Enterprise; the tests' stand-in).

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::domain::{error_chain, Authorization, ProviderAccount, ProviderError};
use crate::config::ProviderSettings;

fn bad_address(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Unavailable(format!("GitHub address: {e}"))
}

fn client_for(
    provider: &ProviderSettings,
    redirect_uri: &str,
) -> Result<
    BasicClient<
        oauth2::EndpointSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    >,
    ProviderError,
> {
    Ok(BasicClient::new(ClientId::new(provider.client_id.clone()))
        .set_client_secret(ClientSecret::new(
            provider.client_secret.expose_secret().to_string(),
        ))
        // GitHub documents the client's credentials as form fields.
        .set_auth_type(AuthType::RequestBody)
        .set_auth_uri(AuthUrl::new(provider.authorize_url.clone()).map_err(bad_address)?)
        .set_token_uri(TokenUrl::new(provider.token_url.clone()).map_err(bad_address)?)
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(bad_address)?))
}

/// The address to send the member to, with a fresh `state` and PKCE verifier (GitHub has no
/// `nonce`: there is no ID token).
pub fn authorization(
    provider: &ProviderSettings,
    redirect_uri: &str,
) -> Result<Authorization, ProviderError> {
    let client = client_for(provider, redirect_uri)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(provider.scopes().into_iter().map(Scope::new))
        .set_pkce_challenge(challenge)
        .url();
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: None,
        pkce_verifier: verifier.secret().clone(),
    })
}

#[derive(Debug, Deserialize)]
struct GithubUser {
    id: u64,
    login: String,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

/// The code exchanged (with the PKCE verifier) and the account GitHub says it opens.
pub async fn account(
    http: &reqwest::Client,
    provider: &ProviderSettings,
    redirect_uri: &str,
    code: &str,
    pkce_verifier: &str,
) -> Result<ProviderAccount, ProviderError> {
    let client = client_for(provider, redirect_uri)?;
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
        .request_async(http)
        .await
        .map_err(|e| ProviderError::Refused(format!("code exchange: {}", error_chain(&e))))?;
    let bearer = token.access_token().secret().clone();
    let api = provider.api_url.trim_end_matches('/');
    let user: GithubUser = get_json(http, &format!("{api}/user"), &bearer).await?;
    let emails: Vec<GithubEmail> = get_json(http, &format!("{api}/user/emails"), &bearer).await?;
    let (email, email_verified) = chosen_email(&emails);
    Ok(ProviderAccount {
        subject: user.id.to_string(),
        email,
        email_verified,
        username_hint: Some(user.login),
        name: user.name,
    })
}

/// The address an account gets: the primary one if verified, else any verified one, else the
/// primary one unverified (the member then verifies it with us).
fn chosen_email(emails: &[GithubEmail]) -> (Option<String>, bool) {
    let verified = emails
        .iter()
        .filter(|e| e.verified)
        .max_by_key(|e| e.primary);
    match verified {
        Some(e) => (Some(e.email.clone()), true),
        None => (
            emails.iter().find(|e| e.primary).map(|e| e.email.clone()),
            false,
        ),
    }
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    bearer: &str,
) -> Result<T, ProviderError> {
    let response = http
        .get(url)
        .bearer_auth(bearer)
        .header(reqwest::header::ACCEPT, "application/vnd.github+json")
        .header(reqwest::header::USER_AGENT, "devforum")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .send()
        .await
        .map_err(|e| ProviderError::Unavailable(format!("{url}: {}", error_chain(&e))))?;
    if !response.status().is_success() {
        return Err(ProviderError::Refused(format!(
            "{url} answered {}",
            response.status()
        )));
    }
    response
        .json()
        .await
        .map_err(|e| ProviderError::Refused(format!("{url}: {}", error_chain(&e))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(email: &str, primary: bool, verified: bool) -> GithubEmail {
        GithubEmail {
            email: email.into(),
            primary,
            verified,
        }
    }

    #[test]
    fn the_primary_verified_address_is_preferred_and_an_unverified_one_says_so() {
        let all = [
            email("old@example.com", false, true),
            email("main@example.com", true, true),
        ];
        assert_eq!(chosen_email(&all), (Some("main@example.com".into()), true));
        let all = [
            email("other@example.com", false, true),
            email("main@example.com", true, false),
        ];
        assert_eq!(chosen_email(&all), (Some("other@example.com".into()), true));
        let all = [email("main@example.com", true, false)];
        assert_eq!(chosen_email(&all), (Some("main@example.com".into()), false));
        assert_eq!(chosen_email(&[]), (None, false));
    }
}
