//! The PostgreSQL pool, embedded migrations, and the ways async code reaches the database.
//!
//! **Two ways in for request code**: [`read()`] when the work only reads and may see data a
//! moment old (it may run on the replica, and on the calling thread when [`Cost::Small`]), and
//! [`write()`] for everything else (always the primary; retried only when nothing can have
//! committed). Batch work that holds connections of its own (the job worker, `reindex`) uses
//! [`blocking`]. Handlers extract a [`ReadPool`](crate::reads::ReadPool) for reads and
//! `web::Data<DbPool>` for writes.
//!
//! A database restart, a failover or a network blip must cost no request a 500, so the pool
//! knows three things about its connections:
//!
//! - **A connection the server has closed is never handed out.** When PostgreSQL stops (or
//!   `pg_terminate_backend` ends a session) it tells each client and closes the socket;
//!   reading that socket without blocking, at checkout, finds the goodbye at the cost of a
//!   `recv` that usually answers "nothing yet". No `SELECT 1` on the hot path.
//! - **After a loss, the connections from before it are pinged once.** Every connection
//!   carries the pool's epoch from when it was last known good; a detected loss bumps the
//!   epoch, so each older connection pays one round trip at its next checkout.
//! - **Each unit of work knows what happened on its connection** (a diesel instrumentation
//!   per connection): whether the connection was lost, inside a transaction or not, and
//!   whether a COMMIT had been sent. [`write()`] retries a write once on a fresh connection only
//!   when it is certain nothing committed; [`read()`] retries a read always. Otherwise the
//!   caller gets `503 database_unavailable` with `Retry-After`, never a 500.
//!
//! # When the database goes away
//!
//! A restart, a failover or a network blip must cost members no 500 and no lost post.
//! `db.rs` wraps diesel's r2d2 manager:
//!
//! - **Dead connections are never handed out.** A server that ends a session (shutdown,
//!   restart, `pg_terminate_backend`) writes its FATAL message and closes the socket. At
//!   checkout the pool reads the socket without blocking (`PQconsumeInput` twice, through
//!   diesel's notification reader): a healthy connection answers "nothing yet" at the cost of
//!   two `recv` calls, a closed one shows its end and is dropped. No `SELECT 1` per checkout.
//! - **After a loss, older connections are pinged once.** Every connection carries the pool's
//!   epoch from when it was last known good; any detected loss bumps the epoch, so the next
//!   checkout of each older connection pays one `SELECT 1` (for the failures a socket read
//!   cannot see, such as a silent network partition).
//! - **Each unit of work knows what happened to it.** Every pooled connection carries a diesel
//!   `Instrumentation` that records, per attempt, the transaction depth, whether a top-level
//!   `COMMIT` was sent, how many statements completed in autocommit, and whether (and where) the
//!   connection was lost. A lost connection is never returned to the pool (`has_broken`).
//! - **Retry once, only when safe.** `db::read` retries a lost read once on a fresh connection.
//!   `db::write` retries a write only when nothing of it can have committed: no `COMMIT` sent, no
//!   autocommit statement completed, and the loss struck inside a transaction (which the server
//!   rolls back) or before the statement left the process. Every other loss is
//!   `503 database_unavailable` with `Retry-After`, and when a `COMMIT` was in flight the detail
//!   says the change may or may not have been saved.
//! - **Fail fast while down.** Once a connection attempt has failed, a request waits at most
//!   half a second for a connection (not `connection_timeout_secs`) and answers 503; r2d2 keeps
//!   reconnecting in the background and the first success ends the outage.
//! - **The worker waits it out.** A claim that fails because the database is unreachable pauses
//!   the lane, which checks back with a growing pause (200 ms to 5 s) and resumes by itself. A
//!   job whose handler failed because of the outage (`db::is_outage`: a lost connection, an
//!   unreachable pool) is released with its attempt given back (`jobs::release`); recording any
//!   outcome waits for the database rather than leaving the job to its lease.
//! - **Seen in `/metrics`**: `devforum_db_errors_total{kind}`, `devforum_db_available`,
//!   `devforum_db_retries_total{outcome}`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use anyhow::Context;
use diesel::connection::{Connection, Instrumentation, InstrumentationEvent};
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use prometheus::{IntCounterVec, IntGauge, Opts};
use secrecy::ExposeSecret;

use crate::config::DatabaseSettings;
use crate::error::ApiError;

pub type DbConn = PooledConnection<Manager>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The longest a request waits for a connection while the database is known to be down:
/// answering 503 at once beats holding the client (and a blocking thread) for the full
/// `connection_timeout_secs`.
const WAIT_WHILE_DOWN: Duration = Duration::from_millis(500);

/// The pool of connections to PostgreSQL, with what it has learnt about the server.
#[derive(Clone)]
pub struct DbPool {
    pool: Pool<Manager>,
    health: Arc<Health>,
}

/// Builds the pool without connecting, so the server can start (and report "not ready")
/// while the database is still coming up.
pub fn build_pool(settings: &DatabaseSettings) -> anyhow::Result<DbPool> {
    let health = Arc::new(Health::new().context("creating the database metrics")?);
    let manager = Manager {
        inner: ConnectionManager::new(settings.url.expose_secret()),
        health: health.clone(),
    };
    let pool = Pool::builder()
        .max_size(settings.pool_size)
        .min_idle(Some(settings.pool_size.min(2)))
        .connection_timeout(settings.connection_timeout())
        // `Manager::is_valid` costs no round trip for a connection known good (see above).
        .test_on_check_out(true)
        .error_handler(Box::new(QuietErrors))
        .build_unchecked(manager);
    Ok(DbPool { pool, health })
}

impl DbPool {
    /// A connection, for code that is already on a blocking thread (the CLI's reindex).
    ///
    /// Waits up to `connection_timeout_secs` while the connections are merely busy, but
    /// gives up within [`WAIT_WHILE_DOWN`] once a connection attempt has failed: the wait
    /// is taken in slices so that an outage noticed meanwhile ends it.
    pub fn get(&self) -> Result<DbConn, diesel::r2d2::PoolError> {
        let deadline = Instant::now() + self.pool.connection_timeout();
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self.pool.get_timeout(WAIT_WHILE_DOWN.min(remaining)) {
                Ok(connection) => return Ok(connection),
                Err(error) => {
                    if !self.health.is_available() {
                        // Counted as `unreachable` when the attempt failed.
                        return Err(error);
                    }
                    if Instant::now() >= deadline {
                        self.health.metrics.count(ErrorKind::PoolTimeout);
                        return Err(error);
                    }
                }
            }
        }
    }

    pub fn state(&self) -> diesel::r2d2::State {
        self.pool.state()
    }

    pub fn max_size(&self) -> u32 {
        self.pool.max_size()
    }

    /// Whether the last contact with the database succeeded.
    pub fn is_available(&self) -> bool {
        self.health.is_available()
    }

    /// The pool's own metrics, for the service's registry.
    pub fn metrics(&self) -> &DbMetrics {
        &self.health.metrics
    }

    /// Runs `work` with a connection on this (blocking) thread, retrying once on a fresh
    /// connection when the first was lost and the retry is safe for `access`.
    fn run_blocking<T>(
        &self,
        access: Access,
        work: &dyn Fn(&mut PgConnection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.get()?;
        let (result, log) = attempt(&mut conn, work);
        let Some(loss) = log.loss else {
            return result;
        };
        // The tracker tells r2d2 the connection is broken: it is dropped, never reused.
        drop(conn);
        self.health.connection_lost();
        if !log.retryable(access) {
            tracing::warn!(?loss, ?access, "database connection lost; not retried");
            return result.map_err(|_| lost_error(&log));
        }
        tracing::info!(?loss, ?access, "database connection lost; retrying once");
        let mut conn = self.get()?;
        let (result, retried) = attempt(&mut conn, work);
        let outcome = if retried.loss.is_some() {
            drop(conn);
            self.health.connection_lost();
            "lost_again"
        } else if result.is_ok() {
            "succeeded"
        } else {
            "failed"
        };
        self.health
            .metrics
            .retries
            .with_label_values(&[outcome])
            .inc();
        match retried.loss {
            Some(_) => result.map_err(|_| lost_error(&retried)),
            None => result,
        }
    }
}

/// What a unit of work does to the database, for the retry rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads: repeating it is always safe.
    Read,
    /// May write: repeated only when nothing can have committed.
    Write,
}

/// How much a read costs, which decides the thread it runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// One or a few indexed statements returning a bounded number of rows: a thread page, a
    /// list page, a member's own row. When a connection is idle the read runs **on the calling
    /// async worker**, with no hand-off to the blocking pool and back; that hand-off is two
    /// thread wake-ups, and the profile of `GET /threads/{id}` showed the server spending more
    /// CPU switching threads than in devforum itself (docs/performance-log.md, "Per-request
    /// cost"). The price is that the worker waits for PostgreSQL meanwhile, so nothing whose
    /// cost grows with the data (a scan, an export, a search) may say `Small`.
    Small,
    /// Anything else: always on the blocking thread pool.
    Large,
}

/// Where a read may run: the primary's pool, or a [`ReadPool`](crate::reads::ReadPool) that
/// may be the replica's (with the primary to fall back on).
pub trait ReadSource {
    /// The pool the read runs on first.
    fn first(&self) -> &DbPool;
    /// The pool to read again on when `first` cannot be reached (the primary, when `first` is
    /// a replica).
    fn fallback(&self) -> Option<&DbPool> {
        None
    }
}

impl ReadSource for DbPool {
    fn first(&self) -> &DbPool {
        self
    }
}

macro_rules! read_source_through {
    ($($pointer:ty),*) => {$(
        impl<S: ReadSource + ?Sized> ReadSource for $pointer {
            fn first(&self) -> &DbPool {
                (**self).first()
            }
            fn fallback(&self) -> Option<&DbPool> {
                (**self).fallback()
            }
        }
    )*};
}
read_source_through!(&S, Arc<S>, web::Data<S>);

/// Reads: the one way request code reads the database.
///
/// - Runs on `source`: a [`DbPool`] (the primary) or a
///   [`ReadPool`](crate::reads::ReadPool), which may be the replica's; a read that cannot
///   reach the replica runs again on the primary.
/// - A lost connection is always retried once on a fresh one (a read is safe to repeat).
/// - `cost` picks the thread (see [`Cost`]).
///
/// The connection is taken inside the blocking task (for [`Cost::Large`], or when no
/// connection is idle), so waiting for one never stalls an async worker; the caller's tracing
/// span (with its request id) follows the work.
pub async fn read<S, T, F>(source: &S, cost: Cost, work: F) -> Result<T, ApiError>
where
    S: ReadSource + ?Sized,
    F: Fn(&mut PgConnection) -> Result<T, ApiError> + Send + Sync + 'static,
    T: Send + 'static,
{
    let Some(primary) = source.fallback() else {
        return read_on(source.first(), cost, work).await;
    };
    let work = Arc::new(work);
    let shared = work.clone();
    match read_on(source.first(), cost, move |conn| shared(conn)).await {
        Err(error) if error.is_database_outage() => {
            tracing::info!("read replica unreachable; read again on the primary");
            read_on(primary, cost, move |conn| work(conn)).await
        }
        result => result,
    }
}

/// Writes (and reads that must see the latest writes, or that lock): the one way request
/// code changes the database. Always on the primary's pool, on the blocking thread pool; a
/// lost connection is retried once only when certain that nothing committed (see the module
/// documentation), otherwise the caller gets `503 database_unavailable`.
pub async fn write<T, F>(pool: &DbPool, work: F) -> Result<T, ApiError>
where
    F: Fn(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    run_as(pool, Access::Write, work).await
}

/// Batch work that needs connections of its own (several at once, or one held across many
/// transactions, as `devforum reindex` and the job worker do), on the blocking thread pool,
/// never on an async worker. Not for request handlers: they use [`read()`] or [`write()`], one
/// connection per closure.
pub async fn blocking<T, F>(pool: &DbPool, work: F) -> anyhow::Result<T>
where
    F: FnOnce(&DbPool) -> anyhow::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        work(&pool)
    })
    .await
    .context("the blocking database work stopped")?
}

async fn read_on<T, F>(pool: &DbPool, cost: Cost, work: F) -> Result<T, ApiError>
where
    F: Fn(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    if cost == Cost::Small {
        if let Some(mut conn) = pool.pool.try_get() {
            let (result, log) = attempt(&mut conn, &work);
            if log.loss.is_none() {
                return result;
            }
            drop(conn);
            pool.health.connection_lost();
            tracing::info!("database connection lost; reading again");
        }
    }
    run_as(pool, Access::Read, work).await
}

async fn run_as<T, F>(pool: &DbPool, access: Access, work: F) -> Result<T, ApiError>
where
    F: Fn(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    web::block(move || {
        let _entered = span.enter();
        pool.run_blocking(access, &work)
    })
    .await?
}

/// Whether an error (anywhere in its chain) means the database could not be reached or the
/// connection was lost: an outage, not a fault of the work itself.
pub fn is_outage(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        if let Some(api) = cause.downcast_ref::<ApiError>() {
            return api.is_database_outage();
        }
        if let Some(diesel) = cause.downcast_ref::<DieselError>() {
            return is_connection_loss(diesel);
        }
        cause.downcast_ref::<diesel::r2d2::PoolError>().is_some()
    })
}

pub use crate::error::is_connection_loss;

fn lost_error(log: &AttemptLog) -> ApiError {
    if log.commit_attempted {
        ApiError::database_unavailable_after_commit()
    } else {
        ApiError::database_unavailable()
    }
}

fn attempt<T>(
    conn: &mut PgConnection,
    work: &dyn Fn(&mut PgConnection) -> Result<T, ApiError>,
) -> (Result<T, ApiError>, AttemptLog) {
    if let Some(tracker) = tracker(conn) {
        tracker.log = AttemptLog::default();
    }
    let result = work(conn);
    let log = tracker(conn).map(|t| t.log).unwrap_or_default();
    (result, log)
}

fn tracker(conn: &mut PgConnection) -> Option<&mut Tracker> {
    conn.instrumentation().downcast_mut::<Tracker>()
}

/// What the pool has learnt about the server, shared by every connection's tracker.
struct Health {
    /// Bumped on every detected loss: connections known good before it get pinged once.
    epoch: AtomicU64,
    available: AtomicBool,
    metrics: DbMetrics,
}

impl Health {
    fn new() -> prometheus::Result<Self> {
        Ok(Health {
            epoch: AtomicU64::new(0),
            available: AtomicBool::new(true),
            metrics: DbMetrics::new()?,
        })
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    fn is_available(&self) -> bool {
        self.available.load(Ordering::Acquire)
    }

    fn connection_lost(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    fn set_available(&self, up: bool) {
        if self.available.swap(up, Ordering::AcqRel) != up {
            if up {
                tracing::warn!("database reachable again");
            } else {
                tracing::warn!("database unreachable");
            }
        }
        self.metrics.available.set(i64::from(up));
    }
}

/// `devforum_db_errors_total{kind}`, `devforum_db_available` and
/// `devforum_db_retries_total{outcome}`: an outage, its end, and what it cost.
#[derive(Clone)]
pub struct DbMetrics {
    errors: IntCounterVec,
    available: IntGauge,
    retries: IntCounterVec,
}

impl DbMetrics {
    fn new() -> prometheus::Result<Self> {
        let errors = IntCounterVec::new(
            Opts::new(
                "db_errors_total",
                "Database errors by kind (connection_lost, unreachable, pool_timeout, ...)",
            )
            .namespace("devforum"),
            &["kind"],
        );
        let available = IntGauge::with_opts(
            Opts::new(
                "db_available",
                "1 when the last contact with the database succeeded, 0 after a failure",
            )
            .namespace("devforum"),
        );
        let retries = IntCounterVec::new(
            Opts::new(
                "db_retries_total",
                "Work retried on a fresh connection after a lost one, by outcome",
            )
            .namespace("devforum"),
            &["outcome"],
        );
        let metrics = DbMetrics {
            errors: errors?,
            available: available?,
            retries: retries?,
        };
        metrics.available.set(1);
        Ok(metrics)
    }

    fn count(&self, kind: ErrorKind) {
        self.errors.with_label_values(&[kind.as_str()]).inc();
    }

    /// Registers the pool's metrics with the service's registry.
    pub fn register(&self, registry: &prometheus::Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.errors.clone()))?;
        registry.register(Box::new(self.available.clone()))?;
        registry.register(Box::new(self.retries.clone()))?;
        Ok(())
    }
}

/// The kinds `devforum_db_errors_total` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    /// An open connection died (server stopped, restarted, failed over, network).
    ConnectionLost,
    /// A new connection could not be made.
    Unreachable,
    /// Every connection was busy for the whole wait.
    PoolTimeout,
    /// A write reached a server that takes none (a standby).
    ReadOnly,
    SerializationFailure,
    UniqueViolation,
    ForeignKeyViolation,
    CheckViolation,
    NotNullViolation,
    Other,
}

impl ErrorKind {
    fn of(error: &DieselError) -> Self {
        match error {
            DieselError::DatabaseError(kind, _) => match kind {
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    ErrorKind::ConnectionLost
                }
                DatabaseErrorKind::ReadOnlyTransaction => ErrorKind::ReadOnly,
                DatabaseErrorKind::SerializationFailure => ErrorKind::SerializationFailure,
                DatabaseErrorKind::UniqueViolation => ErrorKind::UniqueViolation,
                DatabaseErrorKind::ForeignKeyViolation => ErrorKind::ForeignKeyViolation,
                DatabaseErrorKind::CheckViolation => ErrorKind::CheckViolation,
                DatabaseErrorKind::NotNullViolation => ErrorKind::NotNullViolation,
                _ => ErrorKind::Other,
            },
            other if is_connection_loss(other) => ErrorKind::ConnectionLost,
            _ => ErrorKind::Other,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            ErrorKind::ConnectionLost => "connection_lost",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::PoolTimeout => "pool_timeout",
            ErrorKind::ReadOnly => "read_only",
            ErrorKind::SerializationFailure => "serialization_failure",
            ErrorKind::UniqueViolation => "unique_violation",
            ErrorKind::ForeignKeyViolation => "foreign_key_violation",
            ErrorKind::CheckViolation => "check_violation",
            ErrorKind::NotNullViolation => "not_null_violation",
            ErrorKind::Other => "other",
        }
    }
}

/// Where a connection was lost, for the retry rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loss {
    /// Inside `BEGIN … COMMIT` (the BEGIN included): the server rolls such work back.
    pub in_transaction: bool,
    /// The statement never left this process, or reached a server that refuses writes.
    pub certainly_not_applied: bool,
}

/// What one attempt of a unit of work did on its connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct AttemptLog {
    /// The transaction depth as the events tell it.
    depth: u32,
    /// Statements that completed outside any transaction (each its own commit).
    autocommit_done: u32,
    /// A top-level COMMIT was sent: from then on, whether the work committed is unknown.
    commit_attempted: bool,
    loss: Option<Loss>,
}

impl AttemptLog {
    /// Reads repeat freely; a write repeats only when nothing of it can have committed:
    /// no COMMIT sent, no statement completed in autocommit, and the loss struck inside a
    /// transaction (which the server then rolled back) or before the statement was sent.
    fn retryable(&self, access: Access) -> bool {
        let Some(loss) = self.loss else {
            return false;
        };
        match access {
            Access::Read => true,
            Access::Write => {
                !self.commit_attempted
                    && self.autocommit_done == 0
                    && (loss.in_transaction || loss.certainly_not_applied)
            }
        }
    }

    fn on_event(&mut self, event: &InstrumentationEvent<'_>, metrics: &DbMetrics) {
        match event {
            InstrumentationEvent::BeginTransaction { depth, .. } => self.began(depth.get()),
            InstrumentationEvent::CommitTransaction { depth, .. } => self.committing(depth.get()),
            InstrumentationEvent::RollbackTransaction { depth, .. } => {
                self.rolling_back(depth.get())
            }
            InstrumentationEvent::FinishQuery { error, .. } => {
                if let Some(kind) = self.finished(*error) {
                    metrics.count(kind);
                }
            }
            _ => {}
        }
    }

    /// A `BEGIN` (or savepoint) is about to be sent.
    fn began(&mut self, depth: u32) {
        self.depth = depth;
    }

    /// A `COMMIT` (or savepoint release) is about to be sent.
    fn committing(&mut self, depth: u32) {
        if depth == 1 {
            self.commit_attempted = true;
        }
        self.depth = depth.saturating_sub(1);
    }

    fn rolling_back(&mut self, depth: u32) {
        self.depth = depth.saturating_sub(1);
    }

    /// A statement finished; returns the kind of error to count, if any.
    fn finished(&mut self, error: Option<&DieselError>) -> Option<ErrorKind> {
        let Some(error) = error else {
            if self.depth == 0 {
                self.autocommit_done += 1;
            }
            return None;
        };
        if !is_connection_loss(error) {
            return Some(ErrorKind::of(error));
        }
        // A rollback after the loss fails the same way: the loss is recorded (and counted)
        // once.
        if self.loss.is_some() {
            return None;
        }
        self.loss = Some(Loss {
            in_transaction: self.depth > 0,
            certainly_not_applied: matches!(
                error,
                DieselError::DatabaseError(
                    DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ReadOnlyTransaction,
                    _
                )
            ),
        });
        Some(ErrorKind::of(error))
    }
}

/// The instrumentation every pooled connection carries.
struct Tracker {
    health: Arc<Health>,
    /// The pool's epoch when this connection was last known good.
    epoch: u64,
    log: AttemptLog,
}

impl Instrumentation for Tracker {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        self.log.on_event(&event, &self.health.metrics);
    }
}

/// diesel's connection manager, taught to tell dead connections without asking the server.
pub struct Manager {
    inner: ConnectionManager<PgConnection>,
    health: Arc<Health>,
}

impl ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PgConnection, Self::Error> {
        match self.inner.connect() {
            Ok(mut conn) => {
                self.health.set_available(true);
                conn.set_instrumentation(Tracker {
                    health: self.health.clone(),
                    epoch: self.health.epoch(),
                    log: AttemptLog::default(),
                });
                Ok(conn)
            }
            Err(error) => {
                self.health.set_available(false);
                self.health.metrics.count(ErrorKind::Unreachable);
                Err(error)
            }
        }
    }

    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), Self::Error> {
        if let Err(error) = closed_by_server(conn) {
            self.health.metrics.count(ErrorKind::ConnectionLost);
            self.health.connection_lost();
            return Err(diesel::r2d2::Error::QueryError(error));
        }
        let current = self.health.epoch();
        let known_good = tracker(conn).is_some_and(|t| t.epoch == current);
        if !known_good {
            conn.ping().map_err(diesel::r2d2::Error::QueryError)?;
            if let Some(tracker) = tracker(conn) {
                tracker.epoch = current;
            }
        }
        Ok(())
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        tracker(conn).is_some_and(|t| t.log.loss.is_some()) || self.inner.has_broken(conn)
    }
}

/// Reads whatever the server sent on an idle connection, without blocking. A server that
/// ended the session (shutdown, restart, `pg_terminate_backend`) has left its FATAL message
/// and then the end of the stream: the first read takes the message, the second meets the
/// end and libpq marks the connection bad. An open connection answers "nothing" twice.
fn closed_by_server(conn: &mut PgConnection) -> Result<(), DieselError> {
    for _ in 0..2 {
        if let Some(Err(error)) = conn.notifications_iter().next() {
            return Err(error);
        }
    }
    Ok(())
}

/// r2d2 reports every failed connection attempt; during an outage that is several a
/// second. The pool's health logs the change of state once instead.
#[derive(Debug)]
struct QuietErrors;

impl diesel::r2d2::HandleError<diesel::r2d2::Error> for QuietErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        tracing::debug!(%error, "database connection attempt failed");
    }
}

/// The row of a `SELECT count(*) AS n …` statement.
#[derive(Debug, diesel::QueryableByName)]
pub struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lost() -> DieselError {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection unexpectedly".to_string()),
        )
    }

    fn unsent() -> DieselError {
        DieselError::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand,
            Box::new("no connection to the server".to_string()),
        )
    }

    /// Replays what diesel reports: `B`egin, `C`ommit, `R`ollback (each before its
    /// statement), then the statement's outcome: `ok`, `lost` or `unsent`.
    fn replay(events: &[&str]) -> AttemptLog {
        let mut log = AttemptLog::default();
        for event in events {
            match *event {
                "B" => log.began(log.depth + 1),
                "C" => log.committing(log.depth),
                "R" => log.rolling_back(log.depth),
                "ok" => {
                    log.finished(None);
                }
                "lost" => {
                    log.finished(Some(&lost()));
                }
                "unsent" => {
                    log.finished(Some(&unsent()));
                }
                other => panic!("unknown event {other}"),
            }
        }
        log
    }

    #[test]
    fn reads_are_retried_after_any_loss() {
        assert!(replay(&["ok", "lost"]).retryable(Access::Read));
        assert!(replay(&["B", "ok", "C", "lost"]).retryable(Access::Read));
        assert!(!replay(&["ok", "ok"]).retryable(Access::Read));
    }

    #[test]
    fn a_write_lost_before_its_commit_is_retried() {
        // A stale connection fails the BEGIN itself.
        assert!(replay(&["B", "lost", "R", "lost"]).retryable(Access::Write));
        // The server went away in the middle: it rolled the transaction back.
        assert!(replay(&["B", "ok", "ok", "lost", "R", "lost"]).retryable(Access::Write));
        // Never sent at all.
        assert!(replay(&["unsent"]).retryable(Access::Write));
    }

    #[test]
    fn a_write_that_may_have_committed_is_not_retried() {
        // The COMMIT itself was lost: it may have been applied.
        let log = replay(&["B", "ok", "C", "lost"]);
        assert!(log.commit_attempted);
        assert!(!log.retryable(Access::Write));
        // An earlier transaction committed; repeating the work would repeat it.
        assert!(!replay(&["B", "ok", "C", "ok", "B", "lost"]).retryable(Access::Write));
        // An autocommit statement completed before the loss.
        assert!(!replay(&["ok", "B", "lost"]).retryable(Access::Write));
        // An autocommit statement was lost after being sent: it may have been applied.
        assert!(!replay(&["lost"]).retryable(Access::Write));
    }

    #[test]
    fn only_the_first_loss_is_recorded() {
        let log = replay(&["B", "ok", "lost", "R", "lost"]);
        assert_eq!(
            log.loss,
            Some(Loss {
                in_transaction: true,
                certainly_not_applied: false
            })
        );
        assert_eq!(log.depth, 0);
    }

    #[test]
    fn connection_errors_are_told_from_statement_errors() {
        assert!(is_connection_loss(&lost()));
        assert!(is_connection_loss(&unsent()));
        assert!(is_connection_loss(&DieselError::DatabaseError(
            DatabaseErrorKind::ReadOnlyTransaction,
            Box::new("cannot execute INSERT in a read-only transaction".to_string()),
        )));
        assert!(!is_connection_loss(&DieselError::NotFound));
        assert!(!is_connection_loss(&DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("duplicate key".to_string()),
        )));
        assert!(is_outage(&anyhow::Error::new(lost()).context("syncing")));
        assert!(is_outage(&anyhow::Error::new(
            ApiError::database_unavailable()
        )));
        assert!(!is_outage(&anyhow::anyhow!("mail server said no")));
    }
}
