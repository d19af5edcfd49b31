//! Mail that is never lost and reaches the inbox: messages are rendered from templates and
//! enqueued as jobs in the transaction of the change that causes them; the worker sends them
//! (with the headers of `compose`, signed by `dkim`) through the configured transport and
//! retries with backoff while the SMTP server is away; `bounces` stops notification mail to
//! addresses that bounce.

pub mod bounces;
mod compose;
pub mod dkim;
mod mailer;
pub mod rules;
mod templates;
pub mod verp;

pub use compose::Identity;
pub use mailer::Mailer;
pub use rules::Category;
pub use templates::{render, sample_context, TEMPLATES};

use std::sync::Arc;
use std::time::Duration;

use crate::config::Settings;
use crate::db::DbPool;
use crate::feature::Feature;
use crate::ids::JobId;
use crate::jobs::{JobContext, JobRegistry, Task};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};

/// Mail runs no routes: it sends what features enqueue and reads the bounce mailbox.
pub const FEATURE: Feature = Feature::background(jobs);

fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    registry.add::<OutgoingEmail>(Mailer::from_settings(settings)?);
    if let Some(reader) = bounces::BounceReader::from_settings(settings)? {
        let every = Duration::from_secs(settings.email.bounces.poll_every_secs);
        registry.add_periodic::<bounces::PollBounces>(every, reader);
    }
    Ok(())
}

impl Task for OutgoingEmail {
    const KIND: &'static str = SEND_EMAIL_JOB;
    type Needs = Mailer;

    async fn run(self, ctx: JobContext, mailer: Arc<Mailer>) -> anyhow::Result<()> {
        deliver(&ctx.pool, &mailer, &self).await
    }
}

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

/// Runs one `email.send` job: mail a member chose (notifications, digests) is not sent to an
/// address that bounced for good; account mail always is. The member's id makes the return
/// path.
pub async fn deliver(pool: &DbPool, mailer: &Mailer, email: &OutgoingEmail) -> anyhow::Result<()> {
    let address = email.to.clone();
    let recipient = crate::db::blocking(pool, move |pool| {
        let mut conn = pool.get()?;
        Ok(bounces::recipient(&mut conn, &address)?)
    })
    .await?;
    if !rules::may_send(email.category, recipient.map(|r| r.deliverable)) {
        tracing::info!(category = ?email.category, "not sent: the address is undeliverable");
        return Ok(());
    }
    mailer.send(email, recipient.map(|r| r.member)).await
}
