//! Who may see content that moderation hid or its author deleted: decided here, for every
//! kind of content, and asked by every read, listing, search answer and count.
//!
//! - Deleted content is seen by nobody.
//! - Hidden content is seen only by staff (moderators and admins), who review and restore it.
//! - A reply is seen only when its thread is.
//! - Search answers everyone alike, so it holds to what the public sees (`public_*`, and
//!   `public_sql` in the rebuild's source queries).
//! - A tag's count is the number of threads the public sees; the `threads` trigger that keeps
//!   `tags.thread_count` applies `public_sql` in SQL (`tag_counts_follow_this_rule` checks the
//!   two agree).

use diesel::dsl;
use diesel::prelude::*;

use crate::accounts::User;
use crate::schema::{meetups, replies, threads};

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Anonymous visitors and members.
    Public,
    /// Moderators and admins.
    Staff,
}

impl Audience {
    pub fn of(viewer: Option<&User>) -> Self {
        if viewer.is_some_and(User::is_staff) {
            Audience::Staff
        } else {
            Audience::Public
        }
    }

    pub fn sees_hidden(self) -> bool {
        self == Audience::Staff
    }
}

/// What moderation and the author did to a piece of content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    pub hidden: bool,
    pub deleted: bool,
}

impl Flags {
    pub fn new(hidden: bool, deleted: bool) -> Self {
        Flags { hidden, deleted }
    }

    pub fn seen_by(self, audience: Audience) -> bool {
        !self.deleted && (!self.hidden || audience.sees_hidden())
    }
}

/// Whether `viewer` (none: anonymous) may see content with these flags.
pub fn can_see(viewer: Option<&User>, flags: Flags) -> bool {
    flags.seen_by(Audience::of(viewer))
}

/// A reply is seen when it and its thread are.
pub fn can_see_reply(viewer: Option<&User>, reply: Flags, thread: Flags) -> bool {
    can_see(viewer, reply) && can_see(viewer, thread)
}

/// Threads the public sees.
///
/// `NOT hidden` is written into the SQL, never bound as `hidden = $n`: a cached statement's
/// generic plan can then use a partial index whose predicate says `NOT hidden`, and with a
/// bound value it cannot, so PostgreSQL plans the statement anew on every execution. That
/// is what the replies page did while its index said `NOT hidden` (docs/performance-log.md);
/// the listing indexes now cover all live content, and the rule keeps later ones safe.
pub fn public_threads() -> dsl::And<dsl::IsNull<threads::deleted_at>, dsl::not<threads::hidden>> {
    threads::deleted_at.is_null().and(dsl::not(threads::hidden))
}

/// Replies the public sees (their thread's visibility is `public_threads`); `NOT hidden` as
/// in `public_threads`.
pub fn public_replies() -> dsl::And<dsl::IsNull<replies::deleted_at>, dsl::not<replies::hidden>> {
    replies::deleted_at.is_null().and(dsl::not(replies::hidden))
}

/// Meetups the public sees (meetups are cancelled, never deleted); `NOT hidden` as in
/// `public_threads`.
pub fn public_meetups() -> dsl::not<meetups::hidden> {
    dsl::not(meetups::hidden)
}

/// `public_threads`/`public_replies` as SQL text, for the table under `alias`.
pub fn public_sql(alias: &str) -> String {
    format!("{alias}.deleted_at IS NULL AND NOT {alias}.hidden")
}

/// `public_meetups` as SQL text, for the table under `alias`.
pub fn public_meetup_sql(alias: &str) -> String {
    format!("NOT {alias}.hidden")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::model::fixture as user;
    use crate::accounts::Role;

    #[test]
    fn deleted_is_gone_for_everyone_hidden_is_for_staff() {
        let member = user(1, Role::Member);
        let moderator = user(2, Role::Moderator);
        let admin = user(3, Role::Admin);
        let (shown, hidden, deleted) = (
            Flags::new(false, false),
            Flags::new(true, false),
            Flags::new(false, true),
        );
        for viewer in [None, Some(&member), Some(&moderator), Some(&admin)] {
            assert!(can_see(viewer, shown));
            assert!(!can_see(viewer, deleted));
            assert!(!can_see(viewer, Flags::new(true, true)));
        }
        assert!(!can_see(None, hidden));
        assert!(!can_see(Some(&member), hidden));
        assert!(can_see(Some(&moderator), hidden));
        assert!(can_see(Some(&admin), hidden));
    }

    #[test]
    fn a_reply_follows_its_thread() {
        let moderator = user(2, Role::Moderator);
        let (shown, hidden) = (Flags::new(false, false), Flags::new(true, false));
        assert!(can_see_reply(None, shown, shown));
        assert!(!can_see_reply(None, shown, hidden));
        assert!(can_see_reply(Some(&moderator), shown, hidden));
        assert!(!can_see_reply(
            Some(&moderator),
            shown,
            Flags::new(false, true)
        ));
    }

    #[test]
    fn the_sql_form_names_the_alias() {
        assert_eq!(public_sql("t"), "t.deleted_at IS NULL AND NOT t.hidden");
    }
}
