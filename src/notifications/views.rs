//! What the API shows of notifications and subscriptions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::domain::{
    DigestFrequency, EmailPreference, MessagesSetting, NotificationKind, SubscriptionLevel,
    SubscriptionReason, TagLevel,
};
use super::model::InboxRow;
use crate::accounts::views::MemberSummary;
use crate::ids::{
    ConversationId, MeetupId, MentorshipRequestId, MessageId, NotificationId, ReplyId, ThreadId,
};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationView {
    pub id: NotificationId,
    pub kind: NotificationKind,
    /// When the latest event of this notification happened.
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    /// Who did it (the latest, for a group); absent when the system acted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<MemberSummary>,
    /// How many events this notification stands for ("4 new replies in …").
    pub count: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<ThreadId>,
    /// The latest reply, for reply notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_id: Option<ReplyId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meetup_id: Option<MeetupId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mentorship_request_id: Option<MentorshipRequestId>,
    /// The private conversation, for `message` notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
    /// The newest message of the group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    /// The thread's or meetup's title, or the conversation's subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl NotificationView {
    pub fn new(row: InboxRow) -> Self {
        let actor = row.actor_username.map(|username| MemberSummary {
            username,
            display_name: row.actor_display_name,
            avatar_url: row.actor_avatar_url,
        });
        NotificationView {
            id: row.id,
            kind: row.kind,
            created_at: row.created_at,
            read_at: row.read_at,
            actor,
            count: row.count,
            thread_id: row.thread_id,
            reply_id: row.reply_id,
            meetup_id: row.meetup_id,
            mentorship_request_id: row.mentorship_request_id,
            conversation_id: row.conversation_id,
            message_id: row.message_id,
            title: row.title,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnreadCount {
    pub unread: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionView {
    pub level: SubscriptionLevel,
    /// Why: `created` and `replied` are automatic, `chosen` the member's own; `null` when the
    /// member has never followed the thread (level `normal`).
    pub reason: Option<SubscriptionReason>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TagSubscriptionView {
    pub level: TagLevel,
}

/// A member's email preferences.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationSettingsView {
    pub email: EmailPreference,
    pub digest: DigestFrequency,
    /// Who may start a private conversation with the member.
    pub messages: MessagesSetting,
}
