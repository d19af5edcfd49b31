//! Bounces that stop the sending: mail goes out with a VERP return path (`email::verp`), the
//! bounce mailbox is read periodically (IMAP or a Maildir), delivery status notifications
//! are read (`dsn`), and a member's address becomes undeliverable on a hard bounce or after
//! `soft_limit` soft ones within `soft_window_days` (`model`). Notification mail and digests
//! then stop (`email::rules::may_send`); verifying the address again or changing it clears it.

pub mod dsn;
mod mailbox;
mod model;

pub use mailbox::Polled;
pub use model::{forget, recipient, record, Outcome, Recipient, SoftLimit};

use std::path::PathBuf;

use crate::config::{BounceSource, ImapSettings, Settings};
use crate::db::DbPool;
use crate::email::verp::VerpKeys;

/// The periodic job that reads the bounce mailbox.
pub const POLL_JOB: &str = "email.bounces";

/// One read of the bounce mailbox (periodic).
#[derive(serde::Deserialize)]
pub struct PollBounces {}

impl crate::jobs::Task for PollBounces {
    const KIND: &'static str = POLL_JOB;
    type Needs = BounceReader;

    async fn run(
        self,
        ctx: crate::jobs::JobContext,
        reader: std::sync::Arc<BounceReader>,
    ) -> anyhow::Result<()> {
        let report = crate::db::blocking(&ctx.pool, move |pool| reader.poll(pool)).await?;
        tracing::info!(?report, "bounce mailbox read");
        Ok(())
    }
}

/// What one poll did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    pub read: usize,
    pub recorded: usize,
    pub undeliverable: usize,
    pub ignored: usize,
}

enum Source {
    Imap(ImapSettings),
    Maildir(PathBuf),
}

pub struct BounceReader {
    source: Source,
    keys: VerpKeys,
    limit: SoftLimit,
}

impl BounceReader {
    /// The reader `[email.bounces]` describes: `None` without a bounce address or a source.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Self>> {
        let bounces = &settings.email.bounces;
        let Some(keys) = VerpKeys::from_settings(settings)? else {
            return Ok(None);
        };
        let source = match bounces.source {
            BounceSource::None => return Ok(None),
            BounceSource::Imap => Source::Imap(bounces.imap.clone()),
            BounceSource::Maildir => Source::Maildir(bounces.maildir.clone()),
        };
        Ok(Some(BounceReader {
            source,
            keys,
            limit: SoftLimit {
                count: bounces.soft_limit,
                window: chrono::Duration::days(i64::from(bounces.soft_window_days)),
            },
        }))
    }

    /// Reads the mailbox once and records every bounce in it. Blocking (network, disk and
    /// database): run it on the blocking pool.
    pub fn poll(&self, pool: &DbPool) -> anyhow::Result<PollReport> {
        let mut report = PollReport::default();
        let mut handle = |raw: &[u8]| -> anyhow::Result<()> {
            let read = dsn::read(raw);
            let mut conn = pool.get()?;
            match record(&mut conn, &self.keys, &read, self.limit)? {
                Outcome::Recorded { undeliverable, .. } => {
                    report.recorded += 1;
                    report.undeliverable += usize::from(undeliverable);
                }
                Outcome::Ignored(why) => {
                    tracing::info!(report = %read.id, why, "bounce mailbox: message ignored");
                    report.ignored += 1;
                }
            }
            Ok(())
        };
        let polled = match &self.source {
            Source::Imap(imap) => mailbox::poll_imap(imap, &mut handle)?,
            Source::Maildir(dir) => mailbox::poll_maildir(dir, &mut handle)?,
        };
        report.read = polled.read;
        Ok(report)
    }
}
