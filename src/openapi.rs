//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`, with Swagger UI (bundled into the binary) at `/docs`.

use utoipa::OpenApi;

use crate::error::Problem;
use crate::operations;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "devforum API",
        description = "Forum threads, mentorship, meetups, search and moderation for developer communities. \
                       Errors are RFC 9457 problem documents (`application/problem+json`) with a stable `code`.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        operations::probes::health,
        operations::probes::ready,
        operations::metrics::metrics,
    ),
    components(schemas(Problem)),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
