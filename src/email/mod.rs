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
}

/// Renders `template` for `to` and enqueues it on `conn` (join the caller's transaction).
pub fn enqueue(
    conn: &mut PgConnection,
    to: &str,
    template: &str,
    context: serde_json::Value,
) -> anyhow::Result<JobId> {
    let email = render(template, to, context)?;
    let payload = serde_json::to_value(&email)?;
    Ok(crate::jobs::enqueue(conn, SEND_EMAIL_JOB, &payload)?)
}
