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

/// Logins from before sessions had rows keep working after the migration, as sessions with
/// their times; a revoked login stays revoked.
#[tokio::test]
async fn logins_from_before_sessions_become_sessions_and_keep_working() {
    let db = TestDatabase::create_empty();
    {
        let mut conn = db.connect();
        devforum::db::run_migrations(&mut conn).expect("apply all");
        // Back to just before the migration that made sessions, however many came after it.
        loop {
            let reverted = devforum::db::revert_migrations(&mut conn, Some(1)).expect("revert");
            assert_eq!(reverted.len(), 1, "the sessions migration was never met");
            if reverted[0].starts_with("20261203000100") {
                break;
            }
        }
        let live = devforum::accounts::tokens::hash("live-token");
        let dead = devforum::accounts::tokens::hash("dead-token");
        let sql = format!(
            "INSERT INTO users (id, username, email, password_hash, role, email_verified) \
                 VALUES (7, 'olduser', 'old@example.com', 'x', 'member', true); \
             INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, used_at, created_at) VALUES \
                 (7, '11111111-1111-1111-1111-111111111111', 'used-one', now() + interval '30 days', now() - interval '1 day', now() - interval '3 days'), \
                 (7, '11111111-1111-1111-1111-111111111111', '{live}', now() + interval '30 days', NULL, now() - interval '1 day'), \
                 (7, '22222222-2222-2222-2222-222222222222', '{dead}', now() + interval '30 days', NULL, now() - interval '2 days')"
        );
        diesel::connection::SimpleConnection::batch_execute(&mut conn, &sql).expect("old rows");
        diesel::sql_query("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = '22222222-2222-2222-2222-222222222222'")
            .execute(&mut conn)
            .expect("revoke");
        devforum::db::run_migrations(&mut conn).expect("migrate forward");
        #[derive(QueryableByName)]
        struct Session {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            revoked: bool,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            spans_its_tokens: bool,
        }
        let sessions: Vec<Session> = diesel::sql_query(
            "SELECT revoked_at IS NOT NULL AS revoked, \
                    (created_at < last_used_at AND user_agent IS NULL) AS spans_its_tokens \
             FROM sessions WHERE user_id = 7 ORDER BY id",
        )
        .load(&mut conn)
        .expect("sessions");
        assert_eq!(sessions.len(), 2);
        assert!(!sessions[0].revoked && sessions[0].spans_its_tokens);
        assert!(sessions[1].revoked);
    }
    let app = crate::helpers::spawn_app_on(db, |_| {}, Default::default()).await;
    for (token, status) in [("live-token", 200), ("dead-token", 401)] {
        let response = app
            .post_json(
                "/api/v1/auth/refresh",
                &serde_json::json!({ "refresh_token": token }),
            )
            .await;
        assert_eq!(response.status().as_u16(), status, "{token}");
    }
}
