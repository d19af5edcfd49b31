//! A JSON body extractor whose failures are problem documents naming the offending field.
//!
//! actix's own `web::Json` reports serde errors as plain 400s; this one separates
//! "not JSON at all" (400 `malformed_json`) from "JSON of the wrong shape" (422 with the
//! field path from `serde_path_to_error`), checks the content type (415) and the size
//! limit (413).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The request body limit in bytes, set once in `startup` from `server.json_limit`.
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = is_json_content_type(req);
        let body = read_body(req, payload);
        Box::pin(async move {
            // The content type is refused before a byte of the body is read.
            ensure_json_content_type(content_type_ok)?;
            parse_json(&body.await?).map(Json)
        })
    }
}

/// A JSON body that may also be left out: no body, an empty one or a JSON `null` is `None`; any
/// other body must be JSON and is checked as `Json` checks it.
pub struct OptionalJson<T>(pub Option<T>);

impl<T> OptionalJson<T> {
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = is_json_content_type(req);
        let body = read_body(req, payload);
        Box::pin(async move {
            let bytes = body.await?;
            if bytes.trim_ascii().is_empty() {
                return Ok(OptionalJson(None));
            }
            ensure_json_content_type(content_type_ok)?;
            if bytes.trim_ascii() == b"null" {
                return Ok(OptionalJson(None));
            }
            parse_json(&bytes).map(|value| OptionalJson(Some(value)))
        })
    }
}

/// Reads the body within the size limit (413 past it, whatever `Content-Length` claimed).
fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<Bytes, ApiError>> {
    let limit = req
        .app_data::<JsonLimit>()
        .map(|l| l.0)
        .unwrap_or(1024 * 1024);
    let declared_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let body = Bytes::from_request(req, payload);
    async move {
        if declared_length.is_some_and(|len| len > limit) {
            return Err(too_large(limit));
        }
        let bytes = body
            .await
            .map_err(|error| match error.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => too_large(limit),
                _ => {
                    ApiError::bad_request("unreadable_body", "The request body could not be read.")
                }
            })?;
        if bytes.len() > limit {
            return Err(too_large(limit));
        }
        Ok(bytes)
    }
}

fn ensure_json_content_type(ok: bool) -> Result<(), ApiError> {
    if ok {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType {
            code: "unsupported_media_type",
            detail: "Request bodies must be JSON: send `Content-Type: application/json`.".into(),
        })
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge {
        code: "payload_too_large",
        detail: format!("The request body is larger than the limit of {limit} bytes."),
    }
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Deserialises a body, mapping serde's failures to the problem document a client can act on.
///
/// Every request body of this API is a JSON object; serde would otherwise also accept an
/// array for a struct (its fields in order), which no client means to send.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => ApiError::invalid_field("body", "must be a JSON object"),
                Err(error) => ApiError::bad_request(
                    "malformed_json",
                    format!("The request body is not valid JSON: {error}"),
                ),
            },
        );
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = serde_path_to_error::deserialize(&mut deserializer);
    if let Err(error) = &parsed {
        if error.inner().classify() == serde_json::error::Category::Data {
            if let Some(value) = with_integral_floats_as_integers(bytes) {
                return Ok(value);
            }
        }
    }
    let value = parsed.map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => ApiError::bad_request(
                "malformed_json",
                format!("The request body is not valid JSON: {inner}"),
            ),
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                match missing_field(&message) {
                    // serde reports a missing field at its parent; name the field itself.
                    Some(name) => {
                        let field = if path == "." {
                            name.to_string()
                        } else {
                            format!("{path}.{name}")
                        };
                        ApiError::invalid_field(&field, "is required")
                    }
                    None => {
                        let field = if path == "." {
                            "body".to_string()
                        } else {
                            path
                        };
                        ApiError::invalid_field(&field, message)
                    }
                }
            }
        }
    })?;
    deserializer.end().map_err(|error| {
        ApiError::bad_request(
            "malformed_json",
            format!("Trailing data after the JSON body: {error}"),
        )
    })?;
    Ok(value)
}

/// JSON Schema counts `3.0` as an integer, so a client (or a generator working from the OpenAPI
/// document) may send one where an id or a count is due; serde would refuse it. Only on that
/// slow path is the body read again with every integral float as an integer: `None` when
/// there was none or the body is still of the wrong shape (the first error is then reported).
fn with_integral_floats_as_integers<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if !integral_floats_to_integers(&mut value) {
        return None;
    }
    T::deserialize(value).ok()
}

/// Rewrites integral floats within the `i64`/`u64` range as integers; true if any was.
fn integral_floats_to_integers(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(number) if number.is_f64() => {
            let Some(float) = number.as_f64() else {
                return false;
            };
            if float.fract() != 0.0 {
                return false;
            }
            // The bounds are exact powers of two, so the comparisons are exact too.
            let integer =
                if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&float) {
                    serde_json::Number::from(float as i64)
                } else if (0.0..18_446_744_073_709_551_616.0).contains(&float) {
                    serde_json::Number::from(float as u64)
                } else {
                    return false;
                };
            *number = integer;
            true
        }
        serde_json::Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, item| integral_floats_to_integers(item) | any),
        serde_json::Value::Object(fields) => fields
            .values_mut()
            .fold(false, |any, item| integral_floats_to_integers(item) | any),
        _ => false,
    }
}

/// The field serde's "missing field `name`" message names.
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")?
        .strip_suffix('`')
        .filter(|name| !name.is_empty() && !name.contains('`'))
}

/// serde_json appends " at line L column C"; clients need the message, not our parser state.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        title: String,
        count: u8,
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        let error = parse_json::<Sample>(b"{\"title\": ").err();
        assert!(matches!(
            error,
            Some(ApiError::BadRequest {
                code: "malformed_json",
                ..
            })
        ));
    }

    #[test]
    fn integral_floats_count_as_integers_as_json_schema_says() {
        let sample = parse_json::<Sample>(br#"{"title": "x", "count": 3.0}"#).unwrap();
        assert_eq!(sample.count, 3);
        match parse_json::<Sample>(br#"{"title": "x", "count": 3.5}"#) {
            Err(ApiError::Validation(errors)) => assert!(errors.contains_key("count")),
            other => panic!("expected a validation error, got {other:?}"),
        }
        // Out of the field's range is still refused, naming the field.
        match parse_json::<Sample>(br#"{"title": "x", "count": 300.0}"#) {
            Err(ApiError::Validation(errors)) => assert!(errors.contains_key("count")),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn shape_errors_name_the_field() {
        match parse_json::<Sample>(br#"{"title": "x", "count": "many"}"#) {
            Err(ApiError::Validation(errors)) => assert!(errors.contains_key("count")),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn only_objects_are_accepted() {
        match parse_json::<Sample>(br#"["x", 3]"#) {
            Err(ApiError::Validation(errors)) => assert!(errors.contains_key("body")),
            other => panic!("expected a validation error, got {other:?}"),
        }
        assert!(matches!(
            parse_json::<Sample>(b"[1,"),
            Err(ApiError::BadRequest {
                code: "malformed_json",
                ..
            })
        ));
    }

    #[test]
    fn a_missing_field_is_reported_under_its_own_name() {
        match parse_json::<Sample>(br#"{"title": "x"}"#) {
            Err(ApiError::Validation(errors)) => {
                assert_eq!(errors.get("count"), Some(&vec!["is required".to_string()]));
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        inner: Sample,
    }

    #[test]
    fn a_missing_nested_field_is_named_by_its_path() {
        match parse_json::<Outer>(br#"{"inner": {"count": 1}}"#) {
            Err(ApiError::Validation(errors)) => {
                assert!(errors.contains_key("inner.title"), "{errors:?}")
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}
