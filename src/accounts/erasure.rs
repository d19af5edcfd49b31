//! Erasing an account (API.md "Members own their accounts", GDPR art. 17): in one transaction
//! the account's personal data goes, what it wrote stays under "deleted member", and
//! everything that involved other people is settled as if the member had acted (RSVPs
//! withdrawn so waitlists move, mentorships withdrawn, declined or completed with the other
//! side told, open reports dismissed).
//!
//! The account's row stays as a tombstone, because threads, replies, votes, meetups and
//! requests point at it: its username becomes a stable anonymous reference
//! (`deleted-` and 12 hex digits), which also replaces the account's id in the moderation log.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use rand::RngCore;

use super::model::User;
use super::tokens;
use super::Role;
use crate::error::ApiError;
use crate::ids::{MeetupId, MentorshipRequestId, UserId};
use crate::mentorship::lifecycle::Action;
use crate::moderation::domain::{LogAction, LogTargetType};
use crate::schema::users;

/// What a deleted account is shown as wherever its content appears.
pub const DELETED_MEMBER: &str = "deleted member";

/// Who erases the account.
pub enum Eraser<'a> {
    /// The member, who confirmed with their password.
    Themselves,
    /// An admin, whose reason goes to the moderation log.
    Admin { admin: &'a User, reason: &'a str },
}

/// What the erasure needs from the settings.
pub struct ErasureSettings {
    pub base_url: String,
    pub username_reserved_days: u32,
}

/// A fresh anonymous reference: `deleted-` and 48 random bits in hex.
fn new_reference() -> String {
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("deleted-{hex}")
}

/// The key a reserved username is kept under: no reservation names anyone.
pub fn username_key(username: &str) -> String {
    tokens::hash(&username.to_lowercase())
}

/// Whether `username` belongs to an account deleted less than the reservation ago.
pub fn is_reserved(conn: &mut PgConnection, username: &str) -> QueryResult<bool> {
    diesel::select(
        diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM reserved_usernames WHERE username_hash = ",
        )
        .bind::<Text, _>(username_key(username))
        .sql(" AND reserved_until > now())"),
    )
    .get_result(conn)
}

fn last_admin() -> ApiError {
    ApiError::conflict(
        "last_admin",
        "This is the only admin account; make someone else an admin before deleting it.",
    )
}

/// Erases the account `member_id`; 404 when there is none (or it is erased already).
pub fn erase(
    conn: &mut PgConnection,
    member_id: UserId,
    by: Eraser<'_>,
    settings: &ErasureSettings,
) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        // Admins' rows are locked before the member's, in the order every role change takes
        // them, so two erasures (or an erasure and a demotion) cannot both leave no admin.
        let peek = live_account(conn, member_id, false)?;
        if peek.role == Role::Admin && User::lock_admins(conn)? <= 1 {
            return Err(last_admin());
        }
        let member = live_account(conn, member_id, true)?;
        if member.role == Role::Admin && peek.role != Role::Admin {
            return Err(ApiError::conflict(
                "account_changed",
                "The account changed while it was being deleted; try again.",
            ));
        }
        let reference = new_reference();
        // The tombstone first: every message the steps below cause names "deleted member".
        make_tombstone(conn, member.id, &reference)?;
        reserve_username(conn, &member.username, settings.username_reserved_days)?;
        end_mentorships(conn, &member, &settings.base_url)?;
        withdraw_rsvps(conn, &member, &settings.base_url)?;
        dismiss_reports(conn, member.id)?;
        erase_mentor_profile(conn, member.id)?;
        delete_personal_rows(conn, member.id)?;
        forget_mail(conn, &member)?;
        anonymise_log(conn, &member, &reference)?;
        if let Eraser::Admin { admin, reason } = by {
            log_deletion(conn, admin, &reference, &scrubbed(reason, &member))?;
        }
        resync_content(conn, member.id)?;
        Ok(())
    })
}

fn live_account(conn: &mut PgConnection, id: UserId, lock: bool) -> Result<User, ApiError> {
    let query = users::table
        .find(id)
        .filter(users::deleted_at.is_null())
        .select(User::as_select());
    let found = if lock {
        query.for_update().first(conn).optional()?
    } else {
        query.first(conn).optional()?
    };
    found.ok_or(ApiError::NotFound)
}

/// Every personal field of the row goes; the row stays for what points at it. The password
/// can never match (`!` is no hash), and the generation moves so every access token ends.
fn make_tombstone(conn: &mut PgConnection, id: UserId, reference: &str) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE users SET username = $2, email = $2 || '@deleted.invalid', password_hash = '!', \
             role = 'member', email_verified = false, display_name = $3, bio = '', \
             location = NULL, timezone = NULL, skills = '{}', suspended_at = NULL, \
             suspended_until = NULL, suspension_reason = NULL, \
             session_generation = session_generation + 1, failed_login_count = 0, \
             last_failed_login_at = NULL, email_notifications = 'never', digest = 'never', \
             last_seen_at = NULL, last_digest_at = NULL, email_undeliverable_at = NULL, \
             deleted_at = now(), updated_at = now() \
         WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(reference)
    .bind::<Text, _>(DELETED_MEMBER)
    .execute(conn)
    .map(drop)
}

fn reserve_username(conn: &mut PgConnection, username: &str, days: u32) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO reserved_usernames (username_hash, reserved_until) VALUES ($1, $2) \
         ON CONFLICT (username_hash) DO UPDATE \
             SET reserved_until = GREATEST(reserved_usernames.reserved_until, EXCLUDED.reserved_until)",
    )
    .bind::<Text, _>(username_key(username))
    .bind::<Timestamptz, _>(Utc::now() + Duration::days(i64::from(days)))
    .execute(conn)
    .map(drop)
}

#[derive(QueryableByName)]
struct OpenRequest {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    mentor_id: i64,
    #[diesel(sql_type = Text)]
    status: String,
}

/// What the member's side does with an open request, as the lifecycle allows it: a mentee
/// withdraws a pending request, a mentor declines one, and an accepted one is completed.
pub fn closing_action(status: &str, is_mentor: bool) -> Option<Action> {
    match (status, is_mentor) {
        ("pending", false) => Some(Action::Withdraw),
        ("pending", true) => Some(Action::Decline),
        ("accepted", _) => Some(Action::Complete),
        _ => None,
    }
}

fn end_mentorships(conn: &mut PgConnection, member: &User, base_url: &str) -> Result<(), ApiError> {
    let open: Vec<OpenRequest> = diesel::sql_query(
        "SELECT id, mentor_id, status FROM mentorship_requests \
         WHERE (mentee_id = $1 OR mentor_id = $1) AND status IN ('pending', 'accepted') \
         ORDER BY id",
    )
    .bind::<BigInt, _>(member.id)
    .load(conn)?;
    for request in open {
        let is_mentor = request.mentor_id == member.id.get();
        let Some(action) = closing_action(&request.status, is_mentor) else {
            continue;
        };
        let reason = (action == Action::Decline).then_some("The mentor's account was deleted.");
        crate::mentorship::service::transition(
            conn,
            MentorshipRequestId(request.id),
            member,
            action,
            reason,
            base_url,
        )?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Rsvp {
    #[diesel(sql_type = BigInt)]
    meetup_id: i64,
}

/// Withdraws the member's RSVPs to meetups still ahead, so their waitlists move on; RSVPs to
/// meetups that have begun are history and stay (under "deleted member").
fn withdraw_rsvps(conn: &mut PgConnection, member: &User, base_url: &str) -> Result<(), ApiError> {
    let upcoming: Vec<Rsvp> = diesel::sql_query(
        "SELECT r.meetup_id FROM meetup_rsvps r JOIN meetups m ON m.id = r.meetup_id \
         WHERE r.user_id = $1 AND m.starts_at > now() ORDER BY r.meetup_id",
    )
    .bind::<BigInt, _>(member.id)
    .load(conn)?;
    for rsvp in upcoming {
        let id = MeetupId(rsvp.meetup_id);
        match crate::meetups::service::withdraw_rsvp(conn, id, member, base_url) {
            Ok(()) => {}
            // A meetup hidden from members: its RSVP goes without moving the waitlist, which
            // staff settle when they restore it.
            Err(ApiError::NotFound) => {
                diesel::sql_query("DELETE FROM meetup_rsvps WHERE meetup_id = $1 AND user_id = $2")
                    .bind::<BigInt, _>(id)
                    .bind::<BigInt, _>(member.id)
                    .execute(conn)?;
            }
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

fn dismiss_reports(conn: &mut PgConnection, id: UserId) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE reports SET status = 'dismissed', handled_at = now(), \
             note = 'The reporter deleted their account.' \
         WHERE reporter_id = $1 AND status = 'open'",
    )
    .bind::<BigInt, _>(id)
    .execute(conn)
    .map(drop)
}

/// The profile goes, and with it the mentor's search document.
fn erase_mentor_profile(conn: &mut PgConnection, id: UserId) -> QueryResult<()> {
    let deleted = diesel::sql_query("DELETE FROM mentor_profiles WHERE user_id = $1")
        .bind::<BigInt, _>(id)
        .execute(conn)?;
    if deleted > 0 {
        crate::search::enqueue(conn, crate::search::document::DocRef::mentor(id))?;
    }
    Ok(())
}

/// Rows that are the member's alone: sessions, link tokens, their blocks, follows, inbox,
/// mail settings' traces, archives of their data, their calendar feed.
fn delete_personal_rows(conn: &mut PgConnection, id: UserId) -> QueryResult<()> {
    for statement in [
        "DELETE FROM sessions WHERE user_id = $1",
        "DELETE FROM refresh_tokens WHERE user_id = $1",
        "DELETE FROM user_tokens WHERE user_id = $1",
        "DELETE FROM user_blocks WHERE blocker_id = $1",
        "DELETE FROM tag_subscriptions WHERE user_id = $1",
        "DELETE FROM thread_subscriptions WHERE user_id = $1",
        "DELETE FROM notifications WHERE user_id = $1",
        "DELETE FROM notification_deliveries WHERE user_id = $1",
        "DELETE FROM notification_counters WHERE user_id = $1",
        "DELETE FROM unsubscribe_tokens_used WHERE user_id = $1",
        "DELETE FROM account_exports WHERE user_id = $1",
        "DELETE FROM calendar_feeds WHERE user_id = $1",
        "DELETE FROM mail_bounces WHERE user_id = $1",
        // An appeal's text is the member's own words; the log keeps its decision.
        "DELETE FROM appeals WHERE appellant_id = $1",
        "DELETE FROM report_claims WHERE moderator_id = $1",
        // Messages prepared for others about the member's acts are written again, when they
        // go, from the tombstone ("deleted member").
        "UPDATE notifications SET mail = NULL WHERE actor_id = $1 AND mail IS NOT NULL",
    ] {
        diesel::sql_query(statement)
            .bind::<BigInt, _>(id)
            .execute(conn)?;
    }
    Ok(())
}

/// Mail not yet sent to the member, and failed mail that names them, is dropped (mail already
/// delivered is out of reach).
fn forget_mail(conn: &mut PgConnection, member: &User) -> QueryResult<()> {
    diesel::sql_query(
        "DELETE FROM jobs WHERE kind = $1 AND status <> 'running' \
           AND (lower(payload->>'to') = lower($2) \
                OR (status = 'failed' AND (strpos(lower(payload::text), lower($2)) > 0 \
                                           OR strpos(lower(payload::text), lower($3)) > 0)))",
    )
    .bind::<Text, _>(crate::email::SEND_EMAIL_JOB)
    .bind::<Text, _>(&member.email)
    .bind::<Text, _>(&member.username)
    .execute(conn)
    .map(drop)
}

/// `text` with every mention of the member's username, display name or email replaced.
pub fn scrubbed(text: &str, member: &User) -> String {
    let mut names: Vec<&str> = vec![&member.email, &member.username];
    if let Some(display_name) = member.display_name.as_deref() {
        names.push(display_name);
    }
    // Longest first, so an email is replaced whole before the username inside it.
    names.sort_by_key(|name| std::cmp::Reverse(name.len()));
    let mut result = text.to_string();
    for name in names.into_iter().filter(|name| !name.trim().is_empty()) {
        result = replace_ignoring_case(&result, name, "[deleted member]");
    }
    result
}

fn replace_ignoring_case(text: &str, needle: &str, with: &str) -> String {
    let lower_text = text.to_lowercase();
    let lower_needle = needle.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; then match exactly instead.
    if lower_text.len() != text.len() || lower_needle.len() != needle.len() {
        return text.replace(needle, with);
    }
    let mut result = String::with_capacity(text.len());
    let mut rest = 0;
    while let Some(found) = lower_text[rest..].find(&lower_needle) {
        let start = rest + found;
        result.push_str(&text[rest..start]);
        result.push_str(with);
        rest = start + needle.len();
    }
    result.push_str(&text[rest..]);
    result
}

#[derive(QueryableByName)]
struct LogReason {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    reason: String,
}

/// The log keeps every action; the member's id gives way to the reference, and their names
/// leave the reasons. The log's trigger allows exactly this, inside this transaction.
fn anonymise_log(conn: &mut PgConnection, member: &User, reference: &str) -> QueryResult<()> {
    diesel::sql_query("SET LOCAL devforum.erasing = 'on'").execute(conn)?;
    diesel::sql_query(
        "UPDATE moderation_log SET actor_id = NULL, actor_ref = $2 WHERE actor_id = $1",
    )
    .bind::<BigInt, _>(member.id)
    .bind::<Text, _>(reference)
    .execute(conn)?;
    diesel::sql_query(
        "UPDATE moderation_log SET target_id = 0, target_ref = $2 \
         WHERE target_type = 'user' AND target_id = $1",
    )
    .bind::<BigInt, _>(member.id)
    .bind::<Text, _>(reference)
    .execute(conn)?;
    let mut patterns = vec![
        format!("%{}%", like_escaped(&member.username)),
        format!("%{}%", like_escaped(&member.email)),
    ];
    if let Some(display_name) = &member.display_name {
        patterns.push(format!("%{}%", like_escaped(display_name)));
    }
    let mentioning: Vec<LogReason> =
        diesel::sql_query("SELECT id, reason FROM moderation_log WHERE reason ILIKE ANY ($1)")
            .bind::<diesel::sql_types::Array<Text>, _>(patterns)
            .load(conn)?;
    for entry in mentioning {
        diesel::sql_query("UPDATE moderation_log SET reason = $2 WHERE id = $1")
            .bind::<BigInt, _>(entry.id)
            .bind::<Text, _>(scrubbed(&entry.reason, member))
            .execute(conn)?;
    }
    diesel::sql_query("SET LOCAL devforum.erasing = 'off'").execute(conn)?;
    Ok(())
}

fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn log_deletion(
    conn: &mut PgConnection,
    admin: &User,
    reference: &str,
    reason: &str,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO moderation_log (actor_id, action, target_type, target_id, target_ref, reason) \
         VALUES ($1, $2, $3, 0, $4, $5)",
    )
    .bind::<BigInt, _>(admin.id)
    .bind::<Text, _>(LogAction::DeleteAccount.as_str())
    .bind::<Text, _>(LogTargetType::User.as_str())
    .bind::<Text, _>(reference)
    .bind::<Text, _>(reason)
    .execute(conn)
    .map(drop)
}

/// Every search document of the member's content is written again (its author is now the
/// reference), by the search worker, as any change is.
fn resync_content(conn: &mut PgConnection, id: UserId) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO jobs (kind, payload, max_attempts) \
         SELECT $2, jsonb_build_object('type', kind, 'id', source_id), $3 FROM ( \
             SELECT 'thread' AS kind, id AS source_id FROM threads WHERE author_id = $1 \
             UNION ALL SELECT 'reply', id FROM replies WHERE author_id = $1 \
             UNION ALL SELECT 'meetup', id FROM meetups WHERE organizer_id = $1 \
         ) AS content ORDER BY kind, source_id",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(crate::search::SEARCH_SYNC_JOB)
    .bind::<diesel::sql_types::Integer, _>(crate::jobs::DEFAULT_MAX_ATTEMPTS)
    .execute(conn)
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_anonymous_and_well_formed() {
        let (a, b) = (new_reference(), new_reference());
        assert_ne!(a, b);
        for reference in [a, b] {
            assert_eq!(reference.len(), "deleted-".len() + 12);
            assert!(super::super::Username::parse(&reference).is_ok());
        }
        assert_eq!(username_key("Ada"), username_key("ada"));
        assert_ne!(username_key("ada"), "ada");
    }

    #[test]
    fn the_member_closes_each_open_request_as_their_side_may() {
        assert_eq!(closing_action("pending", false), Some(Action::Withdraw));
        assert_eq!(closing_action("pending", true), Some(Action::Decline));
        assert_eq!(closing_action("accepted", false), Some(Action::Complete));
        assert_eq!(closing_action("accepted", true), Some(Action::Complete));
        assert_eq!(closing_action("declined", true), None);
        // Every move proposed is one the lifecycle allows the member's side.
        use crate::mentorship::lifecycle::{apply, Party, Status};
        for (status, state) in [("pending", Status::Pending), ("accepted", Status::Accepted)] {
            for (is_mentor, party) in [(false, Party::Mentee), (true, Party::Mentor)] {
                let action = closing_action(status, is_mentor).unwrap();
                assert!(apply(state, action, party).is_ok(), "{status} {is_mentor}");
            }
        }
    }

    #[test]
    fn names_leave_free_text_in_any_case() {
        let mut member = super::super::model::fixture(7, Role::Member);
        member.username = "ada_l".into();
        member.email = "Ada@Example.com".into();
        member.display_name = Some("Ada Lovelace".into());
        assert_eq!(
            scrubbed("Spam from ADA_L (ada lovelace, ada@example.com)", &member),
            "Spam from [deleted member] ([deleted member], [deleted member])"
        );
        assert_eq!(scrubbed("nothing here", &member), "nothing here");
    }
}
