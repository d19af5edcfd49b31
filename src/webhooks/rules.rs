//! What becomes of a delivery attempt, as plain functions of values and times (never the
//! clock: every caller passes `now`).

use chrono::{DateTime, Duration, Utc};

/// How retries are spaced and when they stop (`[webhooks]`).
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The waits before the second, third… attempt; the last repeats.
    pub delays: Vec<Duration>,
    /// A delivery is given up this long after its event.
    pub give_up_after: Duration,
    /// A hook failing this long without a success is turned off.
    pub disable_after: Duration,
}

impl Schedule {
    pub fn from_settings(settings: &crate::config::WebhookSettings) -> Schedule {
        let secs = |s: u64| Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
        Schedule {
            delays: settings
                .retry_delays_secs
                .iter()
                .map(|&s| secs(s))
                .collect(),
            give_up_after: secs(settings.give_up_after_secs),
            disable_after: secs(settings.disable_after_failing_secs),
        }
    }
}

/// What an answer (or its absence) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `2xx`.
    Delivered,
    /// `410 Gone`: the receiver is gone for good; the hook is turned off.
    Gone,
    /// Anything else (another status, a timeout, a refused address): try again later.
    Failed,
}

pub fn verdict(status: Option<u16>) -> Verdict {
    match status {
        Some(200..=299) => Verdict::Delivered,
        Some(410) => Verdict::Gone,
        _ => Verdict::Failed,
    }
}

/// When to try again after `attempts` failed attempts of a delivery made at `created_at`:
/// the schedule's wait (growing), never past the give-up time; `None` once that has passed.
pub fn next_attempt(
    schedule: &Schedule,
    attempts: i32,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let give_up_at = created_at + schedule.give_up_after;
    if now >= give_up_at {
        return None;
    }
    let index = usize::try_from(attempts.max(1) - 1).unwrap_or(0);
    let wait = schedule
        .delays
        .get(index)
        .or(schedule.delays.last())
        .copied()
        .unwrap_or(Duration::minutes(5));
    Some((now + wait).min(give_up_at))
}

/// Whether a hook that has been failing since `failing_since` (its first failure after its
/// last success) has failed long enough to be turned off.
pub fn failing_too_long(
    schedule: &Schedule,
    failing_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    failing_since.is_some_and(|since| now - since >= schedule.disable_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule {
            delays: [5, 300, 1800, 7200, 18000, 36000]
                .iter()
                .map(|&s| Duration::seconds(s))
                .collect(),
            give_up_after: Duration::days(1),
            disable_after: Duration::days(1),
        }
    }

    #[test]
    fn only_2xx_delivers_and_410_is_gone() {
        assert_eq!(verdict(Some(200)), Verdict::Delivered);
        assert_eq!(verdict(Some(204)), Verdict::Delivered);
        assert_eq!(verdict(Some(410)), Verdict::Gone);
        for failed in [Some(301), Some(404), Some(429), Some(500), Some(503), None] {
            assert_eq!(verdict(failed), Verdict::Failed, "{failed:?}");
        }
    }

    #[test]
    fn retries_wait_longer_each_time_and_stop_after_a_day() {
        let created = Utc::now();
        let s = schedule();
        let mut now = created;
        let mut waits = Vec::new();
        for attempts in 1.. {
            match next_attempt(&s, attempts, created, now) {
                Some(at) => {
                    waits.push((at - now).num_seconds());
                    now = at;
                }
                None => break,
            }
        }
        assert_eq!(&waits[..5], &[5, 300, 1800, 7200, 18000]);
        assert!(waits.windows(2).take(5).all(|w| w[0] < w[1]), "{waits:?}");
        // The last attempt is at the day's end, not after it.
        assert_eq!(now, created + Duration::days(1));
        assert_eq!(
            next_attempt(&s, 1, created, created + Duration::days(1)),
            None
        );
    }

    #[test]
    fn a_hook_is_turned_off_after_a_day_of_failures_without_a_success() {
        let s = schedule();
        let now = Utc::now();
        assert!(!failing_too_long(&s, None, now));
        assert!(!failing_too_long(&s, Some(now - Duration::hours(23)), now));
        assert!(failing_too_long(&s, Some(now - Duration::hours(24)), now));
    }
}
