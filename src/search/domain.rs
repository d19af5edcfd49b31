//! `GET /search` parameters, validated once: every bad one is named.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::document::{Kind, MARK_END, MARK_START};
use crate::error::ApiError;
use crate::tags::{TagFilterSchema, TagName};
use crate::validation::Validator;

pub const MAX_QUERY_CHARS: usize = 200;
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 50;
pub const MAX_OFFSET: usize = 1_000;
/// The deepest hit a query can reach; engines need to consider no more candidates.
pub const MAX_REACHABLE_HITS: usize = MAX_OFFSET + MAX_LIMIT;
/// Tag facet values returned, most frequent first.
pub const TAG_FACETS: usize = 20;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find (up to 200 characters); quotes, `-word` and `or` work as on the web.
    /// Empty: recent content.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only this kind of content.
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<Kind>)]
    pub kind: Option<String>,
    /// Only content carrying this tag.
    #[param(value_type = Option<TagFilterSchema>)]
    pub tag: Option<String>,
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
    #[param(minimum = 0, maximum = 1000)]
    pub offset: Option<i64>,
    /// Only threads with (`true`) or without (`false`) a solution.
    pub solved: Option<bool>,
    /// Only meetups in this city (any case).
    #[param(min_length = 1, max_length = 100)]
    pub city: Option<String>,
    /// Only meetups starting at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<String>,
    /// Only meetups starting before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<String>,
}

/// A validated search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// Trimmed; empty lists recent content.
    pub text: String,
    pub kind: Option<Kind>,
    pub tag: Option<String>,
    pub limit: usize,
    pub offset: usize,
    /// Threads only: with or without a solution.
    pub solved: Option<bool>,
    /// Meetups only: their city, and a range their start falls in.
    pub city: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl SearchQuery {
    /// Whether the query filters on fields only meetups have.
    pub fn filters_meetups(&self) -> bool {
        self.city.is_some() || self.from.is_some() || self.to.is_some()
    }

    /// Checks every parameter and reports every bad one at once.
    pub fn parse(params: SearchParams) -> Result<SearchQuery, ApiError> {
        let mut v = Validator::new();
        let text = v.check("q", parse_text(&params.q.unwrap_or_default()));
        let kind = match params.kind.as_deref() {
            None => None,
            Some(raw) => v.check(
                "type",
                Kind::parse(raw)
                    .map(Some)
                    .ok_or_else(|| "must be one of thread, reply, meetup, mentor".to_string()),
            ),
        };
        let tag = match params.tag.as_deref() {
            None => None,
            Some(raw) => v.check(
                "tag",
                TagName::parse_filter(raw).map(|t| Some(t.into_string())),
            ),
        };
        let limit = v.check("limit", bounded(params.limit, 1, MAX_LIMIT, DEFAULT_LIMIT));
        let offset = v.check("offset", bounded(params.offset, 0, MAX_OFFSET, 0));
        let city = params
            .city
            .as_deref()
            .and_then(|c| v.check("city", crate::validation::text(c, 1, 100, false)));
        let from = params
            .from
            .as_deref()
            .and_then(|t| v.check("from", instant(t)));
        let to = params.to.as_deref().and_then(|t| v.check("to", instant(t)));
        let now = Utc::now();
        crate::validation::check_date(&mut v, "from", from, now);
        crate::validation::check_date(&mut v, "to", to, now);
        if let (Some(from), Some(to)) = (from, to) {
            if to <= from {
                v.add("to", "must be after from".into());
            }
        }
        let for_other_kinds = matches!(kind, Some(Some(k)) if k != Kind::Thread)
            || city.is_some()
            || from.is_some()
            || to.is_some();
        if params.solved.is_some() && for_other_kinds {
            v.add(
                "solved",
                "only threads have solutions: use it without type, or with type=thread, and \
                 without meetup filters"
                    .into(),
            );
        }
        v.finish()?;
        Ok(SearchQuery {
            text: text.unwrap_or_default(),
            kind: kind.flatten(),
            tag: tag.flatten(),
            limit: limit.unwrap_or(DEFAULT_LIMIT),
            offset: offset.unwrap_or(0),
            solved: params.solved,
            city,
            from,
            to,
        })
    }
}

/// The words to search for: control characters (and the highlight markers) read as spaces,
/// surrounding space trimmed.
fn parse_text(raw: &str) -> Result<String, String> {
    if raw.chars().count() > MAX_QUERY_CHARS {
        return Err(format!("must be at most {MAX_QUERY_CHARS} characters"));
    }
    let text: String = raw
        .chars()
        .map(|c| {
            if c.is_control() || c == MARK_START || c == MARK_END {
                ' '
            } else {
                c
            }
        })
        .collect();
    Ok(text.trim().to_string())
}

fn instant(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| "must be an RFC 3339 instant such as 2026-11-23T18:00:00Z".to_string())
}

fn bounded(raw: Option<i64>, min: usize, max: usize, default: usize) -> Result<usize, String> {
    match raw {
        None => Ok(default),
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| format!("must be between {min} and {max}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> SearchParams {
        SearchParams {
            q: Some(q.to_string()),
            kind: None,
            tag: None,
            limit: None,
            offset: None,
            solved: None,
            city: None,
            from: None,
            to: None,
        }
    }

    #[test]
    fn defaults_and_trimming() {
        let query = SearchQuery::parse(params("  borrow checker ")).expect("valid");
        assert_eq!(query.text, "borrow checker");
        assert_eq!((query.limit, query.offset), (DEFAULT_LIMIT, 0));
        assert_eq!((query.kind, query.tag), (None, None));
        let query = SearchQuery::parse(params("a\u{7}b\u{E000}c\n")).expect("valid");
        assert_eq!(query.text, "a b c");
    }

    #[test]
    fn every_bad_parameter_is_reported_at_once() {
        let error = SearchQuery::parse(SearchParams {
            q: Some("x".repeat(201)),
            kind: Some("post".into()),
            tag: Some("no way!".into()),
            limit: Some(51),
            offset: Some(1001),
            solved: Some(true),
            city: Some(" ".into()),
            from: Some("yesterday".into()),
            to: Some("2026-13-01T00:00:00Z".into()),
        })
        .expect_err("invalid");
        let ApiError::Validation(errors) = error else {
            panic!("not a validation error: {error:?}");
        };
        let mut fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        fields.sort();
        assert_eq!(
            fields,
            ["city", "from", "limit", "offset", "q", "tag", "to", "type"]
        );
    }

    #[test]
    fn only_threads_are_filtered_by_a_solution() {
        let mut p = params("x");
        p.solved = Some(true);
        assert_eq!(SearchQuery::parse(p).expect("valid").solved, Some(true));
        for (kind, city) in [(Some("reply"), None), (None, Some("Berlin"))] {
            let mut p = params("x");
            p.solved = Some(false);
            p.kind = kind.map(String::from);
            p.city = city.map(String::from);
            let Err(ApiError::Validation(errors)) = SearchQuery::parse(p) else {
                panic!("accepted solved with {kind:?} {city:?}");
            };
            assert!(errors.contains_key("solved"), "{errors:?}");
        }
    }

    #[test]
    fn limits_are_bounded() {
        for (limit, ok) in [(0, false), (1, true), (50, true), (51, false), (-1, false)] {
            let mut p = params("x");
            p.limit = Some(limit);
            assert_eq!(SearchQuery::parse(p).is_ok(), ok, "limit {limit}");
        }
        for (offset, ok) in [(0, true), (1000, true), (1001, false), (-5, false)] {
            let mut p = params("x");
            p.offset = Some(offset);
            assert_eq!(SearchQuery::parse(p).is_ok(), ok, "offset {offset}");
        }
    }
}
