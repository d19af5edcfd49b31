//! Where reads go: the primary, or a streaming read replica (`database.replica_url`).
//!
//! Reads that tolerate a little staleness (lists, thread pages, profiles, calendars, search's
//! visibility check) take a [`ReadPool`] instead of the primary's pool; everything else,
//! writes above all, stays on the primary. [`route`] is the rule:
//!
//! - no replica configured, or it is down, or more than `database.replica_max_lag_secs`
//!   behind: the primary;
//! - a member who wrote recently: the replica only once it has replayed that write
//!   (read-your-writes). After each successful write request of a signed-in member,
//!   [`remember_writes`] stores the primary's WAL position in `recent_writes` (UNLOGGED, on
//!   the primary, so every process sees it); a member's read looks it up and compares it with
//!   the replica's replay position, which a monitor polls every [`POLL`]. The polled position
//!   can only be behind the real one, so a doubt always sends the read to the primary.
//! - everyone else: the replica.
//!
//! A read that finds the replica unreachable is run again on the primary at once, so stopping
//! the replica costs no request; the monitor then keeps reads off it until it answers again.
//! `/ready` and `/metrics` (`devforum_replica_up`, `devforum_replica_lag_bytes`,
//! `devforum_replica_lag_seconds`) show its state.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Nullable};
use prometheus::{Gauge, IntGauge, Opts};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::config::DatabaseSettings;
use crate::db::{self, Cost, DbPool};
use crate::ids::UserId;

/// How often the monitor asks the replica how far it has replayed.
pub const POLL: Duration = Duration::from_millis(250);

/// The signed-in member a request acts for, as the authentication left it in the request's
/// extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer(pub UserId);

/// What the monitor last learnt about the replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaView {
    pub up: bool,
    /// WAL position replayed (`pg_last_wal_replay_lsn() - '0/0'`).
    pub replay_lsn: i64,
    /// How far behind the primary it was, in seconds (0 when it had replayed everything).
    pub lag_secs: f64,
}

/// Where one read goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Primary,
    Replica,
}

/// The routing rule (see the module documentation). `own_write` is the WAL position just
/// after the reader's last write, if they wrote recently.
pub fn route(replica: Option<ReplicaView>, own_write: Option<i64>, max_lag: Duration) -> Target {
    let Some(replica) = replica else {
        return Target::Primary;
    };
    if !replica.up || replica.lag_secs > max_lag.as_secs_f64() {
        return Target::Primary;
    }
    match own_write {
        Some(lsn) if replica.replay_lsn < lsn => Target::Primary,
        _ => Target::Replica,
    }
}

/// The replica's pool and what the monitor knows of it.
struct Replica {
    pool: DbPool,
    up: AtomicBool,
    replay_lsn: AtomicI64,
    lag_secs_bits: AtomicU64,
    metrics: ReplicaMetrics,
}

impl Replica {
    fn view(&self) -> ReplicaView {
        ReplicaView {
            up: self.up.load(Ordering::Acquire),
            replay_lsn: self.replay_lsn.load(Ordering::Acquire),
            lag_secs: f64::from_bits(self.lag_secs_bits.load(Ordering::Acquire)),
        }
    }

    fn record(&self, probe: Option<Probe>) {
        match probe {
            Some(probe) => {
                self.replay_lsn.store(probe.replay_lsn, Ordering::Release);
                self.lag_secs_bits
                    .store(probe.lag_secs.to_bits(), Ordering::Release);
                self.metrics.lag_bytes.set(probe.lag_bytes);
                self.metrics.lag_secs.set(probe.lag_secs);
                self.set_up(true);
            }
            None => self.set_up(false),
        }
    }

    fn set_up(&self, up: bool) {
        if self.up.swap(up, Ordering::AcqRel) != up {
            tracing::warn!(up, "read replica state changed");
        }
        self.metrics.up.set(i64::from(up));
    }
}

#[derive(Clone)]
struct ReplicaMetrics {
    up: IntGauge,
    lag_bytes: IntGauge,
    lag_secs: Gauge,
}

impl ReplicaMetrics {
    fn new() -> prometheus::Result<Self> {
        let opts = |name: &str, help: &str| Opts::new(name, help).namespace("devforum");
        Ok(ReplicaMetrics {
            up: IntGauge::with_opts(opts(
                "replica_up",
                "1 while the read replica answers and replays, 0 when reads all go to the primary",
            ))?,
            lag_bytes: IntGauge::with_opts(opts(
                "replica_lag_bytes",
                "WAL the read replica has yet to replay",
            ))?,
            lag_secs: Gauge::with_opts(opts(
                "replica_lag_seconds",
                "How far the read replica's last replayed transaction is behind (0 when caught up)",
            ))?,
        })
    }
}

/// The replica state for `/ready`.
#[derive(Debug, Clone, Copy)]
pub struct ReplicaStatus {
    pub up: bool,
    pub lag_secs: f64,
    pub lag_bytes: i64,
}

/// The primary, and the replica when there is one: app data for every worker thread.
#[derive(Clone)]
pub struct Reads {
    primary: DbPool,
    replica: Option<Arc<Replica>>,
    max_lag: Duration,
}

impl Reads {
    /// Builds the replica's pool (without connecting) and starts its monitor, which stops with
    /// `shutdown`.
    pub fn start(
        primary: DbPool,
        settings: &DatabaseSettings,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        let max_lag = Duration::from_secs(settings.replica_max_lag_secs);
        let Some(url) = settings.replica_url.clone() else {
            return Ok(Reads {
                primary,
                replica: None,
                max_lag,
            });
        };
        let replica_settings = DatabaseSettings {
            url,
            // A replica that does not answer must not hold a read up: the primary answers it.
            connection_timeout_secs: 1,
            migrate_on_start: false,
            replica_url: None,
            ..settings.clone()
        };
        tracing::info!(replica = %describe(&replica_settings.url), "reads may go to a replica");
        let replica = Arc::new(Replica {
            pool: db::build_pool(&replica_settings)?,
            up: AtomicBool::new(false),
            replay_lsn: AtomicI64::new(0),
            lag_secs_bits: AtomicU64::new(0),
            metrics: ReplicaMetrics::new()?,
        });
        replica.metrics.up.set(0);
        spawn_monitor(primary.clone(), replica.clone(), shutdown);
        Ok(Reads {
            primary,
            replica: Some(replica),
            max_lag,
        })
    }

    pub fn has_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// The replica's gauges, for the service's registry.
    pub fn register(&self, registry: &prometheus::Registry) -> prometheus::Result<()> {
        if let Some(replica) = &self.replica {
            registry.register(Box::new(replica.metrics.up.clone()))?;
            registry.register(Box::new(replica.metrics.lag_bytes.clone()))?;
            registry.register(Box::new(replica.metrics.lag_secs.clone()))?;
        }
        Ok(())
    }

    pub fn status(&self) -> Option<ReplicaStatus> {
        self.replica.as_ref().map(|replica| {
            let view = replica.view();
            ReplicaStatus {
                up: view.up,
                lag_secs: view.lag_secs,
                lag_bytes: replica.metrics.lag_bytes.get(),
            }
        })
    }

    /// The pool for a read by `viewer` (anyone, when `None`).
    pub async fn for_viewer(&self, viewer: Option<UserId>) -> ReadPool {
        let primary = ReadPool {
            pool: self.primary.clone(),
            fallback: None,
        };
        let Some(replica) = &self.replica else {
            return primary;
        };
        let view = replica.view();
        // No replica to choose: the member's last write need not be looked up.
        if route(Some(view), None, self.max_lag) == Target::Primary {
            return primary;
        }
        let own_write = match viewer {
            Some(user) => {
                match db::read(&self.primary, Cost::Large, move |conn| {
                    Ok(last_write(conn, user)?)
                })
                .await
                {
                    Ok(lsn) => lsn,
                    // Unknown: the primary is the safe answer.
                    Err(_) => return primary,
                }
            }
            None => None,
        };
        match route(Some(view), own_write, self.max_lag) {
            Target::Primary => primary,
            Target::Replica => ReadPool {
                pool: replica.pool.clone(),
                fallback: Some(self.primary.clone()),
            },
        }
    }

    /// Notes on the primary that `user` has just written, before their response leaves.
    async fn remember_write(&self, user: UserId) {
        let remembered = db::write(&self.primary, move |conn| {
            Ok(diesel::sql_query(
                "INSERT INTO recent_writes (user_id, lsn, written_at) \
                 VALUES ($1, pg_current_wal_lsn() - '0/0', now()) \
                 ON CONFLICT (user_id) DO UPDATE \
                 SET lsn = excluded.lsn, written_at = excluded.written_at",
            )
            .bind::<BigInt, _>(user.get())
            .execute(conn)?)
        })
        .await;
        if let Err(error) = remembered {
            tracing::warn!(%error, "could not note a member's write for read-your-writes");
        }
    }
}

#[derive(QueryableByName)]
struct LastWrite {
    #[diesel(sql_type = BigInt)]
    lsn: i64,
}

fn last_write(conn: &mut PgConnection, user: UserId) -> QueryResult<Option<i64>> {
    diesel::sql_query("SELECT lsn FROM recent_writes WHERE user_id = $1")
        .bind::<BigInt, _>(user.get())
        .get_result::<LastWrite>(conn)
        .optional()
        .map(|row| row.map(|row| row.lsn))
}

/// About once a minute, marks of writes long replayed everywhere are dropped.
const SWEEP_EVERY_POLLS: u64 = 240;

fn forget_old_writes(primary: &DbPool) {
    let swept = primary
        .get()
        .map_err(anyhow::Error::from)
        .and_then(|mut conn| {
            diesel::sql_query(
                "DELETE FROM recent_writes WHERE written_at < now() - interval '10 minutes'",
            )
            .execute(&mut conn)
            .map_err(anyhow::Error::from)
        });
    if let Err(error) = swept {
        tracing::debug!(%error, "could not sweep old write marks");
    }
}

/// One poll's findings.
#[derive(Debug, Clone, Copy)]
struct Probe {
    replay_lsn: i64,
    lag_bytes: i64,
    lag_secs: f64,
}

#[derive(QueryableByName)]
struct StandbyState {
    #[diesel(sql_type = Bool)]
    standby: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    replay_lsn: Option<i64>,
    #[diesel(sql_type = Double)]
    behind_secs: f64,
}

#[derive(QueryableByName)]
struct PrimaryPosition {
    #[diesel(sql_type = BigInt)]
    current_lsn: i64,
}

fn probe(primary: &DbPool, replica: &DbPool) -> Option<Probe> {
    let mut conn = replica.get().ok()?;
    let state: StandbyState = diesel::sql_query(
        "SELECT pg_is_in_recovery() AS standby, \
                (pg_last_wal_replay_lsn() - '0/0')::bigint AS replay_lsn, \
                COALESCE(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)::float8 \
                    AS behind_secs",
    )
    .get_result(&mut conn)
    .ok()?;
    drop(conn);
    // A server that is not (or no longer) a standby is not a replica to read from.
    let replay_lsn = state.replay_lsn.filter(|_| state.standby)?;
    let current = primary.get().ok().and_then(|mut conn| {
        diesel::sql_query("SELECT (pg_current_wal_lsn() - '0/0')::bigint AS current_lsn")
            .get_result::<PrimaryPosition>(&mut conn)
            .ok()
    });
    // Without the primary there is nothing to be behind of.
    let lag_bytes = current.map_or(0, |p| (p.current_lsn - replay_lsn).max(0));
    Some(Probe {
        replay_lsn,
        lag_bytes,
        // An idle primary writes nothing: the age of the last replayed transaction is only a
        // lag while there is WAL left to replay.
        lag_secs: if lag_bytes > 0 {
            state.behind_secs.max(0.0)
        } else {
            0.0
        },
    })
}

fn spawn_monitor(primary: DbPool, replica: Arc<Replica>, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(POLL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for tick in 0u64.. {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = interval.tick() => {}
            }
            let (primary, pool) = (primary.clone(), replica.pool.clone());
            let sweep = tick % SWEEP_EVERY_POLLS == SWEEP_EVERY_POLLS - 1;
            let found = tokio::task::spawn_blocking(move || {
                if sweep {
                    forget_old_writes(&primary);
                }
                probe(&primary, &pool)
            })
            .await
            .ok()
            .flatten();
            replica.record(found);
        }
    });
}

/// The pool a stale-tolerant read runs on: the replica's (with the primary to fall back on)
/// or the primary's. An extractor: put it after the handler's user extractor.
pub struct ReadPool {
    pool: DbPool,
    fallback: Option<DbPool>,
}

impl ReadPool {
    /// Whether this read goes to the replica.
    pub fn is_replica(&self) -> bool {
        self.fallback.is_some()
    }
}

impl db::ReadSource for ReadPool {
    fn first(&self) -> &DbPool {
        &self.pool
    }

    fn fallback(&self) -> Option<&DbPool> {
        self.fallback.as_ref()
    }
}

/// Middleware: after a signed-in member's successful write request, and before its response
/// leaves, note the primary's WAL position for their reads (only with a replica configured).
pub async fn remember_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let reads = req
        .app_data::<web::Data<Reads>>()
        .filter(|reads| reads.has_replica())
        .cloned();
    let writes = !req.method().is_safe();
    let response = next.call(req).await?;
    if let (Some(reads), true) = (reads, writes) {
        let viewer = response.request().extensions().get::<Viewer>().copied();
        if let (Some(Viewer(user)), true) = (viewer, response.status().is_success()) {
            reads.remember_write(user).await;
        }
    }
    Ok(response)
}

/// The replica URL without its password, for logs.
pub fn describe(url: &SecretString) -> String {
    use secrecy::ExposeSecret;
    match url::Url::parse(url.expose_secret()) {
        Ok(mut parsed) => {
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX_LAG: Duration = Duration::from_secs(5);

    fn replica(up: bool, replay_lsn: i64, lag_secs: f64) -> Option<ReplicaView> {
        Some(ReplicaView {
            up,
            replay_lsn,
            lag_secs,
        })
    }

    #[test]
    fn without_a_healthy_replica_everything_reads_the_primary() {
        assert_eq!(route(None, None, MAX_LAG), Target::Primary);
        assert_eq!(
            route(replica(false, 100, 0.0), None, MAX_LAG),
            Target::Primary
        );
        assert_eq!(
            route(replica(true, 100, 6.0), None, MAX_LAG),
            Target::Primary
        );
        assert_eq!(
            route(replica(true, 100, 4.0), None, MAX_LAG),
            Target::Replica
        );
    }

    #[test]
    fn a_member_reads_the_replica_only_once_it_has_their_last_write() {
        assert_eq!(
            route(replica(true, 100, 0.5), Some(101), MAX_LAG),
            Target::Primary
        );
        assert_eq!(
            route(replica(true, 101, 0.5), Some(101), MAX_LAG),
            Target::Replica
        );
        assert_eq!(
            route(replica(true, 100, 0.5), None, MAX_LAG),
            Target::Replica
        );
    }
}
