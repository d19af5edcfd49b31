//! The configured providers at run time: each one's authorization request and, back from it,
//! the account it vouches for. An OpenID Connect issuer's discovery document and keys are
//! cached for [`DISCOVERY_TTL`]; a token signed with a key the cache lacks fetches the keys
//! once more (the issuer rotated them) before it is refused.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use openidconnect::core::CoreProviderMetadata;
use tokio::sync::RwLock;

use super::domain::{Authorization, ProviderAccount, ProviderError};
use super::{github, oidc};
use crate::config::{ProviderKind, ProviderSettings, Settings};

/// How long an issuer's discovery document (and keys) are trusted before they are read again.
pub const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

pub struct Providers {
    configured: Vec<ProviderSettings>,
    /// `{web.base_url}/api/v1/auth/oauth`: each provider's callback is `{this}/{id}/callback`.
    callback_base: String,
    http: reqwest::Client,
    discovered: RwLock<HashMap<String, (Instant, CoreProviderMetadata)>>,
}

impl Providers {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        Ok(Providers {
            configured: settings.auth.providers.clone(),
            callback_base: format!(
                "{}/api/v1/auth/oauth",
                settings.web.base_url.trim_end_matches('/')
            ),
            http: oidc::http_client()?,
            discovered: RwLock::new(HashMap::new()),
        })
    }

    pub fn find(&self, id: &str) -> Option<&ProviderSettings> {
        self.configured.iter().find(|p| p.id == id)
    }

    /// The address the provider sends the member back to (registered with the provider).
    pub fn redirect_uri(&self, provider: &ProviderSettings) -> String {
        format!("{}/{}/callback", self.callback_base, provider.id)
    }

    async fn metadata(
        &self,
        provider: &ProviderSettings,
    ) -> Result<CoreProviderMetadata, ProviderError> {
        if let Some((at, metadata)) = self.discovered.read().await.get(&provider.id) {
            if at.elapsed() < DISCOVERY_TTL {
                return Ok(metadata.clone());
            }
        }
        let issuer = provider.issuer.as_deref().unwrap_or_default();
        let metadata = oidc::discover(&self.http, issuer)
            .await
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        self.discovered
            .write()
            .await
            .insert(provider.id.clone(), (Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    /// Where to send the member, with the secrets the callback will need.
    pub async fn authorization(
        &self,
        provider: &ProviderSettings,
    ) -> Result<Authorization, ProviderError> {
        let redirect_uri = self.redirect_uri(provider);
        match provider.kind {
            ProviderKind::Oidc => {
                oidc::authorization(self.metadata(provider).await?, provider, &redirect_uri)
            }
            ProviderKind::Github => github::authorization(provider, &redirect_uri),
        }
    }

    /// Back from the provider with `code`: the account it vouches for, verified.
    pub async fn account(
        &self,
        provider: &ProviderSettings,
        code: &str,
        pkce_verifier: &str,
        nonce: Option<&str>,
    ) -> Result<ProviderAccount, ProviderError> {
        let redirect_uri = self.redirect_uri(provider);
        match provider.kind {
            ProviderKind::Github => {
                github::account(&self.http, provider, &redirect_uri, code, pkce_verifier).await
            }
            ProviderKind::Oidc => {
                let nonce = nonce.ok_or_else(|| ProviderError::Refused("no nonce kept".into()))?;
                let mut metadata = self.metadata(provider).await?;
                let (id_token, access_token) = oidc::exchange(
                    &self.http,
                    metadata.clone(),
                    provider,
                    &redirect_uri,
                    code,
                    pkce_verifier,
                )
                .await?;
                let mut checked = oidc::check_id_token(
                    metadata.clone(),
                    provider,
                    &redirect_uri,
                    &id_token,
                    nonce,
                )?;
                if let oidc::Checked::UnknownKey = checked {
                    tracing::info!(provider = %provider.id, "unknown signing key: fetching the issuer's keys again");
                    let keys = oidc::refetch_keys(&self.http, &metadata).await?;
                    metadata = metadata.set_jwks(keys);
                    self.discovered
                        .write()
                        .await
                        .insert(provider.id.clone(), (Instant::now(), metadata.clone()));
                    checked = oidc::check_id_token(
                        metadata.clone(),
                        provider,
                        &redirect_uri,
                        &id_token,
                        nonce,
                    )?;
                }
                let oidc::Checked::Account(claims) = checked else {
                    return Err(ProviderError::Refused(
                        "the ID token is signed with a key the issuer does not publish".into(),
                    ));
                };
                oidc::account(
                    &self.http,
                    metadata,
                    provider,
                    &redirect_uri,
                    &claims,
                    access_token,
                )
                .await
            }
        }
    }
}
