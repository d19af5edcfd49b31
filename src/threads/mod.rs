//! The forum itself: threads, replies, votes and tags.

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

/// `Sort` is named only by a query parameter, which does not collect its schema.
#[derive(OpenApi)]
#[openapi(
    tags((name = "threads", description = "Threads, replies, votes and tags")),
    components(schemas(domain::Sort))
)]
struct Doc;
