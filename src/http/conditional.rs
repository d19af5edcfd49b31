//! Conditional requests (RFC 9110 §13): an answer's validators, and whether the copy a client
//! already holds is still good, so it gets `304 Not Modified` instead of the body.

use actix_web::http::header::{self, HeaderValue, HttpDate};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use chrono::{DateTime, Utc};

/// An answer's `ETag` (weak: the same page, not the same bytes, since compression varies)
/// and `Last-Modified`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// The opaque part, without quotes or `W/`.
    pub tag: String,
    pub last_modified: DateTime<Utc>,
}

impl Validators {
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.tag)
    }

    /// Adds both headers to an answer being built.
    pub fn apply(&self, builder: &mut HttpResponseBuilder) {
        builder.insert_header((header::ETAG, self.etag()));
        builder.insert_header((header::LAST_MODIFIED, http_date(self.last_modified)));
    }

    /// Whether the request's `If-None-Match` (or, without one, `If-Modified-Since`) says the
    /// client's copy is this one.
    pub fn is_fresh(&self, req: &HttpRequest) -> bool {
        self.satisfies(&Conditions::of(req))
    }

    /// [`Validators::is_fresh`] for conditions taken from a request earlier.
    pub fn satisfies(&self, conditions: &Conditions) -> bool {
        if let Some(candidates) = &conditions.if_none_match {
            return matches_tag(candidates, &self.tag);
        }
        conditions
            .if_modified_since
            .as_deref()
            .and_then(|value| DateTime::parse_from_rfc2822(value).ok())
            .is_some_and(|since| self.last_modified.timestamp() <= since.timestamp())
    }

    /// `304 Not Modified` with the validators and the caching the full answer would carry.
    pub fn not_modified(&self, cache_control: &'static str) -> HttpResponse {
        let mut builder = HttpResponse::NotModified();
        self.apply(&mut builder);
        builder.insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        ));
        builder.finish()
    }
}

/// A request's conditional headers, apart from the request (to take into the database's
/// thread, where the validators are read).
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
}

impl Conditions {
    pub fn of(req: &HttpRequest) -> Self {
        let text = |name| {
            req.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        Conditions {
            if_none_match: text(header::IF_NONE_MATCH),
            if_modified_since: text(header::IF_MODIFIED_SINCE),
        }
    }
}

/// An `If-None-Match` value against a tag: `*`, or any listed tag, weak or strong (the weak
/// comparison a `GET` uses).
fn matches_tag(value: &str, tag: &str) -> bool {
    value.split(',').map(str::trim).any(|candidate| {
        candidate == "*"
            || candidate
                .strip_prefix("W/")
                .unwrap_or(candidate)
                .strip_prefix('"')
                .and_then(|rest| rest.strip_suffix('"'))
                == Some(tag)
    })
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(at: DateTime<Utc>) -> String {
    let system = std::time::UNIX_EPOCH
        + std::time::Duration::from_secs(u64::try_from(at.timestamp()).unwrap_or_default());
    HttpDate::from(system).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use chrono::TimeZone;

    fn validators() -> Validators {
        Validators {
            tag: "t12-1-abc".into(),
            last_modified: Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap(),
        }
    }

    #[test]
    fn a_matching_tag_weak_or_strong_is_fresh() {
        let v = validators();
        for value in [
            "W/\"t12-1-abc\"",
            "\"t12-1-abc\"",
            "\"x\", W/\"t12-1-abc\"",
            "*",
        ] {
            let req = TestRequest::default()
                .insert_header((header::IF_NONE_MATCH, value))
                .to_http_request();
            assert!(v.is_fresh(&req), "{value}");
        }
        let req = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "W/\"t12-1-abd\""))
            .to_http_request();
        assert!(!v.is_fresh(&req));
    }

    #[test]
    fn if_modified_since_counts_only_without_if_none_match() {
        let v = validators();
        let since = |value: &str| {
            TestRequest::default()
                .insert_header((header::IF_MODIFIED_SINCE, value.to_string()))
                .to_http_request()
        };
        assert!(v.is_fresh(&since(&http_date(v.last_modified))));
        assert!(!v.is_fresh(&since("Mon, 07 Dec 2026 09:59:59 GMT")));
        assert!(!v.is_fresh(&since("yesterday")));
        let both = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "\"other\""))
            .insert_header((header::IF_MODIFIED_SINCE, http_date(v.last_modified)))
            .to_http_request();
        assert!(!v.is_fresh(&both));
        assert_eq!(http_date(v.last_modified), "Mon, 07 Dec 2026 10:00:00 GMT");
    }
}
