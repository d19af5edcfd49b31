//! `X-Request-Id`: accepted from the client when sane, generated otherwise, echoed on the
//! response, and recorded on the request's tracing span so every log line carries it.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse};

use crate::error::{code_for_status, Problem};
use tracing::Instrument;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, available to handlers through request extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// A client-supplied id is kept only if it is short printable ASCII, so it cannot forge log
/// lines or bloat them.
pub fn accept_or_generate(incoming: Option<&HeaderValue>) -> String {
    incoming
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 128
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(&b))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Routes whose path carries a secret (a capability: whoever has the URL may read): a
/// personal calendar feed, a data export's download. Their paths are logged with `{token}` in
/// place of the secret. Query strings are never logged. A test checks that every route of the
/// OpenAPI document with a `{token}` in its path is here.
pub const SECRET_PATH_PREFIXES: &[&str] = &["/api/v1/calendar-feeds/", "/api/v1/exports/"];

/// The request path as the log may hold it.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match SECRET_PATH_PREFIXES
        .iter()
        .find(|prefix| path.starts_with(**prefix) && path.len() > prefix.len())
    {
        Some(prefix) => format!("{prefix}{{token}}").into(),
        None => path.into(),
    }
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = accept_or_generate(req.headers().get(&REQUEST_ID_HEADER));
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "http_request",
        request_id = %id,
        method = %req.method(),
        path = %loggable_path(req.path()),
    );
    let started = Instant::now();
    // Holding a clone of the request across `next.call` would break actix's routing (it
    // needs the request uniquely), so errors are answered through `InternalError` below.
    let outcome = next.call(req).instrument(span.clone()).await;
    let status = match &outcome {
        Ok(response) => response.status().as_u16(),
        Err(error) => error.as_response_error().status_code().as_u16(),
    };
    span.in_scope(|| {
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::error!(status, elapsed_ms, "request finished");
        } else {
            tracing::info!(status, elapsed_ms, "request finished");
        }
    });
    let header = HeaderValue::from_str(&id).ok();
    match outcome {
        Ok(response) => {
            let mut response = response.map_into_boxed_body();
            if let Some(value) = header {
                response.headers_mut().insert(REQUEST_ID_HEADER, value);
            }
            Ok(response)
        }
        Err(error) => {
            // Errors raised by middleware (CORS, for one) bypass the error handlers: make
            // them problem documents here, with the request id like every other answer.
            let mut response = problem_for_error(&error);
            if let Some(value) = header {
                response.headers_mut().insert(REQUEST_ID_HEADER, value);
            }
            Err(InternalError::from_response(error.to_string(), response).into())
        }
    }
}

fn problem_for_error(error: &Error) -> HttpResponse {
    let status = error.as_response_error().status_code();
    let detail = if status.is_server_error() {
        tracing::error!(error = %error, "request failed in middleware");
        "Something went wrong on our side; it has been logged.".to_string()
    } else {
        error.to_string()
    };
    Problem::new(status, code_for_status(status), detail).to_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_paths_are_logged_as_their_template() {
        assert_eq!(
            loggable_path("/api/v1/calendar-feeds/s3cr3t-t0ken.ics"),
            "/api/v1/calendar-feeds/{token}"
        );
        assert_eq!(
            loggable_path("/api/v1/exports/s3cr3t-t0ken"),
            "/api/v1/exports/{token}"
        );
        assert_eq!(loggable_path("/api/v1/threads/42"), "/api/v1/threads/42");
        assert_eq!(
            loggable_path("/api/v1/calendar-feeds/"),
            "/api/v1/calendar-feeds/"
        );
    }

    #[test]
    fn every_route_with_a_token_in_its_path_is_redacted() {
        let document = serde_json::to_value(crate::openapi::document()).unwrap();
        let paths = document["paths"].as_object().unwrap();
        let secret_routes: Vec<&String> = paths
            .keys()
            .filter(|path| path.contains("{token}"))
            .collect();
        assert!(!secret_routes.is_empty());
        for route in secret_routes {
            let requested = route.replace("{token}", "SECRET-abc123");
            assert!(
                !loggable_path(&requested).contains("SECRET-abc123"),
                "{route} would log its token: add it to SECRET_PATH_PREFIXES"
            );
        }
    }

    #[test]
    fn keeps_sane_ids_and_replaces_others() {
        let sane = HeaderValue::from_static("abc-123_x.y");
        assert_eq!(accept_or_generate(Some(&sane)), "abc-123_x.y");
        let hostile = HeaderValue::from_static("evil\" injected=1");
        assert_ne!(accept_or_generate(Some(&hostile)), "evil\" injected=1");
        let long = HeaderValue::from_str(&"a".repeat(500)).ok();
        assert_eq!(accept_or_generate(long.as_ref()).len(), 36);
        assert_eq!(accept_or_generate(None).len(), 36);
    }
}
