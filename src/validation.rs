//! Collecting every bad field of a request into one problem document.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use crate::error::{ApiError, FieldErrors};

#[derive(Debug, Default)]
pub struct Validator {
    errors: FieldErrors,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the parsed value, or records the message under `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// Like `check` for results that carry several messages.
    pub fn check_all<T>(&mut self, field: &str, result: Result<T, Vec<String>>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(messages) => {
                for message in messages {
                    self.add(field, message);
                }
                None
            }
        }
    }

    /// A required field: its absence is an error of its own.
    pub fn require<'a, T>(
        &mut self,
        field: &str,
        raw: Option<&'a str>,
        parse: impl FnOnce(&'a str) -> Result<T, String>,
    ) -> Option<T> {
        match raw {
            Some(raw) => self.check(field, parse(raw)),
            None => {
                self.add(field, "is required".to_string());
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, message: String) {
        self.errors
            .entry(field.to_string())
            .or_default()
            .push(message);
    }

    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok` when nothing was recorded; otherwise a 422 naming every bad field.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// Turns the impossible `None` left behind by a successful `Validator` into an error a
/// handler can return, instead of unwrapping.
pub fn validated<T>(value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("validator passed without a value")))
}

/// For PATCH bodies: a missing field stays `None`, an explicit `null` becomes `Some(None)`.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Free text of `min..=max` characters as sent (what the OpenAPI `minLength`/`maxLength`
/// say), not blank when `min > 0`, without control characters except newlines and tabs when
/// `multiline`; returned trimmed.
/// An id as JSON sends it: JSON does not tell `7` from `7.0`, so neither does this; fractions
/// and numbers past what a float holds exactly are `None`.
pub fn whole_number(raw: &serde_json::Number) -> Option<i64> {
    raw.as_i64().or_else(|| {
        raw.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

pub fn text(raw: &str, min: usize, max: usize, multiline: bool) -> Result<String, String> {
    let length = raw.chars().count();
    if length < min {
        return Err(if min == 1 {
            "must not be empty".to_string()
        } else {
            format!("must be at least {min} characters long")
        });
    }
    if length > max {
        return Err(format!("must be at most {max} characters long"));
    }
    if min > 0 && raw.trim().is_empty() {
        return Err("must not be blank".to_string());
    }
    let allowed = |c: char| !c.is_control() || (multiline && (c == '\n' || c == '\t' || c == '\r'));
    if !raw.chars().all(allowed) {
        return Err("must not contain control characters".to_string());
    }
    Ok(raw.trim().to_string())
}

/// How far from today a date a caller sends may lie, either way. No meetup, suspension or
/// filter needs more, and beyond it dates stop being ordinary: `+99999-01-01` parses as RFC
/// 3339 but is no iCalendar date, so one such meetup made calendar apps drop a whole feed.
pub const DATE_RANGE_YEARS: i64 = 10;

/// A date a caller sent, within [`DATE_RANGE_YEARS`] of `now`.
pub fn date_in_range(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    // 366 days a year: the bound is "ten years", leap days included.
    let range = chrono::Duration::days(366 * DATE_RANGE_YEARS);
    if at < now - range || at > now + range {
        return Err(format!("must be within {DATE_RANGE_YEARS} years of today"));
    }
    Ok(at)
}

/// Checks an optional date with [`date_in_range`] into `v` under `field`.
pub fn check_date(v: &mut Validator, field: &str, at: Option<DateTime<Utc>>, now: DateTime<Utc>) {
    if let Some(at) = at {
        v.check(field, date_in_range(at, now));
    }
}

/// An IANA time zone name such as `Europe/Berlin`.
pub fn timezone(raw: &str) -> Result<String, String> {
    raw.trim()
        .parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_string())
        .map_err(|_| format!("{raw:?} is not an IANA time zone name such as Europe/Berlin"))
}

/// The OpenAPI schema of an IANA time zone name: the full list, as an enum.
pub struct TimezoneName;

impl utoipa::PartialSchema for TimezoneName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An IANA time zone name such as `Europe/Berlin`."))
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .into()
    }
}

impl utoipa::ToSchema for TimezoneName {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_field() {
        let mut v = Validator::new();
        assert_eq!(v.check("a", Ok::<_, String>(1)), Some(1));
        v.check::<()>("b", Err("bad".into()));
        v.require("c", None, |s: &str| Ok::<_, String>(s.to_string()));
        match v.finish() {
            Err(ApiError::Validation(errors)) => {
                assert_eq!(errors.keys().collect::<Vec<_>>(), vec!["b", "c"])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn text_rules() {
        assert_eq!(text("  hi ", 1, 5, false), Ok("hi".into()));
        assert!(
            text("  hi  ", 1, 5, false).is_err(),
            "length counts as sent"
        );
        assert!(text("   ", 1, 5, false).is_err());
        assert_eq!(text("", 0, 5, false), Ok(String::new()));
        assert!(text("toolong", 1, 5, false).is_err());
        assert!(text("a\u{0007}b", 1, 5, false).is_err());
        assert!(text("a\nb", 1, 5, false).is_err());
        assert!(text("a\nb", 1, 5, true).is_ok());
    }

    #[test]
    fn timezones() {
        assert_eq!(timezone("America/New_York"), Ok("America/New_York".into()));
        assert!(timezone("Mars/Olympus").is_err());
        assert!(timezone("").is_err());
    }
}
