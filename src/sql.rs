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
}
