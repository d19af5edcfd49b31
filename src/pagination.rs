//! Keyset pagination: `?limit=&cursor=` in, `{items, next_cursor}` out. A cursor is the sort
//! key of the last item served, opaque to clients (base64url JSON), tied to its listing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// `limit` within 1..=100, 20 when absent.
pub fn limit(raw: Option<i64>) -> Result<i64, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid_field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope<K> {
    /// Which listing the cursor belongs to; a cursor from another one is refused.
    l: String,
    k: K,
}

pub fn encode<K: Serialize>(listing: &str, key: &K) -> String {
    let envelope = Envelope {
        l: listing.to_string(),
        k: key,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&envelope).unwrap_or_default())
}

/// The key inside a cursor; anything not produced by `encode` for this listing is a 400.
pub fn decode<K: DeserializeOwned>(listing: &str, cursor: &str) -> Result<K, ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "invalid_cursor",
            "The cursor is not one this listing produced.",
        )
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| invalid())?;
    let envelope: Envelope<K> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if envelope.l != listing {
        return Err(invalid());
    }
    Ok(envelope.k)
}

/// The key inside an optional `cursor` parameter; absent or empty means the first page.
pub fn decode_optional<K: DeserializeOwned>(
    listing: &str,
    cursor: Option<&str>,
) -> Result<Option<K>, ApiError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(|c| decode(listing, c))
        .transpose()
}

/// Cuts `limit + 1` fetched rows to the page and says where the next one starts, for pages
/// whose views need more than the row (see `Page::from_rows` otherwise).
pub fn split_page<R>(
    mut rows: Vec<R>,
    limit: i64,
    key: impl Fn(&R) -> String,
) -> (Vec<R>, Option<String>) {
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if has_more { rows.last().map(key) } else { None };
    (rows, next_cursor)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only tells whether more exist.
    pub fn from_rows<R>(
        rows: Vec<R>,
        limit: i64,
        key: impl Fn(&R) -> String,
        view: impl Fn(R) -> T,
    ) -> Self {
        let (rows, next_cursor) = split_page(rows, limit, key);
        Page {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage_and_other_listings() {
        let cursor = encode("threads:latest", &(true, 42i64));
        assert_eq!(
            decode::<(bool, i64)>("threads:latest", &cursor).ok(),
            Some((true, 42))
        );
        assert!(decode::<(bool, i64)>("threads:top", &cursor).is_err());
        for garbage in [
            "",
            "!!!",
            "eyJ4Ijox",
            &URL_SAFE_NO_PAD.encode(b"{\"l\":\"threads:latest\",\"k\":\"x\"}"),
        ] {
            assert!(
                decode::<(bool, i64)>("threads:latest", garbage).is_err(),
                "{garbage}"
            );
        }
    }

    #[test]
    fn limits() {
        assert_eq!(limit(None).ok(), Some(20));
        assert_eq!(limit(Some(100)).ok(), Some(100));
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
    }
}
