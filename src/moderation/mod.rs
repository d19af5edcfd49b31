//! Moderation and administration: reports and the review queue, hiding and restoring
//! content, locking and pinning threads, suspensions, roles, and the append-only log every
//! action writes to in its own transaction.

pub mod domain;
pub mod model;
pub mod routes;
pub mod rules;
pub mod service;
pub mod views;

use utoipa::OpenApi;

use crate::feature::{no_jobs, Feature, Mount};

pub const FEATURE: Feature = Feature {
    mount: Mount::Api,
    doc: Doc::openapi,
    routes: routes::configure,
    jobs: no_jobs,
};

#[derive(OpenApi)]
#[openapi(tags((
    name = "moderation",
    description = "Reports, the review queue, moderation actions, roles and the log"
)))]
struct Doc;
