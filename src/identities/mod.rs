//! Signing in with other accounts: the OpenID Connect and GitHub providers an operator
//! configures (`[[auth.providers]]`, checked by `config::check_providers`). This first part
//! lists them (`GET /auth/providers`); the code flow, linked identities and second factors
//! (issue 39) build on it.

pub mod oidc;
pub mod routes;
pub mod views;

use utoipa::OpenApi;

use crate::feature::Feature;

pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, |_, _| Ok(()));

#[derive(OpenApi)]
#[openapi(tags((name = "identities", description = "Signing in with other accounts: the configured OpenID Connect and GitHub providers")))]
struct Doc;
