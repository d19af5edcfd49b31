//! Erasing an account (API.md "Members own their accounts", GDPR art. 17): in one transaction
//! the account's personal data goes, what it wrote stays under "deleted member", and
//! everything that involved other people is settled as if the member had acted. Each feature
//! settles its own part through an [`ErasureStep`]: mentorship withdraws, declines or
//! completes requests with the other side told and drops the mentor profile; meetups withdraw
//! RSVPs so waitlists move; moderation dismisses the member's open reports and anonymises the
//! log; search writes the member's content again under the reference.
//!
//! The account's row stays as a tombstone, because threads, replies, votes, meetups and
//! requests point at it: its username becomes a stable anonymous reference
//! (`deleted-` and 12 hex digits), which also replaces the account's id in the moderation log.
//!
//! # Deleting an account
//!
//! `DELETE /users/me` (with the password) and `DELETE /admin/users/{username}` (with a reason,
//! logged) run [`erase`], one transaction:
//!
//! - **Admins first.** When the account is an admin, every admin row is locked before the
//!   account's (the order role changes use) and the last admin is refused (`409 last_admin`).
//! - **A tombstone, not a gap.** The `users` row stays, because threads, replies, votes,
//!   meetups and requests point at it: username → a fresh anonymous reference
//!   (`deleted-` + 12 hex digits), email → `<reference>@deleted.invalid`, display name →
//!   "deleted member", password hash `!` (matches nothing), bio, location, time zone, skills,
//!   suspension, mail settings cleared, `deleted_at` set, the generation bumped (every access
//!   token ends). Lookups by username or email skip tombstones. The old username is reserved
//!   for `auth.username_reserved_days` (90) in `reserved_usernames`, kept as a SHA-256 of the
//!   lower-cased name; registration refuses it (`409 username_taken`).
//! - **Other people's side, as if the member had acted**, by each feature's own
//!   `on_member_erased` step (an [`ErasureStep`], handed to accounts by
//!   `features::erasure_steps`, so locks, counters, notifications and mail are theirs): RSVPs to meetups ahead withdrawn
//!   (the waitlist moves on, the promoted member is mailed); pending requests withdrawn (as
//!   mentee) or declined (as mentor), accepted ones completed, the other side told; open
//!   reports the member filed dismissed. The mentor profile is deleted (requests point at the
//!   account, not the profile) and its search document removed.
//! - **Personal rows deleted**: sessions and refresh tokens, link tokens, the member's blocks,
//!   tag and thread follows, their inbox, deliveries, counter, used unsubscribe tokens. Stored
//!   mail drafts of notifications the member caused are dropped (they are written again from
//!   the tombstone when they go); queued mail to the member and failed mail naming them go.
//! - **The log keeps every action**: the account's id gives way to the reference (`actor_ref`,
//!   `target_ref`, `target_id = 0`) and its names leave the reasons. The append-only trigger
//!   allows exactly this (ids to references, reasons), only inside a transaction that has
//!   `SET LOCAL devforum.erasing = 'on'`; anything else is refused as before.
//! - **Search**: a `search.sync` job for each thread, reply and meetup of the member (one
//!   `INSERT … SELECT`), so both engines show the reference as author.
//!
//! `tests/api/account_deletion.rs` reads every text, array and JSON column of every table for
//! the member's email, names, bio and location after a deletion.

use diesel::prelude::*;
use rand::RngCore;

use crate::accounts::model::erasure::*;
use crate::accounts::model::User;
use crate::accounts::Role;
use crate::error::ApiError;
use crate::ids::UserId;

/// The member being erased, as they were before the tombstone replaced them: their names,
/// for scrubbing them from free text, and the reference they are now known by.
pub struct Erasing<'a> {
    pub member: &'a User,
    pub reference: &'a str,
    pub base_url: &'a str,
}

/// What another feature does when an account is erased: settle what involved other people
/// as if the member had acted, and let go of the member's own rows. It runs inside the
/// erasure's transaction, after the tombstone (so every message it causes names "deleted
/// member"); an error undoes the whole erasure. Accounts knows no feature: the application
/// hands it their steps (`features::erasure_steps`).
pub type ErasureStep = fn(&mut PgConnection, &Erasing<'_>) -> Result<(), ApiError>;

/// The steps of every feature, in the order they run.
#[derive(Clone)]
pub struct ErasureSteps(pub Vec<ErasureStep>);

/// What the erasure needs from the settings and the other features.
pub struct ErasureSettings {
    pub base_url: String,
    pub username_reserved_days: u32,
    pub steps: ErasureSteps,
}

/// An erased account: the member as they were, and their reference from now on.
pub struct Erased {
    pub member: User,
    pub reference: String,
}

/// A fresh anonymous reference: `deleted-` and 48 random bits in hex.
fn new_reference() -> String {
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("deleted-{hex}")
}

fn last_admin() -> ApiError {
    ApiError::conflict(
        "last_admin",
        "This is the only admin account; make someone else an admin before deleting it.",
    )
}

/// Erases the account `member_id`; 404 when there is none (or it is erased already). Joins
/// the caller's transaction when there is one (an admin's erasure is logged in it).
pub fn erase(
    conn: &mut PgConnection,
    member_id: UserId,
    settings: &ErasureSettings,
) -> Result<Erased, ApiError> {
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
        let erasing = Erasing {
            member: &member,
            reference: &reference,
            base_url: &settings.base_url,
        };
        for step in &settings.steps.0 {
            step(conn, &erasing)?;
        }
        delete_personal_rows(conn, member.id)?;
        forget_mail(conn, &member)?;
        Ok(Erased { member, reference })
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::model::erasure::username_key;
    use crate::accounts::{Role, Username};

    #[test]
    fn references_are_anonymous_and_well_formed() {
        let (a, b) = (new_reference(), new_reference());
        assert_ne!(a, b);
        for reference in [a, b] {
            assert_eq!(reference.len(), "deleted-".len() + 12);
            assert!(Username::parse(&reference).is_ok());
        }
        assert_eq!(username_key("Ada"), username_key("ada"));
        assert_ne!(username_key("ada"), "ada");
    }

    #[test]
    fn names_leave_free_text_in_any_case() {
        let mut member = crate::accounts::model::fixture(7, Role::Member);
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
