//! Webhooks' use cases: an admin's hooks, their test pings and delivery logs; the fan-out of
//! an event to the hooks listening; turning a hook off; forgetting old deliveries.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::domain::{DisabledReason, EventType, HookChanges, HookInput};
use super::model::{self, LoggedDelivery, WebhookRow};
use super::payloads::{self, Links};
use super::signing;
use crate::accounts::model::User;
use crate::error::ApiError;
use crate::ids::{DeliveryId, WebhookId};
use crate::jobs::ConnTask;
use crate::notifications::{self, NotificationKind};
use crate::outbound::Outbound;

/// After a rotation the previous secret signs too for this long.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);

/// Whether a hook's target may be reached now (the outbound client's address rule): a `422`
/// on `url` if not. Checked when a hook is saved, and again at every delivery.
pub async fn check_target(outbound: &Outbound, url: &str) -> Result<(), ApiError> {
    outbound
        .check(url)
        .await
        .map_err(|refused| ApiError::invalid_field("url", format!("cannot be reached: {refused}")))
}

/// A new hook and its secret (shown once).
pub fn create(
    conn: &mut PgConnection,
    admin: &User,
    input: &HookInput,
) -> Result<(WebhookRow, String), ApiError> {
    let secret = signing::new_secret();
    let row = model::insert(conn, input, &secret, admin.id)?;
    Ok((row, secret))
}

pub fn list(conn: &mut PgConnection) -> Result<Vec<WebhookRow>, ApiError> {
    Ok(model::list(conn)?)
}

pub fn get(conn: &mut PgConnection, id: WebhookId) -> Result<WebhookRow, ApiError> {
    model::find(conn, id)?.ok_or(ApiError::NotFound)
}

/// Changes a hook; the staff rule is checked against the hook as it will be. Turning it on
/// again sends what waits for it.
pub fn update(
    conn: &mut PgConnection,
    id: WebhookId,
    changes: &HookChanges,
) -> Result<WebhookRow, ApiError> {
    conn.transaction(|conn| {
        let current = model::lock(conn, id)?.ok_or(ApiError::NotFound)?;
        let events = changes.events.clone().unwrap_or_else(|| current.events());
        let staff = changes.staff.unwrap_or(current.staff);
        super::domain::staff_events_need_staff(&events, staff)
            .map_err(|message| ApiError::invalid_field("events", message))?;
        let row = model::update(conn, id, changes)?;
        if row.active {
            if let Some(at) = model::next_due(conn, id)? {
                model::ensure_delivering(conn, &[id], at)?;
            }
        }
        Ok(row)
    })
}

pub fn delete(conn: &mut PgConnection, id: WebhookId) -> Result<(), ApiError> {
    if model::delete(conn, id)? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// A new secret (shown once); the previous one keeps signing for [`ROTATION_OVERLAP`].
pub fn rotate_secret(
    conn: &mut PgConnection,
    id: WebhookId,
    now: DateTime<Utc>,
) -> Result<(WebhookRow, String), ApiError> {
    let secret = signing::new_secret();
    let row =
        model::rotate(conn, id, &secret, now + ROTATION_OVERLAP)?.ok_or(ApiError::NotFound)?;
    Ok((row, secret))
}

/// Sends the hook a `ping` now (whatever events it listens to); the delivery to follow.
pub fn test(conn: &mut PgConnection, id: WebhookId) -> Result<LoggedDelivery, ApiError> {
    conn.transaction(|conn| {
        let hook = model::find(conn, id)?.ok_or(ApiError::NotFound)?;
        if !hook.active {
            return Err(inactive());
        }
        let source = format!("ping:{}", uuid::Uuid::new_v4());
        let data = serde_json::json!({ "message": "ping", "webhook_id": id });
        let event = model::insert_event(conn, EventType::Ping, &source, &data)?;
        model::add_deliveries(conn, event, EventType::Ping, Some(id))?;
        model::ensure_delivering(conn, &[id], Utc::now())?;
        model::deliveries(conn, id, None, 1)?
            .pop()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the ping's delivery is missing")))
    })
}

fn inactive() -> ApiError {
    ApiError::conflict(
        "webhook_inactive",
        "This hook is turned off: turn it on (PATCH active: true) to send to it.",
    )
}

/// A page of a hook's deliveries, newest first.
pub fn deliveries(
    conn: &mut PgConnection,
    id: WebhookId,
    before: Option<DeliveryId>,
    limit: i64,
) -> Result<Vec<LoggedDelivery>, ApiError> {
    model::find(conn, id)?.ok_or(ApiError::NotFound)?;
    Ok(model::deliveries(conn, id, before, limit)?)
}

/// Sends a delivery again now, with the same message id (receivers deduplicate by it).
pub fn retry(
    conn: &mut PgConnection,
    id: WebhookId,
    delivery: DeliveryId,
) -> Result<LoggedDelivery, ApiError> {
    conn.transaction(|conn| {
        let hook = model::lock(conn, id)?.ok_or(ApiError::NotFound)?;
        model::retry(conn, id, delivery)?.ok_or(ApiError::NotFound)?;
        if !hook.active {
            return Err(inactive());
        }
        model::ensure_delivering(conn, &[id], Utc::now())?;
        model::delivery(conn, id, delivery)?.ok_or(ApiError::NotFound)
    })
}

/// An event a trigger (or a reply's statement) wrote to the outbox: made into its payload
/// from what a visitor can see now, and a delivery for each hook listening.
#[derive(Debug, Serialize, Deserialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub event: EventType,
    pub subject: i64,
}

/// The outbox's job kind (the triggers of `migrations/…_webhooks_and_api_tokens` write it).
pub const EVENT_JOB: &str = "webhooks.event";

impl ConnTask for Event {
    const KIND: &'static str = EVENT_JOB;
    type Needs = Links;

    fn run(self, conn: &mut PgConnection, links: &Links) -> anyhow::Result<()> {
        fan_out(conn, links, self.event, self.subject, Utc::now())?;
        Ok(())
    }
}

/// The outbox's job for a new reply, which the reply's statement writes only while a hook
/// listens to `reply.created` (`threads::model::post_reply`).
pub fn new_reply_job() -> crate::jobs::JobForNewRow {
    crate::jobs::JobForNewRow {
        spec: crate::jobs::JobSpec {
            kind: EVENT_JOB,
            payload: serde_json::json!({ "type": EventType::ReplyCreated.as_str(), "subject": 0 }),
        },
        id_at: "subject",
    }
}

/// Fans `event` about `subject` out to the hooks listening, once (a replayed job finds its
/// event by its source); nothing when a visitor could no longer see the subject. Returns the
/// hooks given a delivery.
pub fn fan_out(
    conn: &mut PgConnection,
    links: &Links,
    event: EventType,
    subject: i64,
    now: DateTime<Utc>,
) -> Result<Vec<WebhookId>, ApiError> {
    conn.transaction(|conn| {
        let Some(data) = payloads::data(conn, links, event, subject)? else {
            tracing::info!(%event, subject, "webhook event dropped: its subject is not public");
            return Ok(Vec::new());
        };
        let source = format!("{event}:{subject}");
        let id = model::insert_event(conn, event, &source, &data)?;
        let hooks = model::add_deliveries(conn, id, event, None)?;
        model::ensure_delivering(conn, &hooks, now)?;
        Ok(hooks)
    })
}

/// Turns a hook off by itself and tells every admin (in the app and by mail), once.
pub fn turn_off(
    conn: &mut PgConnection,
    links: &Links,
    hook: WebhookId,
    reason: DisabledReason,
) -> Result<(), ApiError> {
    if !model::disable(conn, hook, reason)? {
        return Ok(());
    }
    let Some(row) = model::find(conn, hook)? else {
        return Ok(());
    };
    let why = match reason {
        DisabledReason::Gone => "its receiver answered 410 Gone",
        DisabledReason::Failing => "its deliveries failed for a day without a success",
    };
    let at = row.disabled_at.unwrap_or_else(Utc::now).timestamp();
    for (admin, username) in model::admins(conn)? {
        let mail = notifications::Draft::new(
            "webhook_disabled",
            serde_json::json!({
                "username": username,
                "what": row.url,
                "reason": why,
                "link": links.admin_webhooks(),
            }),
        );
        notifications::events::tell(
            conn,
            &format!("webhook:{hook}:off:{at}"),
            admin,
            NotificationKind::WebhookDisabled,
            None,
            notifications::Subject::default(),
            Some(mail),
        )?;
    }
    Ok(())
}

/// Forgets deliveries (and events) older than `keep_days`.
pub fn prune(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    keep_days: u32,
) -> Result<usize, ApiError> {
    Ok(model::prune(
        conn,
        now - Duration::days(i64::from(keep_days)),
    )?)
}

/// The daily prune of the delivery log.
#[derive(Debug, Serialize, Deserialize)]
pub struct Prune {}

impl ConnTask for Prune {
    const KIND: &'static str = "webhooks.prune";
    type Needs = u32;

    fn run(self, conn: &mut PgConnection, keep_days: &u32) -> anyhow::Result<()> {
        let pruned = prune(conn, Utc::now(), *keep_days)?;
        tracing::info!(pruned, "old webhook deliveries pruned");
        Ok(())
    }
}
