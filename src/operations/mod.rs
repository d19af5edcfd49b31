//! Health, readiness and metrics: what operators and load balancers ask of the service.

pub mod metrics;
pub mod probes;

pub use metrics::Metrics;
pub use probes::{health, ready, HealthStatus, ReadyStatus};

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // `resource(..).route(..)` rather than `cfg.route`, so other methods get 405, not 404.
    cfg.service(web::resource("/health").route(web::get().to(probes::health)))
        .service(web::resource("/ready").route(web::get().to(probes::ready)))
        .service(web::resource("/metrics").route(web::get().to(metrics::metrics)));
}
