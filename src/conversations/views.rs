//! The JSON answered about conversations and messages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{ConversationRow, InboxRow, MessageRow, ParticipantRow};
use crate::accounts::views::MemberSummary;
use crate::ids::{ConversationId, MessageId};

/// A conversation as the caller sees it (their inbox entry, and the conversation's page).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConversationView {
    pub id: ConversationId,
    pub subject: String,
    /// Everyone in it now, the caller included, in the order they joined.
    pub participants: Vec<MemberSummary>,
    pub last_message_at: DateTime<Utc>,
    /// Messages of the others the caller has not read.
    pub unread: i64,
    pub created_at: DateTime<Utc>,
    /// Opened by an accepted mentorship request.
    pub mentorship: bool,
}

impl ConversationView {
    /// The conversation with the participants read on their own.
    pub fn new(row: ConversationRow, participants: &[ParticipantRow]) -> Self {
        let people = participants
            .iter()
            .filter(|p| p.conversation_id == row.id)
            .map(|p| MemberSummary {
                username: p.username.clone(),
                display_name: p.display_name.clone(),
                avatar_url: p.avatar_url.clone(),
            })
            .collect();
        Self::with(row, people)
    }

    /// An inbox entry, its participants read with it.
    pub fn listed(row: InboxRow) -> Result<Self, serde_json::Error> {
        let people = match row.participants {
            serde_json::Value::Null => Vec::new(),
            people => serde_json::from_value(people)?,
        };
        Ok(Self::with(row.conversation, people))
    }

    fn with(row: ConversationRow, participants: Vec<MemberSummary>) -> Self {
        ConversationView {
            id: row.id,
            subject: row.subject,
            participants,
            last_message_at: row.last_message_at,
            unread: row.unread,
            created_at: row.created_at,
            mentorship: row.mentorship,
        }
    }
}

/// One message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub author: MemberSummary,
    /// Markdown as written.
    pub body: String,
    /// Rendered and sanitised, as posts are.
    pub body_html: String,
    pub created_at: DateTime<Utc>,
    /// Hidden by a moderator (only staff looking at a report see such a message).
    pub hidden: bool,
}

impl MessageView {
    pub fn new(row: MessageRow) -> Self {
        MessageView {
            id: row.id,
            conversation_id: row.conversation_id,
            author: MemberSummary {
                username: row.username,
                display_name: row.display_name,
                avatar_url: row.avatar_url,
            },
            body: row.body,
            body_html: row.body_html,
            created_at: row.created_at,
            hidden: row.hidden,
        }
    }
}
