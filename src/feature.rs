//! What a feature declares about itself, once: its routes with their OpenAPI operations, its
//! OpenAPI tag, and its background jobs. `startup` and `openapi` only list features
//! ([`crate::features::ALL`]); adding an endpoint or a job touches the feature's folder alone.

use utoipa::openapi::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::config::Settings;
use crate::jobs::JobRegistry;

/// Where a feature's routes are mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mount {
    /// Under `/api/v1`, the versioned API.
    Api,
    /// At the root: the probes and metrics operators and load balancers ask for, uploaded
    /// files, and the public pages search engines and feed readers read.
    Root,
}

/// The versioned API's prefix.
pub const API_PREFIX: &str = "/api/v1";

/// One feature of the application.
pub struct Feature {
    pub mount: Mount,
    /// The feature's fragment of the OpenAPI document: its tag (name and description) and any
    /// schema no handler names (one only a query parameter refers to). Operations come from
    /// `routes`.
    pub doc: fn() -> OpenApi,
    /// Registers each handler with `cfg.service(handler)`: a handler carries its method and
    /// path (`#[actix_web::get("/threads")]`) and its `#[utoipa::path]`, so the route and its
    /// documentation are one declaration.
    pub routes: fn(&mut ServiceConfig),
    /// Registers the feature's job kinds (`registry.add::<T>(needs)`) and periodic tasks.
    pub jobs: fn(&Settings, &mut JobRegistry) -> anyhow::Result<()>,
}

impl Feature {
    /// A feature under `/api/v1`.
    pub const fn api(
        doc: fn() -> OpenApi,
        routes: fn(&mut ServiceConfig),
        jobs: fn(&Settings, &mut JobRegistry) -> anyhow::Result<()>,
    ) -> Self {
        Feature {
            mount: Mount::Api,
            doc,
            routes,
            jobs,
        }
    }

    /// A feature without HTTP routes (mail, for one).
    pub const fn background(jobs: fn(&Settings, &mut JobRegistry) -> anyhow::Result<()>) -> Self {
        Feature {
            mount: Mount::Api,
            doc: OpenApi::default,
            routes: |_| {},
            jobs,
        }
    }
}

/// For features that run no background jobs.
pub fn no_jobs(_: &Settings, _: &mut JobRegistry) -> anyhow::Result<()> {
    Ok(())
}
