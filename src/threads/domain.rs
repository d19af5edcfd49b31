//! Threads' own input parsed once at the edge: a thread, its edit, a reply, a vote, and the
//! listing order.

use chrono::{DateTime, Utc};

use crate::error::ApiError;
use crate::ids::ThreadId;
use crate::pagination;
use crate::tags::{self, TagName};
use crate::validation::{self, Validator};

/// Listing orders. Pinned threads come first in `Latest` and `Active`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    Latest,
    Active,
    Top,
}

impl Sort {
    pub fn listing(self) -> &'static str {
        match self {
            Sort::Latest => "threads:latest",
            Sort::Active => "threads:active",
            Sort::Top => "threads:top",
        }
    }
}

/// A question listing's filter (`status=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ThreadStatus {
    /// No reply from anyone but the thread's author.
    Unanswered,
    /// No solution a reader can see.
    Unsolved,
    /// A solution a reader can see.
    Solved,
}

/// A member's listing of what they have not read (`filter=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReadFilter {
    /// Threads they opened with replies past their position.
    Unread,
    /// Threads started by others since their previous visit, never opened.
    New,
}

/// Where the previous page ended, in the sort's own key.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum ThreadKey {
    /// (pinned, created_at or last_activity_at, id)
    Timed(bool, DateTime<Utc>, ThreadId),
    /// (score, id)
    Scored(i32, ThreadId),
}

/// A listing's parameters, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub sort: Sort,
    pub tag: Option<String>,
    pub after: Option<ThreadKey>,
    pub limit: i64,
}

/// The listing's order (`latest` by default), tag, cursor and page size. A cursor from another
/// order's listing is refused, not misread.
pub fn parse_listing(
    sort: Option<Sort>,
    tag: Option<&str>,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Listing, ApiError> {
    let sort = sort.unwrap_or(Sort::Latest);
    let limit = pagination::limit(limit)?;
    let tag = tag
        .map(|t| TagName::parse_filter(t).map(TagName::into_string))
        .transpose()
        .map_err(|e| ApiError::invalid_field("tag", e))?;
    let after: Option<ThreadKey> = pagination::decode_optional(sort.listing(), cursor)?;
    if let Some(key) = &after {
        let shape_ok = matches!(
            (sort, key),
            (Sort::Top, ThreadKey::Scored(..))
                | (Sort::Latest | Sort::Active, ThreadKey::Timed(..))
        );
        if !shape_ok {
            return Err(ApiError::bad_request(
                "invalid_cursor",
                "The cursor is not one this listing produced.",
            ));
        }
    }
    Ok(Listing {
        sort,
        tag,
        after,
        limit,
    })
}

pub const MAX_TAGS: usize = 5;

/// A thread's fields, validated.
#[derive(Debug)]
pub struct ThreadInput {
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
}

pub fn parse_title(raw: &str) -> Result<String, String> {
    validation::text(raw, 5, 200, false)
}

pub fn parse_body(raw: &str) -> Result<String, String> {
    validation::text(raw, 1, 50_000, true)
}

pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, Vec<String>> {
    tags::parse_list(raw, MAX_TAGS, TagName::parse)
        .map(|t| t.into_iter().map(TagName::into_string).collect())
}

pub fn parse_new_thread(
    title: Option<&str>,
    body: Option<&str>,
    tags: Option<&[String]>,
) -> Result<ThreadInput, ApiError> {
    let mut v = Validator::new();
    let title = v.require("title", title, parse_title);
    let body = v.require("body", body, parse_body);
    let tags = v.check_all("tags", parse_tags(tags.unwrap_or_default()));
    v.finish()?;
    Ok(ThreadInput {
        title: validation::validated(title)?,
        body: validation::validated(body)?,
        tags: validation::validated(tags)?,
    })
}

/// A thread's edit: only the fields sent change.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ThreadPatch {
    pub title: Option<String>,
    pub body: Option<String>,
    pub tags: Option<Vec<String>>,
}

impl ThreadPatch {
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.body.is_none() && self.tags.is_none()
    }
}

/// Parses a PATCH; every bad field is reported at once.
pub fn parse_thread_patch(
    title: Option<&str>,
    body: Option<&str>,
    tags: Option<&[String]>,
) -> Result<ThreadPatch, ApiError> {
    let mut v = Validator::new();
    let title = title.map(|raw| v.check("title", parse_title(raw)));
    let body = body.map(|raw| v.check("body", parse_body(raw)));
    let tags = tags.map(|raw| v.check_all("tags", parse_tags(raw)));
    v.finish()?;
    Ok(ThreadPatch {
        title: title.map(validation::validated).transpose()?,
        body: body.map(validation::validated).transpose()?,
        tags: tags.map(validation::validated).transpose()?,
    })
}

/// A reply's body (creating or editing).
pub fn parse_reply_body(body: Option<&str>) -> Result<String, ApiError> {
    let mut v = Validator::new();
    let body = v.require("body", body, parse_body);
    v.finish()?;
    validation::validated(body)
}

/// `value` of a vote: 1, 0 (withdraw) or -1. JSON does not tell `1` from `1.0`, so neither
/// does this.
pub fn parse_vote(value: f64) -> Result<i16, ApiError> {
    if value == 1.0 || value == 0.0 || value == -1.0 {
        Ok(value as i16)
    } else {
        Err(ApiError::invalid_field("value", "must be 1, 0 or -1"))
    }
}

/// Which composer a draft belongs to: a new thread's, or a reply's in one thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftKey {
    NewThread,
    Reply(ThreadId),
}

impl DraftKey {
    /// `new-thread` or `reply-{thread_id}`; anything else names no draft.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw == "new-thread" {
            return Some(DraftKey::NewThread);
        }
        let id = raw.strip_prefix("reply-")?;
        // Digits only, no sign, no leading zero: one spelling per key.
        if id.starts_with('0') || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        id.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(|id| DraftKey::Reply(ThreadId(id)))
    }
}

impl std::fmt::Display for DraftKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DraftKey::NewThread => f.write_str("new-thread"),
            DraftKey::Reply(thread) => write!(f, "reply-{}", thread.get()),
        }
    }
}

/// A draft as typed: unfinished, so no minimum length and whitespace kept, but within what a
/// post may hold.
#[derive(Debug, PartialEq, Eq)]
pub struct DraftInput {
    pub title: Option<String>,
    pub body: String,
    pub tags: Vec<String>,
}

pub fn parse_draft(
    key: DraftKey,
    title: Option<&str>,
    body: Option<&str>,
    tags: Option<&[String]>,
) -> Result<DraftInput, ApiError> {
    let mut v = Validator::new();
    let body = v.require("body", body, |raw| draft_text(raw, 1, 50_000));
    let title = title.and_then(|raw| v.check("title", draft_text(raw, 0, 200)));
    let tags = tags.unwrap_or_default();
    if tags.len() > MAX_TAGS {
        v.add("tags", format!("at most {MAX_TAGS} tags"));
    }
    for tag in tags {
        if let Err(message) = draft_text(tag, 1, 50) {
            v.add("tags", message);
        }
    }
    if let DraftKey::Reply(_) = key {
        if title.is_some() {
            v.add("title", "only a new thread's draft has a title".into());
        }
        if !tags.is_empty() {
            v.add("tags", "only a new thread's draft has tags".into());
        }
    }
    v.finish()?;
    Ok(DraftInput {
        title,
        body: validation::validated(body)?,
        tags: tags.to_vec(),
    })
}

/// Text kept exactly as typed, between `min` and `max` characters, with no NUL (which
/// PostgreSQL text cannot hold).
fn draft_text(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let chars = raw.chars().count();
    if raw.contains('\0') {
        Err("must not contain NUL characters".into())
    } else if chars < min {
        Err(format!(
            "must be at least {min} character{}",
            if min == 1 { "" } else { "s" }
        ))
    } else if chars > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(raw.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_thread_reports_every_bad_field() {
        let error = parse_new_thread(Some("hi"), None, Some(&["Not A Tag".into()])).unwrap_err();
        let ApiError::Validation(fields) = error else {
            panic!("expected a validation error, got {error:?}");
        };
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(names, ["body", "tags", "title"]);
    }

    #[test]
    fn a_patch_changes_only_what_is_sent() {
        let patch = parse_thread_patch(None, Some("  new body  "), None).unwrap();
        assert_eq!(patch.title, None);
        assert_eq!(patch.tags, None);
        assert!(patch.body.is_some());
        assert!(parse_thread_patch(None, None, None).unwrap().is_empty());
        assert!(parse_thread_patch(Some(""), None, None).is_err());
    }

    #[test]
    fn draft_keys_have_one_spelling() {
        assert_eq!(DraftKey::parse("new-thread"), Some(DraftKey::NewThread));
        assert_eq!(
            DraftKey::parse("reply-42"),
            Some(DraftKey::Reply(ThreadId(42)))
        );
        for bad in [
            "reply-",
            "reply-042",
            "reply--1",
            "reply-0",
            "reply-1x",
            "Reply-1",
            "new",
            "",
        ] {
            assert_eq!(DraftKey::parse(bad), None, "{bad}");
        }
        assert_eq!(DraftKey::Reply(ThreadId(7)).to_string(), "reply-7");
        assert_eq!(DraftKey::NewThread.to_string(), "new-thread");
    }

    #[test]
    fn drafts_keep_what_was_typed_within_a_posts_limits() {
        let draft = parse_draft(
            DraftKey::NewThread,
            Some(""),
            Some("  half a thought\n"),
            None,
        );
        assert_eq!(draft.unwrap().body, "  half a thought\n");
        assert!(parse_draft(DraftKey::NewThread, None, Some(""), None).is_err());
        assert!(parse_draft(DraftKey::NewThread, None, Some(&"x".repeat(50_001)), None).is_err());
        let reply = DraftKey::Reply(ThreadId(1));
        assert!(parse_draft(reply, Some("a title"), Some("body"), None).is_err());
        assert!(parse_draft(reply, None, Some("body"), Some(&["rust".into()])).is_err());
        let six: Vec<String> = (0..6).map(|i| format!("t{i}")).collect();
        assert!(parse_draft(DraftKey::NewThread, None, Some("body"), Some(&six)).is_err());
        assert!(parse_draft(DraftKey::NewThread, None, Some("nul\0"), None).is_err());
    }

    #[test]
    fn votes_are_one_zero_or_minus_one() {
        assert_eq!(parse_vote(1.0).unwrap(), 1);
        assert_eq!(parse_vote(-1.0).unwrap(), -1);
        assert_eq!(parse_vote(0.0).unwrap(), 0);
        assert!(parse_vote(2.0).is_err());
        assert!(parse_vote(0.5).is_err());
    }
}
