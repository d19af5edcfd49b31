//! Sending: a `webhooks.deliver` job takes its hook (one sender per hook at a time, in any
//! process: `webhooks.sender` with a lease) and sends its due deliveries in turn, so a slow or
//! dead receiver holds one of the lane's slots (`webhooks.concurrency`) and never the
//! deliveries of other hooks, nor any other job (the kind has a lane of its own).
//!
//! Each attempt: the delivery is claimed in its own statement (the attempt counted, its next
//! attempt moved a lease ahead), the target checked again by the outbound client's address
//! rule (DNS may have changed since the hook was saved), the body posted with the Standard
//! Webhooks headers, and the outcome recorded. A sender that dies between sending and
//! recording leaves the delivery to fall due when its lease ends, with the same `webhook-id`:
//! at least once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::domain::{DisabledReason, EventType, Format};
use super::model::{self, Attempted, Claimed};
use super::payloads::Links;
use super::rules::{self, Schedule, Verdict};
use super::{service, signing};
use crate::db::{self, DbPool};
use crate::ids::WebhookId;
use crate::jobs::{JobContext, Task};
use crate::outbound::{Outbound, Refused};

/// What the sender needs, built once per worker.
pub struct Sender {
    pub outbound: Outbound,
    pub schedule: Schedule,
    pub links: Links,
    pub response_bytes: usize,
    /// How long a claimed delivery is held before it may be sent again.
    pub lease_secs: i32,
}

impl Sender {
    pub fn new(settings: &crate::config::Settings) -> Sender {
        let hooks = &settings.webhooks;
        let mut outbound_settings = settings.outbound.clone();
        outbound_settings.timeout_secs = hooks.timeout_secs;
        outbound_settings.user_agent = "devforum-webhooks/1 (+https://github.com/devforum)".into();
        Sender {
            outbound: Outbound::new(outbound_settings, &hooks.allow_hosts)
                .only_allowed(hooks.only_allow_hosts),
            schedule: Schedule::from_settings(hooks),
            links: Links::new(&settings.web.base_url),
            response_bytes: hooks.response_bytes,
            lease_secs: i32::try_from(hooks.timeout_secs.saturating_mul(2) + 5).unwrap_or(60),
        }
    }
}

/// The outbound client as webhooks use it (their timeout and allowed hosts): a hook's target
/// is checked with it when saved.
pub fn outbound(settings: &crate::config::Settings) -> Outbound {
    Sender::new(settings).outbound
}

/// Delivers one hook's due deliveries, one after another.
#[derive(Debug, Serialize, Deserialize)]
pub struct Deliver {
    pub webhook_id: WebhookId,
}

/// One job delivers at most this many before handing over to a fresh job (so a hook with a
/// backlog shares the lane with the others).
const PER_JOB: usize = 100;
const PER_JOB_TIME: Duration = Duration::from_secs(60);

impl Task for Deliver {
    const KIND: &'static str = model::DELIVER_JOB;
    type Needs = Sender;

    async fn run(self, ctx: JobContext, sender: Arc<Sender>) -> anyhow::Result<()> {
        let hook = self.webhook_id;
        let me = uuid::Uuid::new_v4();
        let lease = sender.lease_secs;
        let taken = db::write(&ctx.pool, move |conn| {
            Ok(model::take_hook(conn, hook, me, lease)?)
        })
        .await?;
        if let Err(held_until) = taken {
            // Another sender has the hook and sends what is due; should it die, this job's
            // successor takes over when its hold ends.
            if let Some(at) = held_until {
                db::write(&ctx.pool, move |conn| {
                    Ok(model::ensure_delivering(conn, &[hook], at)?)
                })
                .await?;
            }
            return Ok(());
        }
        let started = Instant::now();
        for _ in 0..PER_JOB {
            if started.elapsed() > PER_JOB_TIME {
                break;
            }
            let claimed = db::write(&ctx.pool, move |conn| {
                // Each attempt renews the hold (an attempt lasts less than it).
                if model::take_hook(conn, hook, me, lease)?.is_err() {
                    return Ok(None);
                }
                Ok(model::claim_next(conn, hook, lease)?)
            })
            .await?;
            let Some(claimed) = claimed else { break };
            let attempted = attempt(&sender, &claimed).await;
            record(&ctx.pool, &sender, hook, &claimed, attempted, Utc::now()).await?;
        }
        // Let the hook go first, then make sure whatever waits (a retry, a backlog, what
        // arrived while this sender held it) gets a job for when it falls due.
        db::write(&ctx.pool, move |conn| {
            model::release_hook(conn, hook, me)?;
            if let Some(at) = model::next_due(conn, hook)? {
                model::ensure_delivering(conn, &[hook], at)?;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }
}

/// Sends a claimed delivery once; what the receiver answered, or why nothing was sent.
pub async fn attempt(sender: &Sender, claimed: &Claimed) -> Attempted {
    match send(sender, claimed).await {
        Ok(answer) => Attempted {
            status: Some(i32::from(answer.status)),
            body: Some(String::from_utf8_lossy(&answer.body).into_owned()),
            error: None,
        },
        Err(error) => Attempted {
            status: None,
            body: None,
            error: Some(error.to_string()),
        },
    }
}

async fn send(sender: &Sender, claimed: &Claimed) -> Result<crate::outbound::Answer, Refused> {
    let event: EventType = claimed.event.parse().map_err(|_| Refused::NothingToShow)?;
    let format: Format = claimed.format.parse().map_err(|_| Refused::NothingToShow)?;
    let body = super::formats::body(format, event, claimed.event_at, &claimed.data);
    let mut secrets = vec![claimed.secret.as_str()];
    if let Some(previous) = &claimed.previous_secret {
        secrets.push(previous);
    }
    let headers = signing::headers(&secrets, &claimed.message_id, Utc::now().timestamp(), &body)
        .map_err(|e| Refused::Connection(format!("could not sign: {e}")))?;
    sender
        .outbound
        .post(&claimed.url, &headers, body, sender.response_bytes)
        .await
}

/// Records an attempt: delivered, failed (again later, or for good), or the hook turned off
/// (`410`, or failing for too long), its admins told.
pub async fn record(
    pool: &DbPool,
    sender: &Arc<Sender>,
    hook: WebhookId,
    claimed: &Claimed,
    attempted: Attempted,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let verdict = rules::verdict(attempted.status.and_then(|s| u16::try_from(s).ok()));
    let next = rules::next_attempt(&sender.schedule, claimed.attempts, claimed.created_at, now);
    let id = claimed.id;
    let sender = sender.clone();
    db::write(pool, move |conn| {
        use diesel::Connection;
        conn.transaction(|conn| {
            // The hook before its delivery, as every writer of both takes them.
            model::lock(conn, hook)?;
            match verdict {
                Verdict::Delivered => {
                    model::mark_delivered(conn, id, &attempted)?;
                    model::hook_succeeded(conn, hook)?;
                }
                Verdict::Gone => {
                    model::mark_failed_attempt(conn, id, &attempted, None)?;
                    service::turn_off(conn, &sender.links, hook, DisabledReason::Gone)?;
                }
                Verdict::Failed => {
                    model::mark_failed_attempt(conn, id, &attempted, next)?;
                    let since = model::hook_failed(conn, hook, now)?;
                    if rules::failing_too_long(&sender.schedule, since, now) {
                        service::turn_off(conn, &sender.links, hook, DisabledReason::Failing)?;
                    }
                }
            }
            Ok(())
        })
    })
    .await
    .map_err(anyhow::Error::from)
}
