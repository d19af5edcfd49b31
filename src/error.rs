//! The one error type handlers return, rendered as an RFC 9457 problem document.
//!
//! Every client-facing failure carries a stable machine-readable `code`. Server errors keep
//! their cause for the log (with the request id, through the current tracing span) and tell
//! the client nothing about it.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The code of every answer given because the database could not be reached.
pub const DATABASE_UNAVAILABLE: &str = "database_unavailable";

/// The code of an answer whose statement ran past its `statement_timeout` (a slow read's
/// limit, `slow_reads.rs`) and was cancelled by PostgreSQL.
pub const QUERY_TIMEOUT: &str = "query_timeout";

/// What `Retry-After` says on a 503: outages worth answering 503 for (a restart, a failover,
/// a search engine coming back) usually end within seconds.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// Field name → every message about that field.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// An RFC 9457 problem document as sent on the wire.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem: `/problems/<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable, machine-readable error code.
    pub code: String,
    /// Present for validation failures: every offending field with its messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<FieldErrors>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Problem {
            type_: format!("/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_string(),
            errors: None,
        }
    }

    pub fn with_errors(mut self, errors: FieldErrors) -> Self {
        self.errors = Some(errors);
        self
    }

    pub fn to_response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status)
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
            ))
            .json(self)
    }
}

/// The stable code used when only an HTTP status is known (actix's own errors).
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_ACCEPTABLE => "not_acceptable",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::CONFLICT => "conflict",
        StatusCode::LENGTH_REQUIRED => "length_required",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "headers_too_large",
        StatusCode::SERVICE_UNAVAILABLE => "service_unavailable",
        s if s.is_server_error() => "internal_error",
        _ => "bad_request",
    }
}

#[derive(thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("authentication required")]
    Unauthorized { code: &'static str, detail: String },
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    #[error("not found")]
    NotFound,
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: String },
    #[error("{detail}")]
    PayloadTooLarge { code: &'static str, detail: String },
    #[error("{detail}")]
    UnsupportedMediaType { code: &'static str, detail: String },
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// A limit of the member's own (a `new` account's posts a day), told in words.
    #[error("{detail}")]
    LimitReached {
        code: &'static str,
        detail: String,
        retry_after_secs: u64,
    },
    #[error("{detail}")]
    Unavailable { code: &'static str, detail: String },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            write!(f, "\n  caused by: {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl ApiError {
    /// `413` with its own code.
    pub fn too_large(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::PayloadTooLarge {
            code,
            detail: detail.into(),
        }
    }

    /// `415` with its own code.
    pub fn unsupported_media_type(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::UnsupportedMediaType {
            code,
            detail: detail.into(),
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::Unauthorized {
            code: "unauthorized",
            detail: detail.into(),
        }
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Forbidden {
            code,
            detail: detail.into(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Unprocessable {
            code,
            detail: detail.into(),
        }
    }

    pub fn unavailable(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Unavailable {
            code,
            detail: detail.into(),
        }
    }

    /// The database cannot be reached or the connection was lost before anything committed.
    pub fn database_unavailable() -> Self {
        ApiError::unavailable(
            DATABASE_UNAVAILABLE,
            "The database is unavailable right now; nothing was changed. Try again shortly.",
        )
    }

    /// The connection was lost while a change was being committed: it may or may not have
    /// been saved, and the client should look before sending it again.
    pub fn database_unavailable_after_commit() -> Self {
        ApiError::unavailable(
            DATABASE_UNAVAILABLE,
            "The connection to the database was lost while saving: the change may or may not \
             have been saved. Check before sending it again.",
        )
    }

    /// Whether this is the database being unreachable (an outage, not a fault of the request).
    pub fn is_database_outage(&self) -> bool {
        matches!(self, ApiError::Unavailable { code, .. } if *code == DATABASE_UNAVAILABLE)
    }

    /// A validation failure naming a single field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_string(), vec![message.into()]);
        ApiError::Validation(errors)
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        match self {
            ApiError::Validation(errors) => Problem::new(
                status,
                "validation_failed",
                "One or more fields are invalid; see `errors`.",
            )
            .with_errors(errors.clone()),
            ApiError::BadRequest { code, detail }
            | ApiError::Unauthorized { code, detail }
            | ApiError::Forbidden { code, detail }
            | ApiError::Conflict { code, detail }
            | ApiError::Unprocessable { code, detail }
            | ApiError::Unavailable { code, detail }
            | ApiError::LimitReached { code, detail, .. }
            | ApiError::PayloadTooLarge { code, detail }
            | ApiError::UnsupportedMediaType { code, detail } => {
                Problem::new(status, code, detail.clone())
            }
            ApiError::NotFound => Problem::new(status, "not_found", "No such resource."),
            ApiError::RateLimited { retry_after_secs } => Problem::new(
                status,
                "rate_limited",
                format!("Too many requests; retry in {retry_after_secs} seconds."),
            ),
            ApiError::Internal(_) => Problem::new(
                status,
                "internal_error",
                "Something went wrong on our side; it has been logged.",
            ),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } | ApiError::LimitReached { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            // The current span carries the request id, so this line can be matched to the
            // client's report without exposing anything in the body.
            ApiError::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            ApiError::Unavailable { .. } => tracing::warn!(error = %self, "dependency unavailable"),
            _ => {}
        }
        let mut response = self.problem().to_response();
        let retry_after = match self {
            ApiError::RateLimited { retry_after_secs }
            | ApiError::LimitReached {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            ApiError::Unavailable { .. } => Some(UNAVAILABLE_RETRY_AFTER_SECS),
            _ => None,
        };
        if let Some(value) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let ApiError::Unauthorized { .. } = self {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => ApiError::NotFound,
            // `db::write` refines this (retry, or "may have been saved") from what it saw on
            // the connection; code that converts on its own still answers 503, not 500.
            other if is_connection_loss(&other) => {
                tracing::warn!(error = %other, "database connection lost");
                ApiError::database_unavailable()
            }
            other if is_statement_timeout(&other) => ApiError::unavailable(
                QUERY_TIMEOUT,
                "This took too long to answer; please try again in a moment, or narrow it down.",
            ),
            other => ApiError::Internal(anyhow::Error::new(other).context("database query failed")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(%error, "no database connection available");
        ApiError::database_unavailable()
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(anyhow::Error::new(error).context("blocking task was cancelled"))
    }
}

/// Errors that mean the connection is gone (or can no longer take writes), not that the
/// statement was wrong.
/// Whether PostgreSQL cancelled the statement for running past `statement_timeout` (SQLSTATE
/// 57014, which diesel reports by its message only).
pub fn is_statement_timeout(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(_, info)
            if info.message().contains("statement timeout")
    )
}

pub fn is_connection_loss(error: &diesel::result::Error) -> bool {
    match error {
        diesel::result::Error::DatabaseError(kind, _) => matches!(
            kind,
            diesel::result::DatabaseErrorKind::ClosedConnection
                | diesel::result::DatabaseErrorKind::UnableToSendCommand
                | diesel::result::DatabaseErrorKind::ReadOnlyTransaction
        ),
        diesel::result::Error::RollbackErrorOnCommit { commit_error, .. } => {
            is_connection_loss(commit_error)
        }
        diesel::result::Error::BrokenTransactionManager => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let error = ApiError::Internal(anyhow::anyhow!("password=hunter2 connection refused"));
        let problem = error.problem();
        assert_eq!(problem.status, 500);
        assert_eq!(problem.code, "internal_error");
        assert!(!problem.detail.contains("hunter2"));
    }

    #[test]
    fn validation_errors_name_every_field() {
        let mut errors = FieldErrors::new();
        errors.insert("title".into(), vec!["too short".into()]);
        errors.insert("body".into(), vec!["required".into()]);
        let problem = ApiError::Validation(errors).problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors.map(|e| e.len()), Some(2));
    }

    #[test]
    fn a_lost_connection_is_503_with_retry_after() {
        let error: ApiError = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection unexpectedly".to_string()),
        )
        .into();
        assert!(error.is_database_outage());
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from_static("2"))
        );
        assert_eq!(error.problem().code, DATABASE_UNAVAILABLE);
    }

    #[test]
    fn diesel_not_found_is_404() {
        let error: ApiError = diesel::result::Error::NotFound.into();
        assert_eq!(error.status_code(), StatusCode::NOT_FOUND);
    }
}
