//! The JSON answered about hooks and deliveries (never a secret, except once when made).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::domain::{DeliveryStatus, DisabledReason, EventType, Format};
use super::model::{DeliveryRow, LoggedDelivery, WebhookRow};
use crate::ids::{DeliveryId, WebhookId};

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: WebhookId,
    pub url: String,
    pub description: String,
    pub events: Vec<EventType>,
    pub format: Format,
    pub active: bool,
    /// May listen to `report.created` and `moderation.action`.
    pub staff: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// Failing without a success since then; a day of it turns the hook off.
    pub failing_since: Option<DateTime<Utc>>,
    /// When devforum turned it off by itself, and why.
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<DisabledReason>,
    /// After a rotation, the previous secret signs too until then.
    pub previous_secret_until: Option<DateTime<Utc>>,
}

impl From<WebhookRow> for WebhookView {
    fn from(row: WebhookRow) -> Self {
        WebhookView {
            events: row.events(),
            disabled_reason: row.disabled_reason(),
            id: row.id,
            url: row.url,
            description: row.description,
            format: row.format,
            active: row.active,
            staff: row.staff,
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_success_at: row.last_success_at,
            failing_since: row.failing_since,
            disabled_at: row.disabled_at,
            previous_secret_until: row
                .previous_secret_until
                .filter(|until| *until > Utc::now()),
        }
    }
}

/// A hook with its signing secret: answered only when the secret is made.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    pub webhook: WebhookView,
    /// `whsec_…`: the key receivers verify signatures with (Standard Webhooks). Shown once.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: DeliveryId,
    pub event: EventType,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// The last answer's status, if one came.
    pub response_status: Option<i32>,
    /// Its first bytes (`webhooks.response_bytes`).
    pub response_body: Option<String>,
    /// Why the last attempt got no answer (a timeout, a refused address…).
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The `webhook-id` header: the same on every attempt.
    pub message_id: String,
}

impl DeliveryView {
    pub fn new((row, event): LoggedDelivery) -> Self {
        Self::of(row, event.parse().unwrap_or(EventType::Ping))
    }

    pub fn of(row: DeliveryRow, event: EventType) -> Self {
        DeliveryView {
            id: row.id,
            event,
            status: row.status,
            attempts: row.attempts,
            response_status: row.response_status,
            response_body: row.response_body,
            last_error: row.last_error,
            next_attempt_at: row.next_attempt_at,
            created_at: row.created_at,
            delivered_at: row.delivered_at,
            message_id: row.message_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<DeliveryView>,
    /// `before` for the next (older) page, if there is one.
    pub next_cursor: Option<String>,
}
