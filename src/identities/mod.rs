//! Signing in with other accounts: the OpenID Connect and GitHub providers an operator
//! configures (`[[auth.providers]]`, checked by `config::check_providers`), the authorization
//! code flow with PKCE through them (`providers`, `oidc`, `github`), and the identities linked
//! to members' accounts. The login's second factors live in `accounts`, which every way of
//! signing in goes through.

pub mod domain;
pub mod github;
pub mod model;
pub mod oidc;
pub mod providers;
pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use std::time::Duration;

use utoipa::OpenApi;

use crate::config::Settings;
use crate::feature::Feature;
use crate::jobs::{ConnTask, JobRegistry};

pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, jobs);

#[derive(OpenApi)]
#[openapi(tags((name = "identities", description = "Signing in with other accounts: the configured OpenID Connect and GitHub providers, and the identities linked to an account")))]
struct Doc;

fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    let every = Duration::from_secs(settings.auth.forget_expired_every_secs);
    registry.add_periodic::<ForgetExpired>(every, ());
    Ok(())
}

/// Every `auth.forget_expired_every_secs`: sign-ins, codes, second steps and passkey ceremonies
/// past their time are forgotten (they never work
/// once expired; this only keeps the tables small).
#[derive(serde::Deserialize)]
struct ForgetExpired {}

impl ConnTask for ForgetExpired {
    const KIND: &'static str = "identities.forget_expired";
    type Needs = ();

    fn run(self, conn: &mut diesel::PgConnection, _needs: &()) -> anyhow::Result<()> {
        let gone = service::forget_expired(conn)?
            + crate::accounts::service::second_factor::forget_expired_challenges(conn)?
            + crate::accounts::service::passkeys::forget_expired(conn)?;
        tracing::debug!(gone, "expired sign-ins forgotten");
        Ok(())
    }
}
