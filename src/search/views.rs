//! The answer both engines produce: hits with escaped snippets, and facets.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::document::{DocRef, Kind, MARK_END, MARK_START};
use super::domain::TAG_FACETS;
use crate::ids::ThreadId;

/// One thing found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Hit {
    #[serde(rename = "type")]
    pub kind: Kind,
    /// The thread's, reply's, meetup's or mentor's id.
    pub id: i64,
    pub title: String,
    /// Escaped text around the matches, each match in `<mark>…</mark>`.
    pub snippet: String,
    /// The engine's relevance (higher is better); absent for an empty query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub tags: Vec<String>,
    /// Username of the author (the organizer, the mentor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
    /// A reply's thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<ThreadId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub skills: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub languages: Vec<String>,
}

impl Hit {
    /// The row this hit was found for.
    pub fn doc_ref(&self) -> DocRef {
        DocRef {
            kind: self.kind,
            id: self.id,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Facets {
    /// Matches by kind (every kind listed, zero included).
    #[serde(rename = "type")]
    pub kinds: BTreeMap<String, u64>,
    /// Matches by tag, the most frequent first 20.
    pub tags: BTreeMap<String, u64>,
}

impl Facets {
    /// Every kind present (zero when absent) and the most frequent tags only.
    pub fn normalised(kinds: BTreeMap<String, u64>, tags: BTreeMap<String, u64>) -> Facets {
        let mut all_kinds: BTreeMap<String, u64> = Kind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), 0))
            .collect();
        for (kind, n) in kinds {
            if let Some(slot) = all_kinds.get_mut(&kind) {
                *slot = n;
            }
        }
        let mut ranked: Vec<(String, u64)> = tags.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(TAG_FACETS);
        Facets {
            kinds: all_kinds,
            tags: ranked.into_iter().collect(),
        }
    }
}

/// The answer to `GET /search`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    /// How many things match (engines stop counting past 1,050: the deepest reachable hit).
    pub estimated_total: u64,
    pub facets: Facets,
    pub processing_time_ms: u64,
    /// `postgres` or `meilisearch`.
    pub engine: String,
}

/// Turns engine-highlighted text (matches between `MARK_START` and `MARK_END`) into escaped
/// HTML with `<mark>` elements, always balanced.
pub fn render_snippet(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    let mut open = false;
    for c in raw.chars() {
        match c {
            MARK_START if !open => {
                out.push_str("<mark>");
                open = true;
            }
            MARK_END if open => {
                out.push_str("</mark>");
                open = false;
            }
            MARK_START | MARK_END => {}
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_escaped_and_marks_balanced() {
        let raw = format!("a <script>{MARK_START}borrow{MARK_END} & {MARK_START}check");
        assert_eq!(
            render_snippet(&raw),
            "a &lt;script&gt;<mark>borrow</mark> &amp; <mark>check</mark>"
        );
        assert_eq!(
            render_snippet(&format!("{MARK_END}x{MARK_START}{MARK_START}y")),
            "x<mark>y</mark>"
        );
    }

    #[test]
    fn facets_list_every_kind_and_the_top_tags() {
        let tags = (0..30).map(|i| (format!("t{i:02}"), i as u64)).collect();
        let facets = Facets::normalised(BTreeMap::from([("reply".to_string(), 3)]), tags);
        assert_eq!(facets.kinds.len(), 4);
        assert_eq!(facets.kinds["reply"], 3);
        assert_eq!(facets.kinds["thread"], 0);
        assert_eq!(facets.tags.len(), TAG_FACETS);
        assert!(facets.tags.contains_key("t29") && !facets.tags.contains_key("t00"));
    }
}
