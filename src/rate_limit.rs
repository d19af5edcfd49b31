//! Per-key request limits (GCRA), answered with 429 and `Retry-After`.
//!
//! The buckets live where every API process sees them (issue 21): in PostgreSQL by default
//! (`rate_limits.store = "postgres"`, the UNLOGGED table `rate_limit_buckets`, one statement
//! per check), so N processes behind a load balancer allow the limit once, not N times. A
//! single process may keep them in its own memory instead (`store = "memory"`, the `governor`
//! crate), which costs no round trip but is per process.
//!
//! When the shared store cannot answer (a lock held too long, the table unreadable), the
//! check **fails open**: the request goes on, a warning is logged and
//! `devforum_rate_limit_store_errors_total` counts it. The store is the database the request
//! needs anyway, so an outage of it fails the request on its own; a fault of the limiter alone
//! must not lock every member out. The per-account login delay (in `users`) still holds.

use std::fmt::Display;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use prometheus::{IntCounter, Opts};

use crate::config::{RateLimitSettings, RateLimitStore};
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::ids::UserId;

/// Where the buckets of every limit are kept.
#[derive(Clone)]
pub enum Store {
    /// This process's memory: exact for one process only.
    Memory,
    /// The shared table in PostgreSQL.
    Postgres { pool: DbPool, errors: IntCounter },
}

impl Store {
    pub fn new(kind: RateLimitStore, pool: &DbPool) -> prometheus::Result<Self> {
        Ok(match kind {
            RateLimitStore::Memory => Store::Memory,
            RateLimitStore::Postgres => Store::Postgres {
                pool: pool.clone(),
                errors: store_errors_counter()?,
            },
        })
    }

    /// `devforum_rate_limit_store_errors_total`, for the service's registry.
    pub fn register(&self, registry: &prometheus::Registry) -> prometheus::Result<()> {
        match self {
            Store::Memory => Ok(()),
            Store::Postgres { errors, .. } => registry.register(Box::new(errors.clone())),
        }
    }

    /// Drops the shared buckets whose budget is full again (any process may; all do).
    pub async fn forget_idle(&self) {
        if let Store::Postgres { pool, .. } = self {
            let swept = db::write(pool, |conn| {
                Ok(diesel::sql_query(
                    "DELETE FROM rate_limit_buckets WHERE tat < clock_timestamp()",
                )
                .execute(conn)?)
            })
            .await;
            if let Err(error) = swept {
                tracing::debug!(%error, "could not sweep the rate-limit buckets");
            }
        }
    }
}

fn store_errors_counter() -> prometheus::Result<IntCounter> {
    IntCounter::with_opts(
        Opts::new(
            "rate_limit_store_errors_total",
            "Rate-limit checks the shared store could not answer (the request was let through)",
        )
        .namespace("devforum"),
    )
}

/// The budget of one limit: `count` requests per `period`, in bursts of up to `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub count: u32,
    pub period: Duration,
}

impl Budget {
    pub fn new(count: u32, period: Duration) -> Self {
        Budget {
            count: count.max(1),
            period: period.max(Duration::from_micros(1)),
        }
    }

    /// How often one request's worth of budget comes back.
    pub fn emission_interval(self) -> Duration {
        (self.period / self.count).max(Duration::from_micros(1))
    }
}

/// The answer to one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Refused { retry_after_secs: u64 },
}

/// Whole seconds to wait, rounded up, at least one.
pub fn retry_after(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// One shared-store check, GCRA in one statement: a request is allowed while
/// `max(tat, now) + T <= now + period` (T: the emission interval), and then the bucket's `tat`
/// becomes `max(tat, now) + T`; a refusal changes nothing. The bucket is made on first use, and
/// the old `tat`, read in the same statement, says how long a refused client must wait.
const SHARED_CHECK: &str = "\
WITH attempt AS (
    INSERT INTO rate_limit_buckets AS b (key, tat)
    VALUES ($1, clock_timestamp() + $2 * interval '1 microsecond')
    ON CONFLICT (key) DO UPDATE
        SET tat = greatest(b.tat, clock_timestamp()) + $2 * interval '1 microsecond'
        WHERE greatest(b.tat, clock_timestamp()) + $2 * interval '1 microsecond'
            <= clock_timestamp() + $3 * interval '1 microsecond'
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM attempt) AS allowed,
       (SELECT extract(epoch FROM greatest(tat, clock_timestamp())
                                 + $2 * interval '1 microsecond'
                                 - clock_timestamp() - $3 * interval '1 microsecond')::float8
          FROM rate_limit_buckets WHERE key = $1) AS wait_secs";

#[derive(QueryableByName)]
struct SharedVerdict {
    #[diesel(sql_type = Bool)]
    allowed: bool,
    #[diesel(sql_type = Nullable<Double>)]
    wait_secs: Option<f64>,
}

fn shared_check(conn: &mut PgConnection, key: &str, budget: Budget) -> QueryResult<Verdict> {
    let micros = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
    let query = diesel::sql_query(SHARED_CHECK)
        .bind::<Text, _>(key)
        .bind::<BigInt, _>(micros(budget.emission_interval()))
        .bind::<BigInt, _>(micros(budget.period));
    let row: SharedVerdict = crate::sql::prepared(query).get_result(conn)?;
    Ok(if row.allowed {
        Verdict::Allowed
    } else {
        let wait = row.wait_secs.unwrap_or(1.0).max(0.0);
        Verdict::Refused {
            retry_after_secs: retry_after(Duration::from_secs_f64(wait)),
        }
    })
}

/// A limit of `count` requests per `period` for each key, with bursts up to `count`.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    /// Names the limit in the shared store's keys (`login:203.0.113.7`).
    name: &'static str,
    budget: Budget,
    store: Store,
    memory: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
}

impl<K: Hash + Eq + Clone + Display> KeyedLimit<K> {
    pub fn new(name: &'static str, count: u32, period: Duration, store: &Store) -> Self {
        let budget = Budget::new(count, period);
        let burst = NonZeroU32::new(budget.count).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(budget.emission_interval())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        KeyedLimit {
            name,
            budget,
            store: store.clone(),
            memory: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request for `key`; past the limit, a 429 saying when to come back.
    pub async fn check(&self, key: &K) -> Result<(), ApiError> {
        match self.verdict(key).await {
            Verdict::Allowed => Ok(()),
            Verdict::Refused { retry_after_secs } => {
                Err(ApiError::RateLimited { retry_after_secs })
            }
        }
    }

    /// Counts one request for `key`: whether it is within the limit (for limits whose caller
    /// must not say it was reached).
    pub async fn allows(&self, key: &K) -> bool {
        self.verdict(key).await == Verdict::Allowed
    }

    async fn verdict(&self, key: &K) -> Verdict {
        match &self.store {
            Store::Memory => self.memory_verdict(key),
            Store::Postgres { pool, .. } => {
                let shared_key = format!("{}:{key}", self.name);
                let budget = self.budget;
                let checked = db::write(pool, move |conn| {
                    Ok(shared_check(conn, &shared_key, budget)?)
                })
                .await;
                self.or_let_through(checked)
            }
        }
    }

    /// Counts one request for `key` on a connection the caller already holds (outside any
    /// transaction), sparing a write its own hand-off to the blocking pool for the check: the
    /// same answer as [`KeyedLimit::check`].
    pub fn check_on(&self, conn: &mut PgConnection, key: &K) -> Result<(), ApiError> {
        let verdict = match &self.store {
            Store::Memory => self.memory_verdict(key),
            Store::Postgres { .. } => {
                let shared_key = format!("{}:{key}", self.name);
                self.or_let_through(
                    shared_check(conn, &shared_key, self.budget).map_err(ApiError::from),
                )
            }
        };
        match verdict {
            Verdict::Allowed => Ok(()),
            Verdict::Refused { retry_after_secs } => {
                Err(ApiError::RateLimited { retry_after_secs })
            }
        }
    }

    fn memory_verdict(&self, key: &K) -> Verdict {
        match self.memory.check_key(key) {
            Ok(()) => Verdict::Allowed,
            Err(not_until) => Verdict::Refused {
                retry_after_secs: retry_after(not_until.wait_time_from(self.clock.now())),
            },
        }
    }

    /// A shared store that failed lets the request through, counted and logged.
    fn or_let_through(&self, checked: Result<Verdict, ApiError>) -> Verdict {
        match (checked, &self.store) {
            (Ok(verdict), _) => verdict,
            (Err(error), Store::Postgres { errors, .. }) => {
                errors.inc();
                tracing::warn!(%error, limit = self.name, "rate-limit store failed; request let through");
                Verdict::Allowed
            }
            (Err(_), Store::Memory) => Verdict::Allowed,
        }
    }

    /// Forgets in-memory keys whose budget is full again, bounding memory.
    pub fn forget_idle(&self) {
        self.memory.retain_recent();
        self.memory.shrink_to_fit();
    }
}

/// The limits on `/auth/*`, per client IP.
pub struct AuthRateLimits {
    pub login: KeyedLimit<IpAddr>,
    pub register: KeyedLimit<IpAddr>,
    pub password_reset: KeyedLimit<IpAddr>,
    pub refresh: KeyedLimit<IpAddr>,
    pub verification_resend: KeyedLimit<IpAddr>,
    pub verify_email: KeyedLimit<IpAddr>,
    /// Keyed by the address asked for, lower-cased; silent (see `allows`).
    pub verification_resend_per_address: KeyedLimit<String>,
    pub oauth_start: KeyedLimit<IpAddr>,
    pub oauth_callback: KeyedLimit<IpAddr>,
    pub oauth_exchange: KeyedLimit<IpAddr>,
    pub second_factor: KeyedLimit<IpAddr>,
    /// Every request made with an API token, keyed by the token's id: a bot has a bucket of
    /// its own, apart from its member's.
    pub api_tokens: KeyedLimit<i64>,
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

impl AuthRateLimits {
    pub fn new(settings: &RateLimitSettings, store: &Store) -> Self {
        AuthRateLimits {
            login: KeyedLimit::new("login", settings.login_per_minute, MINUTE, store),
            register: KeyedLimit::new("register", settings.register_per_hour, HOUR, store),
            password_reset: KeyedLimit::new(
                "password_reset",
                settings.password_reset_per_hour,
                HOUR,
                store,
            ),
            refresh: KeyedLimit::new("refresh", settings.refresh_per_minute, MINUTE, store),
            verification_resend: KeyedLimit::new(
                "verification_resend",
                settings.verification_resend_per_hour,
                HOUR,
                store,
            ),
            verify_email: KeyedLimit::new(
                "verify_email",
                settings.verify_email_per_hour,
                HOUR,
                store,
            ),
            verification_resend_per_address: KeyedLimit::new(
                "verification_resend_address",
                settings.verification_resend_per_address_per_hour,
                HOUR,
                store,
            ),
            oauth_start: KeyedLimit::new("oauth_start", settings.oauth_per_minute, MINUTE, store),
            oauth_callback: KeyedLimit::new(
                "oauth_callback",
                settings.oauth_per_minute,
                MINUTE,
                store,
            ),
            oauth_exchange: KeyedLimit::new(
                "oauth_exchange",
                settings.oauth_per_minute,
                MINUTE,
                store,
            ),
            second_factor: KeyedLimit::new(
                "second_factor",
                settings.second_factor_per_minute,
                MINUTE,
                store,
            ),
            api_tokens: KeyedLimit::new(
                "api_token",
                settings.api_token_requests_per_minute,
                MINUTE,
                store,
            ),
        }
    }

    pub fn forget_idle(&self) {
        self.login.forget_idle();
        self.register.forget_idle();
        self.password_reset.forget_idle();
        self.refresh.forget_idle();
        self.verification_resend.forget_idle();
        self.verify_email.forget_idle();
        self.verification_resend_per_address.forget_idle();
        self.oauth_start.forget_idle();
        self.oauth_callback.forget_idle();
        self.oauth_exchange.forget_idle();
        self.second_factor.forget_idle();
        self.api_tokens.forget_idle();
    }
}

/// Per-account limits on publishing.
pub struct PostingLimits {
    pub threads: KeyedLimit<UserId>,
    pub replies: KeyedLimit<UserId>,
    pub mentorship_requests: KeyedLimit<UserId>,
    pub meetups: KeyedLimit<UserId>,
    pub previews: KeyedLimit<UserId>,
    /// Archives of one's data asked for (`POST /users/me/export`).
    pub exports: KeyedLimit<UserId>,
}

impl PostingLimits {
    pub fn new(settings: &RateLimitSettings, store: &Store) -> Self {
        PostingLimits {
            threads: KeyedLimit::new("threads", settings.threads_per_hour, HOUR, store),
            replies: KeyedLimit::new("replies", settings.replies_per_hour, HOUR, store),
            mentorship_requests: KeyedLimit::new(
                "mentorship_requests",
                settings.mentorship_requests_per_day,
                DAY,
                store,
            ),
            meetups: KeyedLimit::new("meetups", settings.meetups_per_day, DAY, store),
            previews: KeyedLimit::new("previews", settings.previews_per_minute, MINUTE, store),
            exports: KeyedLimit::new("exports", settings.exports_per_day, DAY, store),
        }
    }

    pub fn forget_idle(&self) {
        self.threads.forget_idle();
        self.replies.forget_idle();
        self.mentorship_requests.forget_idle();
        self.meetups.forget_idle();
        self.previews.forget_idle();
        self.exports.forget_idle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_memory_allows_the_burst_then_refuses_with_a_retry_delay() {
        let limit = KeyedLimit::new("test", 3, MINUTE, &Store::Memory);
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(limit.check(&ip).await.is_ok());
        }
        match limit.check(&ip).await {
            Err(ApiError::RateLimited { retry_after_secs }) => {
                assert!((1..=20).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("expected a rate limit, got {other:?}"),
        }
        // Other clients are unaffected.
        assert!(limit.check(&[10, 0, 0, 2].into()).await.is_ok());
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(retry_after(Duration::from_millis(1)), 1);
        assert_eq!(retry_after(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after(Duration::from_secs(3)), 3);
        assert_eq!(retry_after(Duration::ZERO), 1);
    }
}
