//! Account rules as plain functions.

use chrono::{DateTime, Duration, Utc};

/// How long an account must still wait before its next login attempt, after `failures`
/// consecutive failures, the last at `last_failure`: nothing up to `threshold` failures,
/// then 2, 4, 8, … seconds after the last failure, capped at `max`.
pub fn login_delay(
    failures: i32,
    last_failure: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    threshold: i32,
    max: Duration,
) -> Option<Duration> {
    let last_failure = last_failure?;
    if failures < threshold {
        return None;
    }
    let exponent = (failures - threshold + 1).clamp(0, 30) as u32;
    let delay = Duration::seconds(2i64.saturating_pow(exponent)).min(max);
    let ready_at = last_failure + delay;
    (ready_at > now).then(|| ready_at - now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_threshold_and_are_capped() {
        let now = Utc::now();
        let max = Duration::minutes(15);
        assert_eq!(login_delay(4, Some(now), now, 5, max), None);
        assert_eq!(
            login_delay(5, Some(now), now, 5, max),
            Some(Duration::seconds(2))
        );
        assert_eq!(
            login_delay(6, Some(now), now, 5, max),
            Some(Duration::seconds(4))
        );
        assert_eq!(
            login_delay(8, Some(now), now, 5, max),
            Some(Duration::seconds(16))
        );
        assert_eq!(login_delay(40, Some(now), now, 5, max), Some(max));
        assert_eq!(login_delay(5, None, now, 5, max), None);
    }

    #[test]
    fn the_wait_counts_from_the_last_failure() {
        let now = Utc::now();
        let max = Duration::minutes(15);
        let earlier = now - Duration::seconds(3);
        assert_eq!(
            login_delay(6, Some(earlier), now, 5, max),
            Some(Duration::seconds(1))
        );
        assert_eq!(login_delay(5, Some(earlier), now, 5, max), None);
    }
}

/// Whether an account still has a way to sign in once one of its identities or passkeys goes:
/// a password, or any identity or passkey besides it (`identities` and `passkeys` count the
/// one going). Unlinking an identity and removing a passkey both ask it.
pub fn keeps_a_way_to_sign_in(has_password: bool, identities: i64, passkeys: i64) -> bool {
    has_password || identities + passkeys > 1
}

#[cfg(test)]
mod sign_in_method_tests {
    use super::keeps_a_way_to_sign_in;

    #[test]
    fn the_last_way_to_sign_in_stays() {
        assert!(!keeps_a_way_to_sign_in(false, 1, 0));
        assert!(!keeps_a_way_to_sign_in(false, 0, 1));
        assert!(keeps_a_way_to_sign_in(true, 1, 0));
        assert!(keeps_a_way_to_sign_in(false, 2, 0));
        assert!(keeps_a_way_to_sign_in(false, 1, 1));
        assert!(keeps_a_way_to_sign_in(false, 0, 2));
    }
}
