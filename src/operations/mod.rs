//! Health, readiness and metrics: what operators and load balancers ask of the service.

pub mod metrics;
pub mod probes;

pub use probes::{health, ready, HealthStatus, ReadyStatus};

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::feature::{no_jobs, Feature, Mount};

pub const FEATURE: Feature = Feature {
    mount: Mount::Root,
    doc: Doc::openapi,
    routes,
    jobs: no_jobs,
};

#[derive(OpenApi)]
#[openapi(tags((name = "operations", description = "Health, readiness and metrics")))]
struct Doc;

fn routes(cfg: &mut ServiceConfig) {
    cfg.service(probes::health)
        .service(probes::ready)
        .service(metrics::metrics);
}
