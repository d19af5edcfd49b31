//! The kinds of notification, how a member follows a thread, and the inbox's inputs.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::ids::NotificationId;

crate::text_enum! {
    /// What a notification is about (the contract's list; `mention` and the others arrive
    /// with the features that produce them).
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum NotificationKind ("notification kind") {
        /// A reply in a thread the member started.
        Reply => "reply",
        /// A reply in a thread the member watches.
        WatchedReply => "watched_reply",
        Mention => "mention",
        NewThreadInTag => "new_thread_in_tag",
        MentorshipRequest => "mentorship_request",
        MentorshipAccepted => "mentorship_accepted",
        MentorshipDeclined => "mentorship_declined",
        MentorshipWithdrawn => "mentorship_withdrawn",
        MentorshipCompleted => "mentorship_completed",
        MentorshipExpired => "mentorship_expired",
        MeetupChanged => "meetup_changed",
        MeetupCancelled => "meetup_cancelled",
        MeetupSeat => "meetup_seat",
        MeetupReminder => "meetup_reminder",
        ContentHidden => "content_hidden",
        ContentRestored => "content_restored",
        AccountSuspended => "account_suspended",
        AccountUnsuspended => "account_unsuspended",
        AppealDecided => "appeal_decided",
        /// The member's reply was marked as the solution of its thread.
        Solution => "solution",
        /// Messages in a private conversation the member takes part in (grouped until read).
        Message => "message",
        /// A webhook failed for a day (or answered 410) and was turned off (admins).
        WebhookDisabled => "webhook_disabled",
    }
}

crate::text_enum! {
    /// Who may start a private conversation with the member.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum MessagesSetting ("messages setting") {
        /// Any verified member (the default).
        Everyone => "everyone",
        /// Members they mentor or are mentored by, or have conversed with.
        Connections => "connections",
        /// Nobody.
        Nobody => "nobody",
    }
}

crate::text_enum! {
    /// How a member follows a thread.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum SubscriptionLevel ("subscription level") {
        /// Every reply.
        Watching => "watching",
        /// Replies to the member and mentions of them.
        Normal => "normal",
        /// Nothing, mentions included.
        Muted => "muted",
    }
}

crate::text_enum! {
    /// Why a member follows a thread the way they do.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum SubscriptionReason ("subscription reason") {
        /// They started it (automatic).
        Created => "created",
        /// They replied in it (automatic).
        Replied => "replied",
        /// They set the level themselves; automatic subscriptions never overwrite it.
        Chosen => "chosen",
    }
}

crate::text_enum! {
    /// How a member follows a tag.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum TagLevel ("tag subscription level") {
        /// Told of every new thread with the tag.
        WatchingFirstPost => "watching_first_post",
        /// Nothing special (the default).
        Normal => "normal",
        /// Told nothing of threads with the tag, unless the member watches the thread itself.
        Muted => "muted",
    }
}

crate::text_enum! {
    /// When a member gets mail for direct events (replies to them, mentions, mentorship,
    /// meetups).
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum EmailPreference ("email preference") {
        /// At once.
        Always => "always",
        /// Only when away: the mail waits, and is dropped if the member reads the
        /// notification or comes back meanwhile (the default).
        Away => "away",
        Never => "never",
    }
}

crate::text_enum! {
    /// How often a member gets a digest of their watched threads and tags.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum DigestFrequency ("digest frequency") {
        Daily => "daily",
        Weekly => "weekly",
        Never => "never",
    }
}

impl DigestFrequency {
    /// How long one digest covers; `None` for `never`.
    pub fn period(self) -> Option<chrono::Duration> {
        match self {
            DigestFrequency::Daily => Some(chrono::Duration::days(1)),
            DigestFrequency::Weekly => Some(chrono::Duration::days(7)),
            DigestFrequency::Never => None,
        }
    }
}

/// At most this many members are told of the mentions in one post.
pub const MAX_MENTIONS: usize = 10;

/// Whom a post mentions, as the fan-out matches them: the first [`MAX_MENTIONS`] distinct
/// names, lower-cased (usernames are unique regardless of case).
pub fn mentioned(markdown: &str) -> Vec<String> {
    crate::markdown::mentions(markdown)
        .into_iter()
        .take(MAX_MENTIONS)
        .map(|name| name.to_lowercase())
        .collect()
}

/// Which notifications "mark read" marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadScope {
    /// Every one up to this id.
    UpTo(NotificationId),
    /// Those about one thread (its replies, mentions, solution), once the member opened it.
    Thread(crate::ids::ThreadId),
    /// Those about one mentorship request, once the member opened it.
    Request(crate::ids::MentorshipRequestId),
    /// Those about one conversation, once the member read it.
    Conversation(crate::ids::ConversationId),
}

/// `up_to_id` of "mark read": a notification id (`7` or `7.0`), required.
pub fn parse_up_to(raw: Option<&serde_json::Number>) -> Result<NotificationId, ApiError> {
    match raw.map(crate::validation::whole_number) {
        Some(Some(id)) if id > 0 => Ok(NotificationId(id)),
        Some(_) => Err(ApiError::invalid_field(
            "up_to_id",
            "must be a notification id",
        )),
        None => Err(ApiError::invalid_field("up_to_id", "is required")),
    }
}

/// The level of a `PUT …/subscription` (a thread's or a tag's), required.
pub fn parse_level<Level>(raw: Option<Level>) -> Result<Level, ApiError> {
    raw.ok_or_else(|| ApiError::invalid_field("level", "is required"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_text() {
        for kind in NotificationKind::ALL {
            assert_eq!(kind.as_str().parse::<NotificationKind>().unwrap(), *kind);
        }
        assert!("replies".parse::<NotificationKind>().is_err());
    }

    #[test]
    fn at_most_ten_mentions_count_lower_cased() {
        let body: String = (0..12).map(|i| format!("@Member{i:02} ")).collect();
        let names = mentioned(&body);
        assert_eq!(names.len(), MAX_MENTIONS);
        assert_eq!(names[0], "member00");
        assert_eq!(names[9], "member09");
    }

    #[test]
    fn up_to_must_be_an_id_and_level_is_required() {
        let number = |text: &str| serde_json::from_str::<serde_json::Number>(text).unwrap();
        assert_eq!(parse_up_to(Some(&number("7"))).unwrap(), NotificationId(7));
        assert_eq!(
            parse_up_to(Some(&number("657.0"))).unwrap(),
            NotificationId(657)
        );
        assert!(parse_up_to(Some(&number("7.5"))).is_err());
        assert!(parse_up_to(Some(&number("0"))).is_err());
        assert!(parse_up_to(None).is_err());
        assert_eq!(
            parse_level(Some(SubscriptionLevel::Muted)).unwrap(),
            SubscriptionLevel::Muted
        );
        assert!(parse_level::<SubscriptionLevel>(None).is_err());
    }
}
