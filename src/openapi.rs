//! The OpenAPI document, served at `/api/v1/openapi.json` with Swagger UI (bundled into the
//! binary) at `/docs`. Operations come from the route table itself (`utoipa-actix-web`
//! collects each handler's `#[utoipa::path]` as it is registered), tags from the features;
//! the modifiers below add what every operation of a kind can answer, so a handler's
//! annotation names only what is particular to it.

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::Problem;
use crate::features;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "devforum API",
        description = "Forum threads, mentorship, meetups, search and moderation for developer communities. \
                       Errors are RFC 9457 problem documents (`application/problem+json`) with a stable `code`.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(Problem))
)]
struct ApiDoc;

/// The modifiers, in order: what they add never replaces what a handler says itself.
const MODIFIERS: &[&dyn Modify] = &[
    &BearerAuth,
    &ApiTokenScopes,
    &ProblemBodies,
    &BodyProblems,
    &AuthProblems,
    &StaffProblems,
    &QueryProblems,
    &UnavailableProblems,
];

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(features::docs());
    let (_, operations) = App::new()
        .into_utoipa_app()
        .configure(features::routes)
        .split_for_parts();
    doc.merge(operations);
    for modifier in MODIFIERS {
        modifier.modify(&mut doc);
    }
    doc
}

/// Declares the `Authorization: Bearer <access_token>` scheme the operations refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer_auth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from /api/v1/auth/login or /api/v1/auth/refresh",
                    ))
                    .build(),
            ),
        );
    }
}

/// Declares the `Authorization: Bearer dfp_…` scheme of API tokens, and on every operation a
/// signed-in member may call the scope a token needs for it (`accounts::api_tokens::
/// required_access`, the rule authentication applies): operations on the account itself
/// declare none, as no token may call them.
struct ApiTokenScopes;

impl Modify for ApiTokenScopes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use crate::accounts::api_tokens::{required_access, Access};
        use utoipa::openapi::security::SecurityRequirement;
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("dfp_<id>_<secret>")
                    .description(Some(
                        "An API token from POST /api/v1/users/me/api-tokens, within its scopes \
                         (read: GET; write: other member operations; moderate: /mod and /admin)",
                    ))
                    .build(),
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("GET", &mut item.get),
                ("POST", &mut item.post),
                ("PUT", &mut item.put),
                ("PATCH", &mut item.patch),
                ("DELETE", &mut item.delete),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                let Some(security) = operation.security.as_mut() else {
                    continue;
                };
                if security.is_empty() {
                    continue;
                }
                if let Access::Scope(scope) = required_access(method, path) {
                    security.push(SecurityRequirement::new("api_token", [scope.as_str()]));
                }
            }
        }
    }
}

/// A problem-document response with this description.
fn problem_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    problem_response_value(description).into()
}

fn problem_response_value(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            crate::error::PROBLEM_CONTENT_TYPE,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The operations of a path item, whatever their method.
fn operations_of(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}

/// Adds `answers` to every operation `applies` accepts, leaving a response an operation
/// documents itself (with its own, more precise description) as it is.
fn add_responses(
    openapi: &mut utoipa::openapi::OpenApi,
    answers: &[(&str, &str)],
    applies: impl Fn(&str, &utoipa::openapi::path::Operation) -> bool,
) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        for operation in operations_of(item) {
            if !applies(path, operation) {
                continue;
            }
            for (status, description) in answers {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem_response(description));
            }
        }
    }
}

/// Every error a handler documents (4xx and 5xx) is a problem document: a handler writes
/// `(status = 404, description = "No such thread")` and the body is declared here.
struct ProblemBodies;

impl Modify for ProblemBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations_of(item) {
                for (status, response) in operation.responses.responses.iter_mut() {
                    let utoipa::openapi::RefOr::T(response) = response else {
                        continue;
                    };
                    if is_error(status) && response.content.is_empty() {
                        *response = problem_response_value(&response.description);
                    }
                }
            }
        }
    }
}

fn is_error(status: &str) -> bool {
    status.starts_with('4') || status.starts_with('5')
}

/// Every operation that takes a JSON body can answer 400 (not JSON), 413 (too large), 415
/// (not `application/json`) and 422 (wrong shape or invalid fields); documenting them once
/// here keeps each handler's list about its own outcomes.
struct BodyProblems;

impl Modify for BodyProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let answers = [
            ("400", "The body is not valid JSON (`malformed_json`)"),
            (
                "413",
                "The body is larger than `server.json_limit` (`payload_too_large`)",
            ),
            (
                "415",
                "The body is not `application/json` (`unsupported_media_type`)",
            ),
            (
                "422",
                "The body has the wrong shape or invalid fields (`validation_failed`, each field \
                 named in `errors`)",
            ),
        ];
        add_responses(openapi, &answers, |_, operation| {
            operation.request_body.is_some()
        });
    }
}

/// Every operation that requires a bearer token answers 401 without a valid one.
struct AuthProblems;

impl Modify for AuthProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        add_responses(
            openapi,
            &[("401", "Missing or invalid token")],
            |_, operation| operation.security.as_ref().is_some_and(|s| !s.is_empty()),
        );
    }
}

/// Every operation with query parameters answers 400 when one is not of its type, and a
/// listing also when its cursor is not one it gave.
struct QueryProblems;

impl Modify for QueryProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        add_responses(
            openapi,
            &[(
                "400",
                "A query parameter is not of its type (`invalid_query`), or the cursor is not \
                 one this listing gave (`invalid_cursor`)",
            )],
            |_, operation| {
                operation.parameters.iter().flatten().any(|parameter| {
                    parameter.parameter_in == utoipa::openapi::path::ParameterIn::Query
                })
            },
        );
    }
}

/// Staff operations refuse everyone else: `/mod/*` needs a moderator or admin, `/admin/*` an
/// admin.
struct StaffProblems;

impl Modify for StaffProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        add_responses(
            openapi,
            &[("403", "Not a moderator (`insufficient_role`)")],
            |path, _| path.starts_with("/api/v1/mod/"),
        );
        add_responses(
            openapi,
            &[("403", "Not an admin (`insufficient_role`)")],
            |path, _| path.starts_with("/api/v1/admin/"),
        );
    }
}

/// Every API operation reads or writes the database, and answers 503 with `Retry-After`
/// while it cannot be reached (the probes document their own answers).
struct UnavailableProblems;

impl Modify for UnavailableProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        add_responses(
            openapi,
            &[(
                "503",
                "The database cannot be reached (`database_unavailable`); nothing was changed \
                 unless the problem says so; try again after `Retry-After` seconds",
            )],
            |path, _| path.starts_with("/api/"),
        );
    }
}
