//! Webhooks: other services told what happens here (issue 45, API.md "Integrations").
//!
//! ```text
//! change's transaction ── trigger (threads, solutions, requests, meetups, reports, log) ─┐
//!   or the reply's one statement (`webhooks_subscribed`) ───────────────────────────────┤
//!                                       only while an active hook listens to the event ▼
//!                                                        jobs: webhooks.event {type, subject}
//! worker: Event ── payloads::data (what a visitor sees now, or nothing) ──► webhook_events
//!               └─ a webhook_deliveries row per listening hook (message id fixed) ──► jobs:
//!                  webhooks.deliver {webhook_id}, one per hook, in a lane of its own
//! worker: Deliver ── claim one due delivery ── address rule ── POST, signed ── record
//!                    2xx delivered · 410 hook off · else retry (growing waits, for a day);
//!                    a day failing without a success: hook off, admins told
//! ```
//!
//! - **Outbox.** The event's job is written by the change's own transaction: no event for a
//!   rolled-back change, none lost for a committed one. With no hook listening, nothing is
//!   written (one `EXISTS` on a small table).
//! - **Privacy.** A payload is built when the event is fanned out, from what a visitor can see
//!   ([`payloads`]): a thread, reply or meetup hidden or deleted by then sends nothing; no
//!   email, no report details, no private content; staff events go to staff hooks only.
//! - **At least once.** A delivery keeps its `webhook-id` over every attempt; a sender that
//!   dies mid-attempt leaves it to fall due again when its lease ends ([`delivery`]).
//! - **Isolation.** One job per hook sends its deliveries in turn, in the
//!   `webhooks.deliver` lane (`webhooks.concurrency` slots): a slow receiver holds one slot,
//!   never another hook's deliveries nor the forum's other jobs; members' requests never
//!   wait for a receiver.
//! - **Signing** ([`signing`]): Standard Webhooks' three headers, with both secrets for a day
//!   after a rotation. **Formats** ([`formats`]): `standard`, Discord, Slack.
//! - Deliveries are kept `webhooks.keep_days` (30), pruned daily.

pub mod delivery;
pub mod domain;
pub mod formats;
pub mod model;
pub mod payloads;
pub mod routes;
pub mod rules;
pub mod service;
pub mod signing;
pub mod views;

use std::time::Duration;

use utoipa::OpenApi;

use crate::feature::Feature;

pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, jobs);

#[derive(OpenApi)]
#[openapi(tags((
    name = "webhooks",
    description = "Webhooks for integrations: events delivered to other services (admins)"
)))]
struct Doc;

fn jobs(
    settings: &crate::config::Settings,
    registry: &mut crate::jobs::JobRegistry,
) -> anyhow::Result<()> {
    registry.add::<service::Event>(payloads::Links::new(&settings.web.base_url));
    registry.add_in_lane::<delivery::Deliver>(
        delivery::Sender::new(settings),
        settings.webhooks.concurrency.max(1),
    );
    registry.add_periodic::<service::Prune>(
        Duration::from_secs(settings.webhooks.prune_every_secs),
        settings.webhooks.keep_days,
    );
    Ok(())
}
