//! `devforum rerender`: renders every stored post, meetup description and mentor bio again
//! with today's renderer (after a change to it, such as code highlighting), writing only the
//! rows whose HTML changes and never their `updated_at`. It walks each table by id in batches,
//! each batch its own short transaction, and records where it got to: an interrupted run
//! resumes there; a run for a newer renderer (`markdown::RENDER_VERSION`) starts over.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text};

use crate::markdown;
use crate::progress::Progress;

/// Rows rendered per transaction.
pub const BATCH: i64 = 500;

/// One kind of stored Markdown and the HTML rendered from it.
struct Rendered {
    kind: &'static str,
    table: &'static str,
    id: &'static str,
    source: &'static str,
    html: &'static str,
    /// Posts show preview cards (from the cache) for links alone on their line.
    cards: bool,
}

const KINDS: [Rendered; 4] = [
    Rendered {
        kind: "threads",
        table: "threads",
        id: "id",
        source: "body",
        html: "body_html",
        cards: true,
    },
    Rendered {
        kind: "replies",
        table: "replies",
        id: "id",
        source: "body",
        html: "body_html",
        cards: true,
    },
    Rendered {
        kind: "meetups",
        table: "meetups",
        id: "id",
        source: "description",
        html: "description_html",
        cards: false,
    },
    Rendered {
        kind: "mentor bios",
        table: "mentor_profiles",
        id: "user_id",
        source: "bio",
        html: "bio_html",
        cards: false,
    },
];

/// What a run did, per kind: rows looked at and rows whose HTML changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub kinds: Vec<(String, i64, i64)>,
    /// Kinds a previous run already finished for this renderer.
    pub already_done: Vec<String>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = Text)]
    html: String,
}

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = Integer)]
    render_version: i32,
    #[diesel(sql_type = BigInt)]
    last_id: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    finished: bool,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Renders everything again (from where an interrupted run stopped, unless `restart`).
pub fn rerender(
    conn: &mut PgConnection,
    restart: bool,
    progress: &mut impl Progress,
) -> QueryResult<Report> {
    let mut report = Report::default();
    for kind in &KINDS {
        let position = if restart {
            None
        } else {
            diesel::sql_query(
                "SELECT render_version, last_id, finished_at IS NOT NULL AS finished \
                 FROM rerender_progress WHERE kind = $1",
            )
            .bind::<Text, _>(kind.kind)
            .get_result::<Position>(conn)
            .optional()?
            .filter(|p| p.render_version == markdown::RENDER_VERSION)
        };
        if position.as_ref().is_some_and(|p| p.finished) {
            report.already_done.push(kind.kind.to_string());
            continue;
        }
        let mut after = position.map_or(0, |p| p.last_id);
        let total: Count = diesel::sql_query(format!(
            "SELECT count(*) AS count FROM {} WHERE {} > $1",
            kind.table, kind.id
        ))
        .bind::<BigInt, _>(after)
        .get_result(conn)?;
        let total = usize::try_from(total.count).unwrap_or(0);
        let (mut seen, mut changed) = (0i64, 0i64);
        progress.update(kind.kind, 0, total);
        loop {
            let (last, looked, rewritten) = batch(conn, kind, after)?;
            seen += looked;
            changed += rewritten;
            progress.update(kind.kind, usize::try_from(seen).unwrap_or(0), total);
            match last {
                Some(last) => after = last,
                None => break,
            }
        }
        diesel::sql_query(
            "INSERT INTO rerender_progress (kind, render_version, last_id, finished_at) \
             VALUES ($1, $2, $3, now()) \
             ON CONFLICT (kind) DO UPDATE SET render_version = $2, last_id = $3, \
                 finished_at = now(), updated_at = now()",
        )
        .bind::<Text, _>(kind.kind)
        .bind::<Integer, _>(markdown::RENDER_VERSION)
        .bind::<BigInt, _>(after)
        .execute(conn)?;
        report.kinds.push((kind.kind.to_string(), seen, changed));
    }
    Ok(report)
}

/// A stored text rendered as it is shown now: posts with the cards cached for their links.
fn render(conn: &mut PgConnection, kind: &Rendered, source: &str) -> QueryResult<String> {
    let rendered = markdown::render_counting(source);
    if !kind.cards || rendered.lone_links.is_empty() {
        return Ok(rendered.html);
    }
    let cards = crate::oneboxes::cached(conn, &rendered.lone_links)?;
    if cards.is_empty() {
        return Ok(rendered.html);
    }
    Ok(markdown::render_with_cards(source, &cards).html)
}

/// One batch after `after`, in one transaction with the record of where it ended: the last id
/// (`None` when there was nothing left), rows looked at, rows rewritten.
fn batch(
    conn: &mut PgConnection,
    kind: &Rendered,
    after: i64,
) -> QueryResult<(Option<i64>, i64, i64)> {
    conn.transaction(|conn| {
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT {id} AS id, {source} AS source, {html} AS html FROM {table} \
             WHERE {id} > $1 ORDER BY {id} LIMIT {BATCH}",
            id = kind.id,
            source = kind.source,
            html = kind.html,
            table = kind.table,
        ))
        .bind::<BigInt, _>(after)
        .load(conn)?;
        let Some(last) = rows.last().map(|r| r.id) else {
            return Ok((None, 0, 0));
        };
        let looked = rows.len() as i64;
        let mut ids = Vec::new();
        let mut htmls = Vec::new();
        for row in rows {
            let html = render(conn, kind, &row.source)?;
            if html != row.html {
                ids.push(row.id);
                htmls.push(html);
            }
        }
        let rewritten = if ids.is_empty() {
            0
        } else {
            diesel::sql_query(format!(
                "UPDATE {table} t SET {html} = x.html \
                 FROM unnest($1::bigint[], $2::text[]) AS x(id, html) WHERE t.{id} = x.id",
                table = kind.table,
                html = kind.html,
                id = kind.id,
            ))
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<Text>, _>(&htmls)
            .execute(conn)? as i64
        };
        diesel::sql_query(
            "INSERT INTO rerender_progress (kind, render_version, last_id, rewritten) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (kind) DO UPDATE SET render_version = $2, last_id = $3, \
                 rewritten = CASE WHEN rerender_progress.render_version = $2 \
                                  AND rerender_progress.finished_at IS NULL \
                                  THEN rerender_progress.rewritten ELSE 0 END + $4, \
                 finished_at = NULL, updated_at = now()",
        )
        .bind::<Text, _>(kind.kind)
        .bind::<Integer, _>(markdown::RENDER_VERSION)
        .bind::<BigInt, _>(last)
        .bind::<BigInt, _>(rewritten)
        .execute(conn)?;
        Ok((Some(last), looked, rewritten))
    })
}
