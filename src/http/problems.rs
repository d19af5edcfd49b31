//! Turns every error actix produces on its own (unknown route, wrong method, bad query or
//! path, oversize payload) into a problem document, so clients never see plain text or HTML.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{error, web, HttpRequest, HttpResponse};

use crate::error::{code_for_status, ApiError, Problem, PROBLEM_CONTENT_TYPE};

/// The fallback for requests no route matches.
/// The problem document for a request no route takes.
pub fn no_route(req: &HttpRequest) -> HttpResponse {
    Problem::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("No route matches {} {}.", req.method(), req.path()),
    )
    .to_response()
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::bad_request("invalid_query", format!("Invalid query string: {err}")).into()
    })
}

/// A path segment that does not parse (a malformed id) names nothing that exists.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_err, req| {
        error::InternalError::from_response(
            "invalid path parameter",
            Problem::new(
                actix_web::http::StatusCode::NOT_FOUND,
                "not_found",
                format!("No resource at {}.", req.path()),
            )
            .to_response(),
        )
        .into()
    })
}

/// For any handler still using actix's own `web::Json`.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req| {
            let api_error = match &err {
                error::JsonPayloadError::OverflowKnownLength { .. }
                | error::JsonPayloadError::Overflow { .. } => ApiError::PayloadTooLarge {
                    code: "payload_too_large",
                    detail: err.to_string(),
                },
                error::JsonPayloadError::ContentType => ApiError::UnsupportedMediaType {
                    code: "unsupported_media_type",
                    detail: "Request bodies must be JSON: send `Content-Type: application/json`."
                        .into(),
                },
                error::JsonPayloadError::Deserialize(inner) if inner.is_data() => {
                    ApiError::invalid_field("body", inner.to_string())
                }
                _ => ApiError::bad_request("malformed_json", err.to_string()),
            };
            api_error.into()
        })
}

/// The safety net: an error response that is not already a problem document becomes one.
pub fn error_handlers<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(ensure_problem_document::<B>)
}

fn ensure_problem_document<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let is_problem = content_type.starts_with(PROBLEM_CONTENT_TYPE);
    // The public pages answer a missing thread with a page people can read (`site`).
    let is_page = res.status() == StatusCode::NOT_FOUND && content_type.starts_with("text/html");
    if is_problem || is_page {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = if status.is_server_error() {
        // Whatever actix wrote for a 5xx stays out of the body; it may be internal.
        "Something went wrong on our side; it has been logged.".to_string()
    } else {
        status
            .canonical_reason()
            .unwrap_or("Request failed")
            .to_string()
            + "."
    };
    if status.is_server_error() {
        tracing::error!(
            status = status.as_u16(),
            "server error without a problem document"
        );
    }
    let mut problem_response = Problem::new(status, code_for_status(status), detail).to_response();
    for name in [
        header::ALLOW,
        header::RETRY_AFTER,
        header::WWW_AUTHENTICATE,
        header::CONTENT_RANGE,
    ] {
        if let Some(value) = res.headers().get(&name) {
            problem_response
                .headers_mut()
                .insert(name.clone(), value.clone());
        }
    }
    let (req, _) = res.into_parts();
    let res = ServiceResponse::new(req, problem_response);
    Ok(ErrorHandlerResponse::Response(res.map_into_right_body()))
}
