//! Per-key request limits (GCRA, from the `governor` crate), answered with 429 and
//! `Retry-After`.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimitSettings;
use crate::error::ApiError;
use crate::ids::UserId;

/// A limit of `count` requests per `period` for each key, with bursts up to `count`.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    pub fn new(count: u32, period: Duration) -> Self {
        let count = NonZeroU32::new(count.max(1)).unwrap_or(NonZeroU32::MIN);
        let replenish = period / count.get();
        let quota = Quota::with_period(replenish.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(count);
        KeyedLimit {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request for `key`; past the limit, a 429 saying when to come back.
    pub fn check(&self, key: &K) -> Result<(), ApiError> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::RateLimited {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// Counts one request for `key`: whether it is within the limit (for limits whose caller
    /// must not say it was reached).
    pub fn allows(&self, key: &K) -> bool {
        self.limiter.check_key(key).is_ok()
    }

    /// Forgets keys whose budget is full again, bounding memory.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The limits on `/auth/*`, per client IP.
pub struct AuthRateLimits {
    pub login: KeyedLimit<IpAddr>,
    pub register: KeyedLimit<IpAddr>,
    pub password_reset: KeyedLimit<IpAddr>,
    pub refresh: KeyedLimit<IpAddr>,
    pub verification_resend: KeyedLimit<IpAddr>,
    /// Keyed by the address asked for, lower-cased; silent (see `allows`).
    pub verification_resend_per_address: KeyedLimit<String>,
}

impl AuthRateLimits {
    pub fn new(settings: &RateLimitSettings) -> Self {
        AuthRateLimits {
            login: KeyedLimit::new(settings.login_per_minute, Duration::from_secs(60)),
            register: KeyedLimit::new(settings.register_per_hour, Duration::from_secs(3600)),
            password_reset: KeyedLimit::new(
                settings.password_reset_per_hour,
                Duration::from_secs(3600),
            ),
            refresh: KeyedLimit::new(settings.refresh_per_minute, Duration::from_secs(60)),
            verification_resend: KeyedLimit::new(
                settings.verification_resend_per_hour,
                Duration::from_secs(3600),
            ),
            verification_resend_per_address: KeyedLimit::new(
                settings.verification_resend_per_address_per_hour,
                Duration::from_secs(3600),
            ),
        }
    }

    pub fn forget_idle(&self) {
        self.login.forget_idle();
        self.register.forget_idle();
        self.password_reset.forget_idle();
        self.refresh.forget_idle();
        self.verification_resend.forget_idle();
        self.verification_resend_per_address.forget_idle();
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
    pub fn new(settings: &RateLimitSettings) -> Self {
        PostingLimits {
            threads: KeyedLimit::new(settings.threads_per_hour, Duration::from_secs(3600)),
            replies: KeyedLimit::new(settings.replies_per_hour, Duration::from_secs(3600)),
            mentorship_requests: KeyedLimit::new(
                settings.mentorship_requests_per_day,
                Duration::from_secs(24 * 3600),
            ),
            meetups: KeyedLimit::new(settings.meetups_per_day, Duration::from_secs(24 * 3600)),
            previews: KeyedLimit::new(settings.previews_per_minute, Duration::from_secs(60)),
            exports: KeyedLimit::new(settings.exports_per_day, Duration::from_secs(24 * 3600)),
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

    #[test]
    fn allows_the_burst_then_refuses_with_a_retry_delay() {
        let limit = KeyedLimit::new(3, Duration::from_secs(60));
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(limit.check(&ip).is_ok());
        }
        match limit.check(&ip) {
            Err(ApiError::RateLimited { retry_after_secs }) => {
                assert!((1..=20).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("expected a rate limit, got {other:?}"),
        }
        // Other clients are unaffected.
        assert!(limit.check(&[10, 0, 0, 2].into()).is_ok());
    }
}
