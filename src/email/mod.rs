//! Mail that is never lost: messages are rendered from templates and enqueued as jobs in the
//! transaction of the change that causes them; the worker sends them through the configured
//! transport and retries with backoff while the SMTP server is away.

mod mailer;
mod templates;

pub use mailer::Mailer;
pub use templates::render;

use crate::ids::JobId;
use diesel::PgConnection;
use serde::{Deserialize, Serialize};

/// The job kind that sends one message.
pub const SEND_EMAIL_JOB: &str = "email.send";

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
}

/// Renders `template` for `to` and enqueues it on `conn` (join the caller's transaction).
pub fn enqueue(
    conn: &mut PgConnection,
    to: &str,
    template: &str,
    context: serde_json::Value,
) -> anyhow::Result<JobId> {
    let email = render(template, to, context)?;
    enqueue_message(conn, &email)
}

/// Enqueues a message already rendered, on `conn` (join the caller's transaction).
pub fn enqueue_message(conn: &mut PgConnection, email: &OutgoingEmail) -> anyhow::Result<JobId> {
    let payload = serde_json::to_value(email)?;
    Ok(crate::jobs::enqueue(conn, SEND_EMAIL_JOB, &payload)?)
}
