//! The card cache: one row per URL.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Jsonb, Nullable, Text, Timestamptz};

use crate::markdown::Card;

#[derive(QueryableByName)]
struct Url {
    #[diesel(sql_type = Text)]
    url: String,
}

#[derive(QueryableByName)]
struct Cached {
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Jsonb)]
    card: serde_json::Value,
}

/// Which of `urls` were fetched after `after`.
pub fn fresh_urls(
    conn: &mut PgConnection,
    urls: &[String],
    after: DateTime<Utc>,
) -> QueryResult<Vec<String>> {
    let rows: Vec<Url> =
        diesel::sql_query("SELECT url FROM onebox_cache WHERE url = ANY($1) AND fetched_at > $2")
            .bind::<Array<Text>, _>(urls)
            .bind::<Timestamptz, _>(after)
            .load(conn)?;
    Ok(rows.into_iter().map(|r| r.url).collect())
}

/// The cards cached for `urls` (URLs whose page gave none are left out).
pub fn cards(conn: &mut PgConnection, urls: &[String]) -> QueryResult<HashMap<String, Card>> {
    if urls.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Cached> = diesel::sql_query(
        "SELECT url, card FROM onebox_cache WHERE url = ANY($1) AND card IS NOT NULL",
    )
    .bind::<Array<Text>, _>(urls)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| Some((row.url, serde_json::from_value(row.card).ok()?)))
        .collect())
}

/// Records a fetch: its card, or why there was none.
pub fn store(
    conn: &mut PgConnection,
    url: &str,
    outcome: Result<&Card, String>,
) -> QueryResult<()> {
    let (card, failure) = match outcome {
        Ok(card) => (serde_json::to_value(card).ok(), None),
        Err(why) => (None, Some(why)),
    };
    let failure = match (&card, failure) {
        (None, None) => Some("the card could not be stored".to_string()),
        (_, failure) => failure,
    };
    diesel::sql_query(
        "INSERT INTO onebox_cache (url, card, failure, fetched_at) VALUES ($1, $2, $3, now()) \
         ON CONFLICT (url) DO UPDATE SET card = EXCLUDED.card, failure = EXCLUDED.failure, \
             fetched_at = now()",
    )
    .bind::<Text, _>(url)
    .bind::<Nullable<Jsonb>, _>(card)
    .bind::<Nullable<Text>, _>(failure)
    .execute(conn)?;
    Ok(())
}
