//! The PostgreSQL engine: `search_documents` with a weighted `tsvector` and a GIN index,
//! `websearch_to_tsquery` syntax, `ts_rank_cd` ranking, `ts_headline` snippets, and a
//! trigram correction of unknown words when a query finds nothing.
//!
//! Work per query is bounded: the newest `MAX_REACHABLE_HITS` matches are the candidates,
//! ranked among themselves; facets and the total count them. A query whose words match
//! hundreds of thousands of documents therefore costs the same as one matching a thousand.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text};
use serde::Deserialize;

use super::document::{Document, Kind, MARK_END, MARK_START};
use super::query::{render_snippet, Facets, Hit, SearchQuery, MAX_REACHABLE_HITS};
use super::sync::Changes;

/// Characters of body shown for an empty query (no highlighting to centre on).
const PLAIN_SNIPPET_CHARS: i64 = 200;

/// What one query found, before the visibility guard.
pub struct Found {
    pub hits: Vec<Hit>,
    pub total: u64,
    pub facets: Facets,
}

#[derive(QueryableByName)]
struct FoundRow {
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = Jsonb)]
    kinds: serde_json::Value,
    #[diesel(sql_type = Jsonb)]
    tags: serde_json::Value,
    #[diesel(sql_type = Jsonb)]
    hits: serde_json::Value,
}

#[derive(Deserialize)]
struct HitRow {
    kind: Kind,
    id: i64,
    parent_id: Option<i64>,
    title: String,
    snippet: String,
    score: Option<f64>,
    tags: Vec<String>,
    username: Option<String>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    fields: DocumentFields,
}

/// The kind-specific part of a document, stored as JSON.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
struct DocumentFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    starts_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    skills: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    languages: Vec<String>,
}

impl HitRow {
    fn into_hit(self) -> Hit {
        Hit {
            kind: self.kind,
            id: self.id,
            title: self.title,
            snippet: render_snippet(&self.snippet),
            score: self.score,
            tags: self.tags,
            author: self.username,
            created_at: self.created_at,
            thread_id: self.parent_id.filter(|_| self.kind == Kind::Reply),
            starts_at: self.fields.starts_at,
            city: self.fields.city,
            skills: self.fields.skills,
            languages: self.fields.languages,
        }
    }
}

/// How the tsquery is made from the text: the web syntax people type, or a corrected list of
/// lexemes.
#[derive(Clone, Copy)]
enum QuerySyntax {
    Websearch,
    Lexemes,
}

impl QuerySyntax {
    /// The tsquery of `$1`, with the synonym groups of `$2` expanded.
    fn tsquery(self) -> &'static str {
        match self {
            QuerySyntax::Websearch => {
                "search_expand(websearch_to_tsquery('english', search_text($1)), $2)"
            }
            QuerySyntax::Lexemes => "search_expand(to_tsquery('simple', $1), $2)",
        }
    }
}

/// How many of the newest documents whose title matches join the candidates: title matches
/// rank first, and must be found even when the newest matches are all newer.
const TITLE_CANDIDATES: usize = 100;

/// The PostgreSQL engine's configuration.
#[derive(Debug, Clone, Default)]
pub struct Postgres {
    /// Synonym groups, each its words separated by spaces (`search.synonyms`).
    synonyms: Vec<String>,
}

impl Postgres {
    pub fn new(synonyms: Vec<String>) -> Self {
        Postgres { synonyms }
    }

    /// Runs a search; an unknown word is corrected to the nearest indexed one when the query
    /// as typed finds nothing.
    pub fn search(&self, conn: &mut PgConnection, query: &SearchQuery) -> QueryResult<Found> {
        if query.text.is_empty() {
            return recent(conn, query);
        }
        let found = self.matching(conn, query, &query.text, QuerySyntax::Websearch)?;
        if found.total > 0 {
            return Ok(found);
        }
        match corrected_lexemes(conn, &query.text)? {
            Some(lexemes) => self.matching(conn, query, &lexemes, QuerySyntax::Lexemes),
            None => Ok(found),
        }
    }

    /// Documents matching the words, ranked: title matches first, then by `ts_rank_cd`
    /// (rounded, so that near-equal ranks are equal), then better voted, then newer.
    fn matching(
        &self,
        conn: &mut PgConnection,
        query: &SearchQuery,
        text: &str,
        syntax: QuerySyntax,
    ) -> QueryResult<Found> {
        let words = syntax.tsquery();
        // Bind parameters: $1 text, $2 synonyms, $3 offset, $4 limit, $5 headline options,
        // then the filters.
        let filters = Filters::of(query);
        let (lexemes, columns, binds) = filters.for_matching(6);
        // The tsquery is written out where it is used: a CTE used twice would be
        // materialised, hiding its value from the planner, which then reads every match.
        let wanted = format!("(({words}){lexemes})");
        let branch = |condition: &str, cap: usize| {
            format!(
                "(SELECT d.kind, d.source_id, d.tags, d.created_at, d.votes, \
                         d.title_document @@ {words} AS title_hit, \
                         round(ts_rank_cd(d.document, {words})::numeric, 1) AS rank \
                  FROM search_documents d \
                  WHERE {condition}d.document @@ {wanted}{columns} \
                  ORDER BY d.created_at DESC LIMIT {cap})"
            )
        };
        let candidates = format!(
            "SELECT DISTINCT ON (kind, source_id) * FROM ({} UNION ALL {}) c",
            branch("", MAX_REACHABLE_HITS),
            branch(
                &format!("d.kind <> 'reply' AND d.title_document @@ {words} AND "),
                TITLE_CANDIDATES
            ),
        );
        let sql = found_sql(
            &candidates,
            "title_hit DESC, rank DESC, votes DESC, created_at DESC, source_id DESC",
            &format!("ts_headline('english', d.body, {words}, $5)"),
            "$3",
            "$4",
        );
        let (offset, limit) = page_binds(query);
        let statement = diesel::sql_query(sql)
            .into_boxed()
            .bind::<Text, _>(text.to_string())
            .bind::<Array<Text>, _>(self.synonyms.clone())
            .bind::<BigInt, _>(offset)
            .bind::<BigInt, _>(limit)
            .bind::<Text, _>(headline_options());
        run_found_query(conn, statement, binds)
    }
}

/// A query's filters.
struct Filters<'a> {
    kind: Option<Kind>,
    tag: Option<&'a str>,
    city: Option<&'a str>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

impl<'a> Filters<'a> {
    fn of(query: &'a SearchQuery) -> Self {
        // Only meetups have a city and a start.
        let kind = query
            .kind
            .or(query.filters_meetups().then_some(Kind::Meetup));
        Filters {
            kind,
            tag: query.tag.as_deref(),
            city: query.city.as_deref(),
            from: query.from,
            to: query.to,
        }
    }

    /// For a word search: the kind and tag as lexemes of `document` (`'~thread'`, `'#rust'`:
    /// one GIN search intersects them with the words), the meetup fields as conditions.
    /// Returns (tsquery to AND with the words, column conditions, binds), numbering the binds
    /// from `first_bind`.
    fn for_matching(&self, first_bind: usize) -> (String, String, Vec<String>) {
        let mut lexemes = String::new();
        let mut binds = Vec::new();
        let mut n = first_bind;
        for lexeme in [
            self.kind.map(|k| format!("~{}", k.as_str())),
            self.tag.map(|t| format!("#{t}")),
        ]
        .into_iter()
        .flatten()
        {
            lexemes.push_str(&format!(" && quote_literal(${n})::tsquery"));
            binds.push(lexeme);
            n += 1;
        }
        let (columns, more) = self.meetup_conditions(n);
        binds.extend(more);
        (lexemes, columns, binds)
    }

    /// For the empty query, which walks the newest documents: kind and tag as columns.
    fn for_recent(&self, first_bind: usize) -> (String, Vec<String>) {
        let mut sql = String::new();
        let mut binds = Vec::new();
        let mut n = first_bind;
        if let Some(kind) = self.kind {
            sql.push_str(&format!(" AND d.kind = ${n}"));
            binds.push(kind.as_str().to_string());
            n += 1;
        }
        if let Some(tag) = self.tag {
            sql.push_str(&format!(" AND d.tags @> ARRAY[${n}::text]"));
            binds.push(tag.to_string());
            n += 1;
        }
        let (columns, more) = self.meetup_conditions(n);
        binds.extend(more);
        (sql + &columns, binds)
    }

    fn meetup_conditions(&self, first_bind: usize) -> (String, Vec<String>) {
        let mut sql = String::new();
        let mut binds = Vec::new();
        let mut n = first_bind;
        if let Some(city) = self.city {
            sql.push_str(&format!(" AND lower(d.fields->>'city') = lower(${n})"));
            binds.push(city.to_string());
            n += 1;
        }
        if let Some(from) = self.from {
            sql.push_str(&format!(
                " AND (d.fields->>'starts_at')::timestamptz >= ${n}::timestamptz"
            ));
            binds.push(from.to_rfc3339());
            n += 1;
        }
        if let Some(to) = self.to {
            sql.push_str(&format!(
                " AND (d.fields->>'starts_at')::timestamptz < ${n}::timestamptz"
            ));
            binds.push(to.to_rfc3339());
        }
        (sql, binds)
    }
}

fn headline_options() -> String {
    format!(
        "StartSel=\"{MARK_START}\", StopSel=\"{MARK_END}\", MaxWords=30, MinWords=12, \
         MaxFragments=2, FragmentDelimiter=\" … \""
    )
}

/// An empty query: the newest content of the requested kind.
fn recent(conn: &mut PgConnection, query: &SearchQuery) -> QueryResult<Found> {
    let (filter_sql, binds) = Filters::of(query).for_recent(3);
    let candidates = format!(
        "SELECT d.kind, d.source_id, d.tags, d.created_at, d.votes, false AS title_hit, \
                NULL::numeric AS rank \
         FROM search_documents d WHERE true{filter_sql} \
         ORDER BY d.created_at DESC LIMIT {MAX_REACHABLE_HITS}"
    );
    let sql = found_sql(
        &candidates,
        "created_at DESC, source_id DESC",
        &format!("left(d.body, {PLAIN_SNIPPET_CHARS})"),
        "$1",
        "$2",
    );
    let (offset, limit) = page_binds(query);
    let statement = diesel::sql_query(sql)
        .into_boxed()
        .bind::<BigInt, _>(offset)
        .bind::<BigInt, _>(limit);
    run_found_query(conn, statement, binds)
}

/// The one statement behind every search: `candidates` (kind, source_id, tags, created_at,
/// votes, title_hit, rank; at most `MAX_REACHABLE_HITS` and a few title matches), counted for
/// the total and the facets, and one page of them in `order`, with `snippet` for each.
fn found_sql(candidates: &str, order: &str, snippet: &str, offset: &str, limit: &str) -> String {
    format!(
        "WITH candidates AS MATERIALIZED ({candidates}), \
         page AS ( \
             SELECT kind, source_id, title_hit, rank, votes, created_at FROM candidates \
             ORDER BY {order} \
             OFFSET {offset} LIMIT {limit}) \
         SELECT (SELECT count(*) FROM candidates) AS total, \
                (SELECT coalesce(jsonb_object_agg(kind, n), '{{}}') \
                 FROM (SELECT kind, count(*) AS n FROM candidates GROUP BY kind) k) AS kinds, \
                (SELECT coalesce(jsonb_object_agg(tag, n), '{{}}') \
                 FROM (SELECT tag, count(*) AS n FROM candidates, unnest(tags) AS tag \
                       GROUP BY tag ORDER BY n DESC, tag LIMIT {tag_facets}) t) AS tags, \
                (SELECT coalesce(jsonb_agg(jsonb_build_object( \
                     'kind', d.kind, 'id', d.source_id, 'parent_id', d.parent_id, \
                     'title', d.title, 'snippet', {snippet}, \
                     'score', p.rank, 'tags', d.tags, 'username', d.username, \
                     'created_at', d.created_at, 'fields', d.fields) \
                     ORDER BY {page_order}), '[]') \
                 FROM page p JOIN search_documents d USING (kind, source_id)) AS hits",
        tag_facets = super::query::TAG_FACETS,
        page_order = order
            .split(", ")
            .map(|key| format!("p.{key}"))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn page_binds(query: &SearchQuery) -> (i64, i64) {
    (
        i64::try_from(query.offset).unwrap_or(i64::MAX),
        i64::try_from(query.limit).unwrap_or(i64::MAX),
    )
}

fn run_found_query(
    conn: &mut PgConnection,
    mut statement: BoxedSqlQuery<'static, Pg, SqlQuery>,
    filter_binds: Vec<String>,
) -> QueryResult<Found> {
    for value in filter_binds {
        statement = statement.bind::<Text, _>(value);
    }
    let row: FoundRow = statement.get_result(conn)?;
    let hits: Vec<HitRow> = serde_json::from_value(row.hits)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    let counts = |value: serde_json::Value| -> BTreeMap<String, u64> {
        serde_json::from_value(value).unwrap_or_default()
    };
    Ok(Found {
        hits: hits.into_iter().map(HitRow::into_hit).collect(),
        total: u64::try_from(row.total).unwrap_or(0),
        facets: Facets::normalised(counts(row.kinds), counts(row.tags)),
    })
}

/// The query's words as indexed lexemes, each unknown one replaced by the most similar
/// indexed lexeme (trigram similarity); `None` when nothing changes or nothing is left.
fn corrected_lexemes(conn: &mut PgConnection, text: &str) -> QueryResult<Option<String>> {
    #[derive(QueryableByName)]
    struct Correction {
        #[diesel(sql_type = Nullable<Text>)]
        corrected: Option<String>,
        #[diesel(sql_type = BigInt)]
        changed: i64,
    }
    let correction: Correction = diesel::sql_query(
        "SELECT string_agg(quote_literal(coalesce(exact.lexeme, near.lexeme)), ' & ') AS corrected, \
                count(*) FILTER (WHERE exact.lexeme IS NULL AND near.lexeme IS NOT NULL) AS changed \
         FROM unnest(tsvector_to_array(to_tsvector('english', search_text($1)))) AS w(word) \
         LEFT JOIN LATERAL (SELECT l.lexeme FROM search_lexemes l WHERE l.lexeme = w.word) exact \
                ON true \
         LEFT JOIN LATERAL (SELECT l.lexeme FROM search_lexemes l \
                            WHERE exact.lexeme IS NULL AND l.lexeme % w.word \
                            ORDER BY similarity(l.lexeme, w.word) DESC, l.lexeme LIMIT 1) near \
                ON true \
         WHERE coalesce(exact.lexeme, near.lexeme) IS NOT NULL",
    )
    .bind::<Text, _>(text)
    .get_result(conn)?;
    Ok(correction.corrected.filter(|_| correction.changed > 0))
}

/// Writes a batch of changes: removals first, then the current documents, then any new
/// words into the lexicon used for corrections. Runs in the caller's transaction.
pub fn apply(conn: &mut PgConnection, changes: &Changes) -> QueryResult<()> {
    for kind in Kind::ALL {
        let ids: Vec<i64> = changes
            .removals
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.id)
            .collect();
        if !ids.is_empty() {
            diesel::sql_query(
                "DELETE FROM search_documents WHERE kind = $1 AND source_id = ANY($2)",
            )
            .bind::<Text, _>(kind.as_str())
            .bind::<Array<BigInt>, _>(&ids)
            .execute(conn)?;
        }
    }
    if !changes.replies_removed_with.is_empty() {
        diesel::sql_query(
            "DELETE FROM search_documents WHERE kind = 'reply' AND parent_id = ANY($1)",
        )
        .bind::<Array<BigInt>, _>(&changes.replies_removed_with)
        .execute(conn)?;
    }
    upsert(conn, &changes.documents)?;
    Ok(())
}

/// Inserts or replaces documents (in chunks, one statement each) and records their words.
pub fn upsert(conn: &mut PgConnection, documents: &[Document]) -> QueryResult<()> {
    for chunk in documents.chunks(1_000) {
        let rows: Vec<serde_json::Value> = chunk.iter().map(row_json).collect();
        diesel::sql_query(
            "WITH input AS ( \
                 SELECT * FROM jsonb_to_recordset($1) AS x( \
                     kind text, source_id bigint, parent_id bigint, title text, body text, \
                     tags text[], username text, fields jsonb, created_at timestamptz, \
                     updated_at timestamptz, votes integer)), \
             written AS ( \
                 INSERT INTO search_documents \
                     (kind, source_id, parent_id, title, body, tags, username, fields, \
                      created_at, updated_at, votes) \
                 SELECT kind, source_id, parent_id, title, body, tags, username, fields, \
                        created_at, updated_at, votes FROM input \
                 ON CONFLICT (kind, source_id) DO UPDATE SET \
                     parent_id = EXCLUDED.parent_id, title = EXCLUDED.title, \
                     body = EXCLUDED.body, tags = EXCLUDED.tags, username = EXCLUDED.username, \
                     fields = EXCLUDED.fields, created_at = EXCLUDED.created_at, \
                     updated_at = EXCLUDED.updated_at, votes = EXCLUDED.votes \
                 RETURNING document) \
             INSERT INTO search_lexemes (lexeme) \
             SELECT DISTINCT lexeme FROM written, unnest(tsvector_to_array(document)) AS lexeme \
             WHERE lexeme !~ '^[#~]' \
             ON CONFLICT DO NOTHING",
        )
        .bind::<Jsonb, _>(serde_json::Value::Array(rows))
        .execute(conn)?;
    }
    Ok(())
}

fn row_json(document: &Document) -> serde_json::Value {
    let fields = DocumentFields {
        starts_at: document.starts_at,
        city: document.city.clone(),
        skills: document.skills.clone(),
        languages: document.languages.clone(),
    };
    serde_json::json!({
        "kind": document.kind.as_str(),
        "source_id": document.source_id,
        "parent_id": document.parent_id,
        "title": document.title,
        "body": document.body,
        "tags": document.tags,
        "username": document.username,
        "fields": fields,
        "created_at": document.created_at,
        "updated_at": document.updated_at,
        "votes": document.votes,
    })
}

/// Empties the index and its lexicon (inside the caller's transaction: readers keep the old
/// rows until it commits).
pub fn clear(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM search_documents").execute(conn)?;
    diesel::sql_query("DELETE FROM search_lexemes").execute(conn)?;
    Ok(())
}
