//! Every migration reverts and re-applies cleanly.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::helpers::TestDatabase;

#[derive(QueryableByName, PartialEq, Debug)]
struct SchemaLine {
    #[diesel(sql_type = Text)]
    line: String,
}

/// A textual fingerprint of the public schema: tables, columns, indexes, constraints,
/// functions and triggers.
fn schema(conn: &mut PgConnection) -> Vec<String> {
    diesel::sql_query(
        "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
           FROM information_schema.columns WHERE table_schema = 'public'
         UNION ALL
         SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
         UNION ALL
         SELECT 'constraint ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid)
           FROM pg_constraint WHERE connamespace = 'public'::regnamespace
         UNION ALL
         SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
         UNION ALL
         SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal
         ORDER BY 1",
    )
    .load::<SchemaLine>(conn)
    .expect("schema")
    .into_iter()
    .map(|l| l.line)
    .collect()
}

#[test]
fn every_migration_reverts_and_reapplies_cleanly() {
    let db = TestDatabase::create_empty();
    let mut conn = db.connect();
    let empty = schema(&mut conn);
    let applied = devforum::db::run_migrations(&mut conn).expect("apply all");
    assert!(!applied.is_empty());
    let full = schema(&mut conn);

    // Revert one at a time, so a broken down.sql is pinned to its migration.
    for _ in 0..applied.len() {
        devforum::db::revert_migrations(&mut conn, Some(1)).expect("revert one");
    }
    let after_revert: Vec<String> = schema(&mut conn)
        .into_iter()
        .filter(|l| !l.contains("__diesel_schema_migrations"))
        .collect();
    let empty: Vec<String> = empty
        .into_iter()
        .filter(|l| !l.contains("__diesel_schema_migrations"))
        .collect();
    assert_eq!(after_revert, empty, "down migrations left objects behind");

    devforum::db::run_migrations(&mut conn).expect("re-apply all");
    assert_eq!(schema(&mut conn), full, "re-applied schema differs");
}
