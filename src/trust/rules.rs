//! The rules of graduated trust, as plain functions: which level a member's activity earns,
//! what a `new` account may post, and when reports weigh enough to hide content.

use chrono::{DateTime, Duration, Utc};

use crate::accounts::TrustLevel;
use crate::config::{LevelThresholds, NewAccountLimits, ReportWeights, TrustSettings};
use crate::error::ApiError;
use crate::markdown::Embeds;

/// What a member's level is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub email_verified: bool,
    pub joined_at: DateTime<Utc>,
    /// Threads and replies written and still shown (counted up to the highest threshold).
    pub posts: i64,
    /// Replies by others in the member's threads (counted up to the highest threshold).
    pub replies_received: i64,
    /// The member's replies chosen as solutions, still shown (counted up to the highest
    /// threshold).
    pub solutions: i64,
    /// The last moderation action against the member that still stands.
    pub last_moderated_at: Option<DateTime<Utc>>,
}

fn meets(activity: &Activity, needs: &LevelThresholds, now: DateTime<Utc>) -> bool {
    now - activity.joined_at >= Duration::days(i64::from(needs.days))
        && activity.posts >= i64::from(needs.posts)
        && activity.replies_received >= i64::from(needs.replies_received)
        && activity.solutions >= i64::from(needs.solutions)
}

/// The level a member's activity earns: the highest whose every threshold is met; `member`
/// and `regular` also need no moderation action against them in the last `clean_days`.
pub fn level_for(activity: &Activity, settings: &TrustSettings, now: DateTime<Utc>) -> TrustLevel {
    if !activity.email_verified {
        return TrustLevel::New;
    }
    let clean = activity
        .last_moderated_at
        .is_none_or(|at| now - at >= Duration::days(i64::from(settings.clean_days)));
    let levels = [
        (TrustLevel::Regular, &settings.regular, true),
        (TrustLevel::Member, &settings.member, true),
        (TrustLevel::Basic, &settings.basic, false),
    ];
    levels
        .into_iter()
        .find(|(_, needs, needs_clean)| meets(activity, needs, now) && (clean || !needs_clean))
        .map_or(TrustLevel::New, |(level, ..)| level)
}

/// How high a count must go for the levels to be told apart.
pub fn count_cap(settings: &TrustSettings) -> i64 {
    [&settings.basic, &settings.member, &settings.regular]
        .iter()
        .map(|t| i64::from(t.posts.max(t.replies_received).max(t.solutions)))
        .max()
        .unwrap_or(0)
}

/// What lifts a `new` account's limits, in words.
pub fn unlock_hint(settings: &TrustSettings) -> String {
    let LevelThresholds {
        days,
        posts,
        replies_received,
        solutions,
    } = settings.basic;
    let mut needs = vec![format!(
        "{days} day{} after joining",
        if days == 1 { "" } else { "s" }
    )];
    if posts > 0 {
        needs.push(format!("{posts} post{}", if posts == 1 { "" } else { "s" }));
    }
    if replies_received > 0 {
        needs.push(format!(
            "{replies_received} repl{} from others",
            if replies_received == 1 { "y" } else { "ies" }
        ));
    }
    if solutions > 0 {
        needs.push(format!(
            "{solutions} repl{} marked as a solution",
            if solutions == 1 { "y" } else { "ies" }
        ));
    }
    format!(
        "This limit is lifted when your account reaches the basic trust level ({}).",
        needs.join(", ")
    )
}

/// What a member posts, for the daily limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostKind {
    Thread,
    Reply,
    /// A private conversation started.
    Conversation,
}

impl PostKind {
    fn per_day(self, limits: &NewAccountLimits) -> u32 {
        match self {
            PostKind::Thread => limits.threads_per_day,
            PostKind::Reply => limits.replies_per_day,
            PostKind::Conversation => limits.conversations_per_day,
        }
    }

    fn plural(self) -> &'static str {
        match self {
            PostKind::Thread => "threads",
            PostKind::Reply => "replies",
            PostKind::Conversation => "conversations",
        }
    }
}

/// A `new` account's links and images in one post.
pub fn ensure_embeds_allowed(
    level: TrustLevel,
    embeds: Embeds,
    settings: &TrustSettings,
) -> Result<(), ApiError> {
    if level != TrustLevel::New {
        return Ok(());
    }
    let limits = &settings.new_limits;
    if embeds.images > 0 && !limits.images {
        return Err(ApiError::forbidden(
            "new_account_images",
            format!(
                "New accounts cannot embed images from other sites; link to them instead. {}",
                unlock_hint(settings)
            ),
        ));
    }
    if embeds.links > limits.links_per_post as usize {
        return Err(ApiError::forbidden(
            "new_account_links",
            format!(
                "New accounts may put at most {} link{} in a post (this one has {}). {}",
                limits.links_per_post,
                if limits.links_per_post == 1 { "" } else { "s" },
                embeds.links,
                unlock_hint(settings)
            ),
        ));
    }
    Ok(())
}

/// A `new` account's posts of the last day: `posted` of them, the oldest at `oldest`.
pub fn ensure_daily_allowed(
    level: TrustLevel,
    kind: PostKind,
    posted: i64,
    oldest: Option<DateTime<Utc>>,
    settings: &TrustSettings,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let allowed = kind.per_day(&settings.new_limits);
    if level != TrustLevel::New || posted < i64::from(allowed) {
        return Ok(());
    }
    // A slot frees when the oldest post of the window leaves it.
    let frees_at = oldest.map_or(now, |at| at + Duration::days(1));
    let retry_after_secs = (frees_at - now).num_seconds().max(1) as u64;
    Err(ApiError::LimitReached {
        code: "new_account_daily_limit",
        detail: format!(
            "New accounts may post {allowed} {} a day; you can post again in {}. {}",
            kind.plural(),
            in_words(retry_after_secs),
            unlock_hint(settings)
        ),
        retry_after_secs,
    })
}

fn in_words(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} seconds"),
        120..=7199 => format!("{} minutes", secs / 60),
        _ => format!("{} hours", secs / 3600),
    }
}

/// A meetup organised by a `new` account has at most so many seats (an unlimited one has more;
/// a limit of 0 is none).
pub fn ensure_seats_allowed(
    level: TrustLevel,
    capacity: Option<i32>,
    settings: &TrustSettings,
) -> Result<(), ApiError> {
    let seats = settings.new_limits.meetup_seats;
    let fits = seats == 0 || capacity.is_some_and(|c| i64::from(c) <= i64::from(seats));
    if level != TrustLevel::New || fits {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "new_account_meetup_seats",
        format!(
            "Meetups organised by new accounts have at most {seats} seats; set a capacity of \
             {seats} or fewer. {}",
            unlock_hint(settings)
        ),
    ))
}

/// How much one report by a member of `level` weighs.
pub fn report_weight(level: TrustLevel, weights: &ReportWeights) -> u32 {
    match level {
        TrustLevel::New => weights.new,
        TrustLevel::Basic => weights.basic,
        TrustLevel::Member => weights.member,
        TrustLevel::Regular => weights.regular,
    }
}

/// Whether open reports (their reporters' levels, with how many of each) hide the content:
/// their weight reaches the threshold (0: never), and not all of them come from `new`
/// accounts.
pub fn should_auto_hide(
    open_reports: &[(TrustLevel, i64)],
    weights: &ReportWeights,
    threshold: u32,
) -> bool {
    let weight: i64 = open_reports
        .iter()
        .map(|(level, n)| i64::from(report_weight(*level, weights)) * n)
        .sum();
    let vouched = open_reports
        .iter()
        .any(|(level, n)| *level != TrustLevel::New && *n > 0);
    threshold > 0 && vouched && weight >= i64::from(threshold)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn settings() -> TrustSettings {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config");
        let env = std::collections::HashMap::from([(
            "DEVFORUM_ENV".to_string(),
            "development".to_string(),
        )]);
        Settings::load_from(&dir, &env).expect("settings").trust
    }

    fn activity(days: i64, posts: i64, received: i64, now: DateTime<Utc>) -> Activity {
        Activity {
            email_verified: true,
            joined_at: now - Duration::days(days),
            posts,
            replies_received: received,
            solutions: 1,
            last_moderated_at: None,
        }
    }

    #[test]
    fn levels_follow_every_threshold() {
        let s = settings();
        let now = Utc::now();
        assert_eq!(level_for(&activity(0, 0, 0, now), &s, now), TrustLevel::New);
        assert_eq!(
            level_for(&activity(1, 2, 0, now), &s, now),
            TrustLevel::Basic
        );
        // Days alone are not enough.
        assert_eq!(
            level_for(&activity(400, 1, 0, now), &s, now),
            TrustLevel::New
        );
        assert_eq!(
            level_for(&activity(7, 10, 3, now), &s, now),
            TrustLevel::Member
        );
        assert_eq!(
            level_for(&activity(7, 10, 2, now), &s, now),
            TrustLevel::Basic
        );
        assert_eq!(
            level_for(&activity(30, 50, 20, now), &s, now),
            TrustLevel::Regular
        );
        // By default a regular has had an answer marked as the solution.
        let mut unsolved = activity(30, 50, 20, now);
        unsolved.solutions = 0;
        assert_eq!(level_for(&unsolved, &s, now), TrustLevel::Member);
        let mut unverified = activity(30, 50, 20, now);
        unverified.email_verified = false;
        assert_eq!(level_for(&unverified, &s, now), TrustLevel::New);
    }

    #[test]
    fn a_recent_moderation_action_holds_a_member_at_basic() {
        let s = settings();
        let now = Utc::now();
        let mut a = activity(60, 80, 40, now);
        a.last_moderated_at = Some(now - Duration::days(2));
        assert_eq!(level_for(&a, &s, now), TrustLevel::Basic);
        a.last_moderated_at = Some(now - Duration::days(i64::from(s.clean_days)));
        assert_eq!(level_for(&a, &s, now), TrustLevel::Regular);
    }

    #[test]
    fn new_accounts_have_limits_that_say_what_lifts_them() {
        let s = settings();
        let two = Embeds {
            links: 2,
            images: 0,
        };
        let three = Embeds {
            links: 3,
            images: 0,
        };
        let image = Embeds {
            links: 0,
            images: 1,
        };
        assert!(ensure_embeds_allowed(TrustLevel::New, two, &s).is_ok());
        let error = ensure_embeds_allowed(TrustLevel::New, three, &s).unwrap_err();
        assert!(matches!(
            error,
            ApiError::Forbidden {
                code: "new_account_links",
                ..
            }
        ));
        assert!(error
            .to_string()
            .contains("basic trust level (1 day after joining, 2 posts)"));
        assert!(ensure_embeds_allowed(TrustLevel::New, image, &s).is_err());
        assert!(ensure_embeds_allowed(TrustLevel::Basic, three, &s).is_ok());
        assert!(ensure_embeds_allowed(TrustLevel::Basic, image, &s).is_ok());

        assert!(ensure_seats_allowed(TrustLevel::New, Some(20), &s).is_ok());
        assert!(ensure_seats_allowed(TrustLevel::New, Some(21), &s).is_err());
        assert!(ensure_seats_allowed(TrustLevel::New, None, &s).is_err());
        assert!(ensure_seats_allowed(TrustLevel::Basic, None, &s).is_ok());
    }

    #[test]
    fn the_daily_limit_frees_when_the_oldest_post_is_a_day_old() {
        let s = settings();
        let now = Utc::now();
        let oldest = Some(now - Duration::hours(20));
        assert!(
            ensure_daily_allowed(TrustLevel::New, PostKind::Thread, 2, oldest, &s, now).is_ok()
        );
        let error = ensure_daily_allowed(TrustLevel::New, PostKind::Thread, 3, oldest, &s, now)
            .unwrap_err();
        let ApiError::LimitReached {
            code,
            retry_after_secs,
            ..
        } = error
        else {
            panic!("expected a limit, got {error:?}");
        };
        assert_eq!(code, "new_account_daily_limit");
        assert_eq!(retry_after_secs, 4 * 3600);
        assert!(
            ensure_daily_allowed(TrustLevel::Basic, PostKind::Thread, 99, oldest, &s, now).is_ok()
        );
    }

    #[test]
    fn reports_weigh_by_level_and_new_accounts_alone_never_hide() {
        let w = ReportWeights {
            new: 1,
            basic: 1,
            member: 1,
            regular: 2,
        };
        assert!(!should_auto_hide(&[(TrustLevel::New, 10)], &w, 3));
        assert!(should_auto_hide(
            &[(TrustLevel::New, 2), (TrustLevel::Basic, 1)],
            &w,
            3
        ));
        assert!(should_auto_hide(
            &[(TrustLevel::Regular, 1), (TrustLevel::Member, 1)],
            &w,
            3
        ));
        assert!(!should_auto_hide(&[(TrustLevel::Regular, 1)], &w, 3));
        assert!(!should_auto_hide(&[(TrustLevel::Regular, 5)], &w, 0));
    }
}
