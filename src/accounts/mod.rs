//! Accounts: registration, email verification, sessions (JWT access tokens and rotating
//! refresh tokens), password reset, profiles, and `create-admin`.

pub mod api_tokens;
pub mod auth;
pub mod browser;
pub mod domain;
pub mod jwt;
pub mod model;
pub mod passkeys;
pub mod password;
pub mod routes;
pub mod rules;
pub mod second_factor;
pub mod service;
pub mod tokens;
pub mod views;

pub use domain::{EmailAddress, Password, Role, TrustLevel, Username};
pub use model::User;

use secrecy::ExposeSecret;
use utoipa::OpenApi;

use crate::config::Settings;
use crate::feature::Feature;
use crate::jobs::JobRegistry;

pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, jobs);

#[derive(OpenApi)]
#[openapi(tags((
    name = "accounts",
    description = "Registration, sessions, password reset and profiles"
)))]
struct Doc;

fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    registry.add::<service::export::ExportWork>(service::export::ExportNeeds {
        base_url: settings.web.base_url.clone(),
        links: crate::signed_urls::UrlSigner::new(settings.auth.jwt_secret.expose_secret()),
    });
    Ok(())
}
