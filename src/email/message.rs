//! A message as the `email.send` job carries it.

use serde::{Deserialize, Serialize};

use super::rules::Category;

/// A rendered message, as stored in the job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe URL (RFC 8058) of notification mail and digests: sent as
    /// `List-Unsubscribe` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_unsubscribe: Option<String>,
    /// What kind of mail this is: which headers it carries and whether it goes to an
    /// undeliverable address. Jobs queued before it existed are account mail (always tried).
    #[serde(default)]
    pub category: Category,
    /// The local part of the `Message-ID`, fixed when the message is rendered so that a retried
    /// send carries the same id (receivers drop the duplicate). Absent in older jobs: made at
    /// sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<uuid::Uuid>,
    /// What the message is about (`thread-42`, `meetup-7`, `mentorship-3`): mail about one
    /// subject carries `In-Reply-To`/`References` naming it, so mail clients show one
    /// conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
}
