//! What the API shows of sign-in providers: never a secret or an address, only what a
//! sign-in button needs.

use serde::Serialize;
use utoipa::ToSchema;

use crate::config::{ProviderKind, ProviderSettings};

/// A sign-in provider, as the sign-in page shows it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, ToSchema)]
pub struct ProviderView {
    /// In the provider's URLs (`/auth/oauth/{id}/start`).
    pub id: String,
    /// On its button.
    pub name: String,
    pub kind: ProviderKind,
}

impl From<&ProviderSettings> for ProviderView {
    fn from(provider: &ProviderSettings) -> Self {
        ProviderView {
            id: provider.id.clone(),
            name: provider.name.clone(),
            kind: provider.kind,
        }
    }
}

/// The configured providers, in the order the operator listed them.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct ProviderList {
    pub items: Vec<ProviderView>,
}

/// Where to send the member to sign in at the provider.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct AuthorizationView {
    pub authorization_url: String,
}

/// An account at a provider linked to the member's.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct IdentityView {
    pub id: i64,
    /// The provider's id (`GET /auth/providers`).
    pub provider: String,
    /// The provider's id for the account.
    pub subject: String,
    /// The address the provider gave when it was linked.
    pub email: Option<String>,
    pub linked_at: chrono::DateTime<chrono::Utc>,
}

impl From<super::model::Identity> for IdentityView {
    fn from(identity: super::model::Identity) -> Self {
        IdentityView {
            id: identity.id,
            provider: identity.provider,
            subject: identity.subject,
            email: identity.email,
            linked_at: identity.linked_at,
        }
    }
}

/// `GET /users/me/identities`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct IdentityList {
    pub items: Vec<IdentityView>,
}
