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
use diesel::sql_types::{Array, BigInt, Bool, Float4, Integer, Jsonb, Nullable, Text, Timestamptz};
use serde::Deserialize;

use super::document::{Document, Kind, MARK_END, MARK_START};
use super::domain::{SearchQuery, MAX_REACHABLE_HITS};
use super::sync::Changes;
use super::views::{render_snippet, Facets, Hit};
use crate::ids::ThreadId;

/// Characters of body shown for an empty query (no highlighting to centre on).
const PLAIN_SNIPPET_CHARS: i64 = 200;

/// What one query found, before the visibility guard.
pub struct Found {
    pub hits: Vec<Hit>,
    pub total: u64,
    pub facets: Facets,
}

/// A document that may be on the page: what ranking, the total and the facets need.
#[derive(Debug, Clone, QueryableByName)]
struct Candidate {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    source_id: i64,
    #[diesel(sql_type = Array<Text>)]
    tags: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    votes: i32,
    #[diesel(sql_type = Bool)]
    title_hit: bool,
    #[diesel(sql_type = Nullable<Float4>)]
    rank: Option<f32>,
}

impl Candidate {
    /// `ts_rank_cd` to one decimal: ranks that differ by less are equals, for votes and
    /// recency to decide.
    fn rank_bucket(&self) -> i64 {
        self.rank
            .map_or(0, |r| (f64::from(r) * 10.0).round() as i64)
    }

    /// Title matches first, then rank, then better voted, then newer.
    fn relevance_order(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
        b.title_hit
            .cmp(&a.title_hit)
            .then_with(|| b.rank_bucket().cmp(&a.rank_bucket()))
            .then_with(|| b.votes.cmp(&a.votes))
            .then_with(|| b.created_at.cmp(&a.created_at))
            .then_with(|| b.source_id.cmp(&a.source_id))
    }
}

/// What the page shows of a hit.
#[derive(QueryableByName)]
struct PageRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    source_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    parent_id: Option<i64>,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    snippet: String,
    #[diesel(sql_type = Nullable<Text>)]
    username: Option<String>,
    #[diesel(sql_type = Jsonb)]
    fields: serde_json::Value,
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

/// How the tsquery is made from the text: the web syntax people type, or a corrected list of
/// lexemes; with the synonym groups bound as `$2` when the query has any of their words.
#[derive(Clone, Copy)]
enum QuerySyntax {
    Websearch,
    Lexemes,
}

impl QuerySyntax {
    fn tsquery(self, with_synonyms: bool) -> &'static str {
        match (self, with_synonyms) {
            (QuerySyntax::Websearch, false) => "websearch_to_tsquery('english', search_text($1))",
            (QuerySyntax::Websearch, true) => {
                "search_expand(websearch_to_tsquery('english', search_text($1)), $2)"
            }
            (QuerySyntax::Lexemes, false) => "to_tsquery('simple', $1)",
            (QuerySyntax::Lexemes, true) => "search_expand(to_tsquery('simple', $1), $2)",
        }
    }
}

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

    /// The synonym groups with a word of `text`: only they are expanded (expanding costs a
    /// few milliseconds, and most queries have none).
    fn synonyms_for(&self, text: &str) -> Vec<String> {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        self.synonyms
            .iter()
            .filter(|group| {
                group
                    .split_whitespace()
                    .any(|g| words.iter().any(|w| w == g))
            })
            .cloned()
            .collect()
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

    /// Documents matching the words: the newest `MAX_REACHABLE_HITS` matches are the
    /// candidates; ranking, the total and the facets are worked out from them
    /// (`found_from`), then the page's snippets are fetched.
    fn matching(
        &self,
        conn: &mut PgConnection,
        query: &SearchQuery,
        text: &str,
        syntax: QuerySyntax,
    ) -> QueryResult<Found> {
        let synonyms = self.synonyms_for(text);
        let words = syntax.tsquery(!synonyms.is_empty());
        let first_filter_bind = if synonyms.is_empty() { 2 } else { 3 };
        let (lexemes, columns, filter_binds) = Filters::of(query).for_matching(first_filter_bind);
        // The tsquery is written out where it is used, so the planner sees its value. Rank
        // and title match are worked out for the candidates only, after the limit.
        let sql = format!(
            "SELECT c.kind, c.source_id, c.tags, c.created_at, c.votes, \
                    c.title_document @@ {words} AS title_hit, \
                    ts_rank_cd(c.document, {words}) AS rank \
             FROM (SELECT d.kind, d.source_id, d.tags, d.created_at, d.votes, d.document, \
                          d.title_document \
                   FROM search_documents d \
                   WHERE d.document @@ (({words}){lexemes}){columns} \
                   ORDER BY d.created_at DESC LIMIT {MAX_REACHABLE_HITS}) c"
        );
        let mut statement = diesel::sql_query(sql)
            .into_boxed()
            .bind::<Text, _>(text.to_string());
        if !synonyms.is_empty() {
            statement = statement.bind::<Array<Text>, _>(synonyms.clone());
        }
        for value in filter_binds {
            statement = statement.bind::<Text, _>(value);
        }
        let candidates: Vec<Candidate> = statement.load(conn)?;
        let snippet = format!("ts_headline('english', d.body, {words}, $HEADLINE)");
        let leading_binds = first_filter_bind - 1;
        found_from(
            conn,
            candidates,
            query,
            &snippet,
            leading_binds,
            |page_sql| {
                let mut statement = diesel::sql_query(page_sql)
                    .into_boxed()
                    .bind::<Text, _>(text.to_string());
                if !synonyms.is_empty() {
                    statement = statement.bind::<Array<Text>, _>(synonyms.clone());
                }
                statement
            },
        )
    }
}

/// A query's filters.
struct Filters<'a> {
    kind: Option<Kind>,
    solved: Option<bool>,
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
            .or(query.filters_meetups().then_some(Kind::Meetup))
            .or(query.solved.map(|_| Kind::Thread));
        Filters {
            kind,
            solved: query.solved,
            tag: query.tag.as_deref(),
            city: query.city.as_deref(),
            from: query.from,
            to: query.to,
        }
    }

    /// For a word search: the tag as a lexeme of `document` (`'#rust'`: one GIN search
    /// intersects it with the words); the kind and the meetup fields as conditions (with the
    /// kind as an equality, the planner can walk that kind's newest documents when the words
    /// are common: threads are rare among the newest documents, which are mostly replies).
    /// Returns (tsquery to AND with the words, column conditions, binds), numbering the binds
    /// from `first_bind`.
    fn for_matching(&self, first_bind: usize) -> (String, String, Vec<String>) {
        let mut lexemes = String::new();
        let mut binds = Vec::new();
        let mut n = first_bind;
        let mut columns = String::new();
        if let Some(kind) = self.kind {
            columns.push_str(&format!(" AND d.kind = '{}'", kind.as_str()));
        }
        if let Some(tag) = self.tag {
            lexemes.push_str(&format!(" && quote_literal(${n})::tsquery"));
            binds.push(format!("#{tag}"));
            n += 1;
        }
        let (meetup_columns, more) = self.field_conditions(n);
        binds.extend(more);
        (lexemes, columns + &meetup_columns, binds)
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
        let (columns, more) = self.field_conditions(n);
        binds.extend(more);
        (sql + &columns, binds)
    }

    fn field_conditions(&self, first_bind: usize) -> (String, Vec<String>) {
        let mut sql = match self.solved {
            // A document written before threads carried the column counts as unsolved.
            Some(true) => " AND d.solved".to_string(),
            Some(false) => " AND d.solved IS NOT TRUE".to_string(),
            None => String::new(),
        };
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
    let (filter_sql, binds) = Filters::of(query).for_recent(1);
    let mut statement = diesel::sql_query(format!(
        "SELECT d.kind, d.source_id, d.tags, d.created_at, d.votes, false AS title_hit, \
                NULL::real AS rank \
         FROM search_documents d WHERE true{filter_sql} \
         ORDER BY d.created_at DESC, d.source_id DESC LIMIT {MAX_REACHABLE_HITS}"
    ))
    .into_boxed();
    for value in binds {
        statement = statement.bind::<Text, _>(value);
    }
    let candidates: Vec<Candidate> = statement.load(conn)?;
    let snippet = format!("left(d.body, {PLAIN_SNIPPET_CHARS})");
    found_from(conn, candidates, query, &snippet, 0, |page_sql| {
        diesel::sql_query(page_sql).into_boxed()
    })
}

/// The total, the facets and the requested page from the candidates (in relevance order),
/// with each page hit's display fields and `snippet` (SQL over `d`, with `$HEADLINE` for
/// the headline options) read by one more statement, whose `leading_binds` binds
/// `page_statement` makes.
fn found_from(
    conn: &mut PgConnection,
    mut candidates: Vec<Candidate>,
    query: &SearchQuery,
    snippet: &str,
    leading_binds: usize,
    page_statement: impl FnOnce(String) -> BoxedSqlQuery<'static, Pg, SqlQuery>,
) -> QueryResult<Found> {
    // The title branch may repeat a document of the newest matches.
    let mut seen = std::collections::HashSet::new();
    candidates.retain(|c| seen.insert((c.kind.clone(), c.source_id)));
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut tags: BTreeMap<String, u64> = BTreeMap::new();
    for candidate in &candidates {
        *kinds.entry(candidate.kind.clone()).or_default() += 1;
        for tag in &candidate.tags {
            *tags.entry(tag.clone()).or_default() += 1;
        }
    }
    let total = candidates.len() as u64;
    candidates.sort_by(Candidate::relevance_order);
    let page: Vec<Candidate> = candidates
        .into_iter()
        .skip(query.offset)
        .take(query.limit)
        .collect();
    let hits = page_hits(conn, &page, snippet, leading_binds, page_statement)?;
    Ok(Found {
        hits,
        total,
        facets: Facets::normalised(kinds, tags),
    })
}

fn page_hits(
    conn: &mut PgConnection,
    page: &[Candidate],
    snippet: &str,
    leading_binds: usize,
    page_statement: impl FnOnce(String) -> BoxedSqlQuery<'static, Pg, SqlQuery>,
) -> QueryResult<Vec<Hit>> {
    if page.is_empty() {
        return Ok(Vec::new());
    }
    // Binds: the caller's (text, synonyms), then kinds, ids and the headline options.
    let (kinds_at, ids_at, headline_at) = (leading_binds + 1, leading_binds + 2, leading_binds + 3);
    let snippet = snippet.replace("$HEADLINE", &format!("${headline_at}"));
    let sql = format!(
        "SELECT d.kind, d.source_id, d.parent_id, d.title, {snippet} AS snippet, d.username, \
                d.fields \
         FROM unnest(${kinds_at}::text[], ${ids_at}::bigint[]) AS p(kind, source_id) \
         JOIN search_documents d USING (kind, source_id)"
    );
    let mut statement = page_statement(sql)
        .bind::<Array<Text>, _>(page.iter().map(|c| c.kind.clone()).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(page.iter().map(|c| c.source_id).collect::<Vec<_>>());
    if snippet.contains(&format!("${headline_at}")) {
        statement = statement.bind::<Text, _>(headline_options());
    }
    let rows: Vec<PageRow> = statement.load(conn)?;
    let mut by_key: std::collections::HashMap<(String, i64), PageRow> = rows
        .into_iter()
        .map(|row| ((row.kind.clone(), row.source_id), row))
        .collect();
    Ok(page
        .iter()
        .filter_map(|candidate| {
            let row = by_key.remove(&(candidate.kind.clone(), candidate.source_id))?;
            let kind = Kind::parse(&row.kind)?;
            let fields: DocumentFields = serde_json::from_value(row.fields).unwrap_or_default();
            Some(Hit {
                kind,
                id: row.source_id,
                title: row.title,
                snippet: render_snippet(&row.snippet),
                score: candidate
                    .rank
                    .map(|_| candidate.rank_bucket() as f64 / 10.0),
                tags: candidate.tags.clone(),
                author: row.username,
                created_at: candidate.created_at,
                thread_id: row.parent_id.filter(|_| kind == Kind::Reply).map(ThreadId),
                starts_at: fields.starts_at,
                city: fields.city,
                skills: fields.skills,
                languages: fields.languages,
            })
        })
        .collect())
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
        diesel::sql_query(format!(
            "WITH written AS ( \
                 INSERT INTO search_documents ({COLUMNS}) \
                 SELECT {COLUMNS} FROM jsonb_to_recordset($1) AS x({RECORD}) \
                 ON CONFLICT (kind, source_id) DO UPDATE SET \
                     parent_id = EXCLUDED.parent_id, title = EXCLUDED.title, \
                     body = EXCLUDED.body, tags = EXCLUDED.tags, username = EXCLUDED.username, \
                     fields = EXCLUDED.fields, created_at = EXCLUDED.created_at, \
                     updated_at = EXCLUDED.updated_at, votes = EXCLUDED.votes, \
                     solved = EXCLUDED.solved \
                 RETURNING document) \
             INSERT INTO search_lexemes (lexeme) \
             SELECT DISTINCT lexeme FROM written, unnest(tsvector_to_array(document)) AS lexeme \
             WHERE lexeme !~ '^#' \
             ON CONFLICT DO NOTHING"
        ))
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
        "solved": document.solved,
    })
}

/// A full rebuild of the PostgreSQL index beside the live one, swapped in when complete:
/// loading a million documents into a table with no index and building the indexes once is
/// several times faster than maintaining two GIN indexes row by row, and readers keep the
/// live table until the swap (a short exclusive lock).
pub mod rebuild {
    use super::*;

    /// The tables a rebuild replaces, each with its stand-in.
    const TABLES: [(&str, &str); 2] = [
        ("search_documents", "search_documents_rebuild"),
        ("search_lexemes", "search_lexemes_rebuild"),
    ];

    /// Drops what an interrupted rebuild left, and creates empty stand-ins shaped like the
    /// live tables (columns, generated columns, defaults, checks), without their indexes.
    pub fn start(conn: &mut PgConnection) -> QueryResult<()> {
        abandon(conn)?;
        for (live, stand_in) in TABLES {
            diesel::sql_query(format!(
                "CREATE TABLE {stand_in} (LIKE {live} \
                 INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS)"
            ))
            .execute(conn)?;
        }
        Ok(())
    }

    /// Drops the stand-ins, if any.
    pub fn abandon(conn: &mut PgConnection) -> QueryResult<()> {
        for (_, stand_in) in TABLES {
            diesel::sql_query(format!("DROP TABLE IF EXISTS {stand_in}")).execute(conn)?;
        }
        Ok(())
    }

    /// Writes documents into the stand-in (no lexicon: `finish` builds it in one pass).
    pub fn write(conn: &mut PgConnection, documents: &[Document]) -> QueryResult<()> {
        for chunk in documents.chunks(1_000) {
            let rows: Vec<serde_json::Value> = chunk.iter().map(row_json).collect();
            diesel::sql_query(format!(
                "INSERT INTO search_documents_rebuild ({COLUMNS}) \
                 SELECT {COLUMNS} FROM jsonb_to_recordset($1) AS x({RECORD})"
            ))
            .bind::<Jsonb, _>(serde_json::Value::Array(rows))
            .execute(conn)?;
        }
        Ok(())
    }

    /// Builds the lexicon and every index the live tables have, then swaps the stand-ins in
    /// (index and constraint names as the migrations gave them).
    pub fn finish(conn: &mut PgConnection) -> QueryResult<()> {
        diesel::sql_query("SET maintenance_work_mem = '512MB'").execute(conn)?;
        diesel::sql_query(
            "INSERT INTO search_lexemes_rebuild (lexeme) \
             SELECT word FROM ts_stat('SELECT document FROM search_documents_rebuild') \
             WHERE word !~ '^#'",
        )
        .execute(conn)?;
        let mut renames = Vec::new();
        for (live, stand_in) in TABLES {
            for index in indexes_of(conn, live)? {
                let name = format!("{}_rebuild", index.name);
                let definition = index.definition.replacen(
                    &format!("INDEX {} ON {}", index.name, index.table),
                    &format!("INDEX {name} ON {}_rebuild", index.table),
                    1,
                );
                diesel::sql_query(definition).execute(conn)?;
                if let Some(kind) = index.constraint.as_deref() {
                    let constraint = if kind == "p" { "PRIMARY KEY" } else { "UNIQUE" };
                    diesel::sql_query(format!(
                        "ALTER TABLE {stand_in} ADD CONSTRAINT {name} {constraint} USING INDEX {name}"
                    ))
                    .execute(conn)?;
                }
                renames.push((name, index.name));
            }
        }
        conn.transaction(|conn| {
            diesel::sql_query(
                "LOCK TABLE search_documents, search_lexemes IN ACCESS EXCLUSIVE MODE",
            )
            .execute(conn)?;
            for (live, stand_in) in TABLES {
                diesel::sql_query(format!("DROP TABLE {live}")).execute(conn)?;
                diesel::sql_query(format!("ALTER TABLE {stand_in} RENAME TO {live}"))
                    .execute(conn)?;
            }
            for (from, to) in &renames {
                diesel::sql_query(format!("ALTER INDEX {from} RENAME TO {to}")).execute(conn)?;
            }
            Ok(())
        })
    }

    #[derive(QueryableByName)]
    struct IndexDefinition {
        #[diesel(sql_type = Text)]
        name: String,
        /// `schema.table` as the definition writes it.
        #[diesel(sql_type = Text)]
        table: String,
        #[diesel(sql_type = Text)]
        definition: String,
        /// `p` or `u` when the index backs a primary key or unique constraint.
        #[diesel(sql_type = Nullable<Text>)]
        constraint: Option<String>,
    }

    fn indexes_of(conn: &mut PgConnection, table: &str) -> QueryResult<Vec<IndexDefinition>> {
        diesel::sql_query(
            "SELECT i.relname AS name, \
                    format('%s.%s', n.nspname, t.relname) AS table, \
                    pg_get_indexdef(x.indexrelid) AS definition, \
                    (SELECT c.contype::text FROM pg_constraint c \
                     WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u')) AS constraint \
             FROM pg_index x \
             JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE x.indrelid = $1::regclass ORDER BY i.relname",
        )
        .bind::<Text, _>(table)
        .load(conn)
    }
}

/// The columns a document is written to, and their types in `jsonb_to_recordset`.
const COLUMNS: &str = "kind, source_id, parent_id, title, body, tags, username, fields, \
                       created_at, updated_at, votes, solved";
const RECORD: &str = "kind text, source_id bigint, parent_id bigint, title text, body text, \
                      tags text[], username text, fields jsonb, created_at timestamptz, \
                      updated_at timestamptz, votes integer, solved boolean";
