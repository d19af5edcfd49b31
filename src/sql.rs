//! Query building blocks diesel does not offer.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{PgConnection, QueryResult, RunQueryDsl};

diesel::define_sql_function! {
    /// PostgreSQL's `lower(text)`; the unique indexes on users' names and addresses are built
    /// on it.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// `query LIMIT n` with `n` written into the SQL instead of bound, as diesel's `.limit()` does.
///
/// PostgreSQL costs a generic plan of `LIMIT $1` as if a tenth of the rows were wanted, so a
/// cached statement ending in a bound limit over a large table never gets its generic plan
/// and is planned anew on every execution. On the thread list's statement that planning was
/// most of PostgreSQL's work: `pgbench -M prepared` ran it ~9,000 times a second with a bound
/// limit and ~25,800 with a literal one (docs/performance-log.md). Each limit is its own
/// statement in diesel's cache (keyed by SQL); pages take one of at most 100 limits.
#[derive(Debug, Clone)]
pub struct LiteralLimit<Q> {
    query: Q,
    limit: u32,
}

/// `query` with at most `limit` rows, the limit written into the SQL.
pub fn literal_limit<Q>(query: Q, limit: i64) -> LiteralLimit<Q> {
    LiteralLimit {
        query,
        // Page sizes are validated (1–100, plus one row to tell whether more exist); a
        // negative number cannot reach here, and would mean no rows rather than all.
        limit: u32::try_from(limit).unwrap_or(0),
    }
}

impl<Q> QueryId for LiteralLimit<Q> {
    type QueryId = ();
    // The SQL differs by limit: never cached by type, only by its text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for LiteralLimit<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for LiteralLimit<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        out.push_sql(&self.limit.to_string());
        Ok(())
    }
}

impl<Q> RunQueryDsl<PgConnection> for LiteralLimit<Q> {}

/// `query` kept as a prepared statement on its connection, keyed by its SQL text.
///
/// Diesel prepares every statement but keeps only those it can prove have a bounded number of
/// texts: never an `UPDATE` (its `SET` list may vary), a `sql_query` or a SQL literal. Those
/// are parsed and planned anew on every execution. On a hot path whose SQL is fixed at its
/// call site (the reply's counter update, the rate-limit check) that work is wasted; this
/// wrapper states what diesel cannot see. Only for statements whose text does not depend on
/// data: each distinct text is one statement kept on every pooled connection.
#[derive(Debug, Clone)]
pub struct Prepared<Q>(Q);

/// `query`, kept prepared by its SQL text (see [`Prepared`]).
pub fn prepared<Q>(query: Q) -> Prepared<Q> {
    Prepared(query)
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    // Cached by its text, never by type: the inner query's type may stand for several texts.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> RunQueryDsl<PgConnection> for Prepared<Q> {}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;
    use crate::schema::threads;

    #[test]
    fn the_limit_is_written_into_the_sql() {
        let query = literal_limit(threads::table.select(threads::id).into_boxed(), 21);
        let sql = diesel::debug_query::<Pg, _>(&query).to_string();
        assert!(sql.contains(r#"FROM "threads" LIMIT 21 --"#), "{sql}");
        let negative = literal_limit(threads::table.select(threads::id), -5);
        let sql = diesel::debug_query::<Pg, _>(&negative).to_string();
        assert!(sql.contains(" LIMIT 0 "), "{sql}");
    }

    #[test]
    fn a_prepared_update_is_kept_where_diesel_would_not_keep_it() {
        let update = || diesel::update(threads::table.find(1)).set(threads::score.eq(2));
        assert!(!update().is_safe_to_cache_prepared(&Pg).expect("walk"));
        assert!(prepared(update())
            .is_safe_to_cache_prepared(&Pg)
            .expect("walk"));
        let sql = diesel::debug_query::<Pg, _>(&prepared(update())).to_string();
        assert!(
            sql.starts_with(r#"UPDATE "threads" SET "score" = $1"#),
            "{sql}"
        );
    }
}
