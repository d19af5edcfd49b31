//! `GET /auth/providers`.

use actix_web::{get, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::views::{ProviderList, ProviderView};
use crate::config::Settings;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_providers);
}

/// The sign-in providers the operator configured (none by default).
#[utoipa::path(
    tag = "identities",
    responses((status = 200, description = "The providers, in the operator's order", body = ProviderList))
)]
#[get("/auth/providers")]
pub async fn list_providers(settings: web::Data<Settings>) -> HttpResponse {
    let items = settings
        .auth
        .providers
        .iter()
        .map(ProviderView::from)
        .collect();
    HttpResponse::Ok().json(ProviderList { items })
}
