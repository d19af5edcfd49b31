//! Notifications: what each member is told about what happened to them and to what they
//! follow, the inbox that shows it, and how members follow threads.
//!
//! Recipients are never computed in the request: a reply enqueues a `notify_reply` job in its
//! own transaction; the worker fans the event out with one set-based statement that records
//! each delivery, so a replayed or duplicated job tells nobody twice.

pub mod domain;
pub mod events;
pub mod live;
pub mod model;
pub mod period;
pub mod routes;
pub mod service;
pub mod views;

pub use domain::{MessagesSetting, NotificationKind};
pub use events::{NOTIFY_REPLY_JOB, NOTIFY_THREAD_JOB};
pub use model::Subject;
pub use service::mail::Draft;
pub use service::{digest, mail, unsubscribe};

use std::time::Duration;

use utoipa::OpenApi;

use crate::config::Settings;
use crate::feature::Feature;
use crate::jobs::JobRegistry;

pub const FEATURE: Feature = Feature::api(Doc::openapi, routes::configure, jobs);

#[derive(OpenApi)]
#[openapi(tags((
    name = "notifications",
    description = "The inbox, unread counts, and how members follow threads"
)))]
struct Doc;

fn jobs(settings: &Settings, registry: &mut JobRegistry) -> anyhow::Result<()> {
    let digests = Duration::from_secs(settings.notifications.digest_interval_secs);
    registry
        .add::<events::NotifyReply>(())
        .add::<events::NotifyThread>(())
        .add::<mail::MailWork>(mail::MailContext::from_settings(settings))
        .add_periodic::<digest::DigestRun>(digests, mail::MailContext::from_settings(settings));
    Ok(())
}
