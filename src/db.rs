//! The PostgreSQL pool, embedded migrations, and the one way async code reaches the database.

use std::time::Duration;

use actix_web::web;
use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use secrecy::ExposeSecret;

use crate::config::DatabaseSettings;
use crate::error::ApiError;

pub type DbPool = Pool<ConnectionManager<PgConnection>>;
pub type DbConn = PooledConnection<ConnectionManager<PgConnection>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Builds the pool without connecting, so the server can start (and report "not ready")
/// while the database is still coming up.
pub fn build_pool(settings: &DatabaseSettings) -> DbPool {
    let manager = ConnectionManager::<PgConnection>::new(settings.url.expose_secret());
    Pool::builder()
        .max_size(settings.pool_size)
        .min_idle(Some(settings.pool_size.min(2)))
        .connection_timeout(settings.connection_timeout())
        .test_on_check_out(false)
        .build_unchecked(manager)
}

/// The row of a `SELECT count(*) AS n …` statement.
#[derive(Debug, diesel::QueryableByName)]
pub struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
}

/// Runs `work` with a pooled connection on the blocking thread pool.
///
/// The connection is taken *inside* the blocking task so waiting for one never stalls an
/// async worker; the caller's tracing span (with its request id) follows the work.
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    web::block(move || {
        let _entered = span.enter();
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await?
}

/// Applies every pending migration; returns the versions applied.
pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("running migrations")?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Reverts the `count` most recent migrations (all of them when `None`).
pub fn revert_migrations(
    conn: &mut PgConnection,
    count: Option<usize>,
) -> anyhow::Result<Vec<String>> {
    let reverted = match count {
        None => conn
            .revert_all_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("reverting migrations")?,
        Some(n) => {
            let mut versions = Vec::with_capacity(n);
            for _ in 0..n {
                if conn
                    .applied_migrations()
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .is_empty()
                {
                    break;
                }
                versions.push(
                    conn.revert_last_migration(MIGRATIONS)
                        .map_err(|e| anyhow::anyhow!("{e}"))
                        .context("reverting migration")?,
                );
            }
            versions
        }
    };
    Ok(reverted.iter().map(|v| v.to_string()).collect())
}

/// Opens one connection outside the pool (migrations, the job listener, the CLI).
pub fn connect(settings: &DatabaseSettings) -> anyhow::Result<PgConnection> {
    use diesel::Connection;
    PgConnection::establish(settings.url.expose_secret()).context("connecting to the database")
}

/// Runs migrations with a few retries, for a server started alongside its database.
pub fn connect_and_migrate(settings: &DatabaseSettings) -> anyhow::Result<Vec<String>> {
    let mut last_error = None;
    for attempt in 0..5u32 {
        match connect(settings) {
            Ok(mut conn) => return run_migrations(&mut conn),
            Err(error) => {
                tracing::warn!(attempt, error = %error, "database not reachable yet");
                last_error = Some(error);
                std::thread::sleep(Duration::from_millis(500 * 2u64.pow(attempt)));
            }
        }
    }
    Err(last_error.unwrap_or_else(|| anyhow::anyhow!("database not reachable")))
}
