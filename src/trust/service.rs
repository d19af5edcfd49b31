//! Keeping levels current and enforcing what `new` accounts may post.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::model;
use super::rules::{self, PostKind};
use crate::accounts::TrustLevel;
use crate::accounts::User;
use crate::config::TrustSettings;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::markdown;

/// Recomputes one member's level from their activity and stores it (unless an admin pinned
/// one); the level they have now, `None` for an unknown or erased account.
pub fn recompute(
    conn: &mut PgConnection,
    user: UserId,
    settings: &TrustSettings,
    now: DateTime<Utc>,
) -> QueryResult<Option<TrustLevel>> {
    Ok(change(conn, user, settings, now)?.map(|(_, level)| level))
}

/// The level before and after recomputing it.
fn change(
    conn: &mut PgConnection,
    user: UserId,
    settings: &TrustSettings,
    now: DateTime<Utc>,
) -> QueryResult<Option<(TrustLevel, TrustLevel)>> {
    let Some((stored, pinned, activity)) = model::activity(conn, user, rules::count_cap(settings))?
    else {
        return Ok(None);
    };
    if pinned {
        return Ok(Some((stored, stored)));
    }
    let level = rules::level_for(&activity, settings, now);
    if level != stored {
        model::store_level(conn, user, level)?;
        tracing::info!(user = user.get(), from = %stored, to = %level, "trust level changed");
    }
    Ok(Some((stored, level)))
}

/// After a post: the author's level may rise (posts written), and after a reply, so may the
/// level of the thread's author (replies received) when the reply's statement found they
/// may (`thread_author`); replies to one's own thread are not replies received. Members
/// already `regular`, or pinned, cost nothing more.
fn after_post(
    conn: &mut PgConnection,
    author: &User,
    thread_author: Option<UserId>,
    settings: &TrustSettings,
) -> QueryResult<()> {
    let now = Utc::now();
    if author.trust_level != TrustLevel::Regular && !author.trust_level_pinned {
        recompute(conn, author.id, settings, now)?;
    }
    if let Some(other) = thread_author.filter(|id| *id != author.id) {
        recompute(conn, other, settings, now)?;
    }
    Ok(())
}

/// `after_post` once the post is committed: a failure is logged, never the request's (the
/// post is saved; the periodic recomputation catches the level up).
pub fn after_post_logged(
    conn: &mut PgConnection,
    author: &User,
    thread_author: Option<UserId>,
    settings: &TrustSettings,
) {
    if let Err(error) = after_post(conn, author, thread_author, settings) {
        tracing::warn!(%error, user = author.id.get(), "could not recompute a trust level");
    }
}

/// What `new` accounts may not post: too many links, images (`embeds`, counted as the post was
/// rendered), more posts of a kind than a day allows (`kind` is `None` for an edit, which
/// posts nothing new).
pub fn check_post(
    conn: &mut PgConnection,
    author: &User,
    kind: Option<PostKind>,
    embeds: markdown::Embeds,
    settings: &TrustSettings,
) -> Result<(), ApiError> {
    let level = author.trust_level;
    if level != TrustLevel::New || author.is_staff() {
        return Ok(());
    }
    rules::ensure_embeds_allowed(level, embeds, settings)?;
    if let Some(kind) = kind {
        let now = Utc::now();
        let (posted, oldest) = model::posted_in_last_day(conn, author.id, kind, now)?;
        rules::ensure_daily_allowed(level, kind, posted, oldest, settings, now)?;
    }
    Ok(())
}

/// Why a post embedding `embeds` would be refused to `author` (its `403`'s code and detail),
/// or `None`: what the composer's preview warns of before the member posts.
pub fn post_refusal(
    author: &User,
    embeds: markdown::Embeds,
    settings: &TrustSettings,
) -> Option<(&'static str, String)> {
    if author.is_staff() {
        return None;
    }
    match rules::ensure_embeds_allowed(author.trust_level, embeds, settings) {
        Err(ApiError::Forbidden { code, detail }) => Some((code, detail)),
        _ => None,
    }
}

/// What `new` accounts may not organise: meetups with more seats than allowed (`capacity`
/// `Some(None)` is unlimited; `None`, not changed) or descriptions with too many links.
pub fn check_meetup(
    organizer: &User,
    description: Option<&str>,
    capacity: Option<Option<i64>>,
    settings: &TrustSettings,
) -> Result<(), ApiError> {
    let level = organizer.trust_level;
    if level != TrustLevel::New || organizer.is_staff() {
        return Ok(());
    }
    if let Some(description) = description {
        rules::ensure_embeds_allowed(level, markdown::embeds(description), settings)?;
    }
    if let Some(capacity) = capacity {
        let seats = capacity.map(|c| i32::try_from(c).unwrap_or(i32::MAX));
        rules::ensure_seats_allowed(level, seats, settings)?;
    }
    Ok(())
}

/// Recomputes every computed level, a batch at a time; how many changed.
pub fn recompute_all(
    conn: &mut PgConnection,
    settings: &TrustSettings,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    const BATCH: i64 = 500;
    let mut after = UserId(0);
    let mut changed = 0;
    loop {
        let ids = model::computed_accounts(conn, after, BATCH)?;
        let Some(last) = ids.last().copied() else {
            return Ok(changed);
        };
        conn.transaction(|conn| {
            for id in &ids {
                if let Some((before, after)) = change(conn, *id, settings, now)? {
                    changed += usize::from(before != after);
                }
            }
            QueryResult::Ok(())
        })?;
        after = last;
    }
}
