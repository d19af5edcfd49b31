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
