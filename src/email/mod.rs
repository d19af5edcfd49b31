//! Mail that is never lost and reaches the inbox: messages are rendered from templates and
//! enqueued as jobs in the transaction of the change that causes them; the worker sends them
//! (with the headers of `compose`, signed by `dkim`) through the configured transport and
//! retries with backoff while the SMTP server is away; `bounces` stops notification mail to
//! addresses that bounce.
//!
//! # Mail
//!
//! `email::enqueue(conn, to, template, context)` renders the subject, text and HTML parts and
//! inserts an `email.send` job on the caller's connection, inside its transaction; the message's
//! `Message-ID` and category are fixed then. The worker's handler (`email::deliver`) looks the
//! address up (the member it belongs to, whether it bounced), drops notification mail and
//! digests to an undeliverable address (`rules::may_send`), composes the MIME message, signs it
//! and sends it through the configured transport; an SMTP failure is a failed attempt, retried
//! with backoff until the server is back (`worker.max_attempts`, then kept as `failed` for
//! `devforum jobs retry-failed`). The periodic `email.bounces` task reads the bounce mailbox
//! (each report recorded once, by its Message-ID) and marks addresses undeliverable; verifying
//! an address or changing it (`accounts::model`) clears the mark and forgets its bounces.

pub mod bounces;
mod compose;
pub mod dkim;
mod mailer;
mod message;
pub mod rules;
mod templates;
pub mod verp;

pub use compose::Identity;
pub use mailer::Mailer;
pub use message::OutgoingEmail;
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

/// Mail runs no routes: it sends what features enqueue and reads the bounce mailbox.
pub const FEATURE: Feature = Feature::background(jobs);

fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    registry.add::<SendEmail>(Mailer::from_settings(settings)?);
    if let Some(reader) = bounces::BounceReader::from_settings(settings)? {
        let every = Duration::from_secs(settings.email.bounces.poll_every_secs);
        registry.add_periodic::<bounces::PollBounces>(every, reader);
    }
    Ok(())
}

/// The `email.send` job: its payload is the message itself.
#[derive(serde::Deserialize)]
#[serde(transparent)]
pub struct SendEmail(pub OutgoingEmail);

impl Task for SendEmail {
    const KIND: &'static str = SEND_EMAIL_JOB;
    type Needs = Mailer;

    async fn run(self, ctx: JobContext, mailer: Arc<Mailer>) -> anyhow::Result<()> {
        deliver(&ctx.pool, &mailer, &self.0).await
    }
}

/// The job kind that sends one message.
pub const SEND_EMAIL_JOB: &str = "email.send";

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
