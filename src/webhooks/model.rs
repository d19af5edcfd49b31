//! The rows of hooks, events and deliveries, and the statements on them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Int4, Jsonb, Nullable, Text, Timestamptz};
use serde_json::Value;

use super::domain::{DeliveryStatus, DisabledReason, EventType, Format, HookChanges, HookInput};
use crate::ids::{DeliveryId, UserId, WebhookId};
use crate::schema::{webhook_deliveries, webhooks};

/// The job that delivers a hook's due deliveries, one at a time (`webhooks::delivery`).
pub const DELIVER_JOB: &str = "webhooks.deliver";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: WebhookId,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub format: Format,
    pub active: bool,
    pub staff: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub failing_since: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
}

impl WebhookRow {
    pub fn events(&self) -> Vec<EventType> {
        self.events.iter().filter_map(|e| e.parse().ok()).collect()
    }

    pub fn disabled_reason(&self) -> Option<DisabledReason> {
        self.disabled_reason.as_deref().and_then(|r| r.parse().ok())
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub message_id: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A delivery row with its event's type (the log's lines).
pub type LoggedDelivery = (DeliveryRow, String);

pub fn insert(
    conn: &mut PgConnection,
    input: &HookInput,
    secret: &str,
    by: UserId,
) -> QueryResult<WebhookRow> {
    let events: Vec<&str> = input.events.iter().map(|e| e.as_str()).collect();
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::url.eq(&input.url),
            webhooks::description.eq(&input.description),
            webhooks::events.eq(events),
            webhooks::format.eq(input.format),
            webhooks::active.eq(input.active),
            webhooks::staff.eq(input.staff),
            webhooks::secret.eq(secret),
            webhooks::created_by.eq(by),
        ))
        .returning(WebhookRow::as_returning())
        .get_result(conn)
}

pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table
        .order(webhooks::id)
        .select(WebhookRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut PgConnection, id: WebhookId) -> QueryResult<Option<WebhookRow>> {
    webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
}

/// The hook's row, locked until the transaction ends. Every transaction that writes a hook and
/// its deliveries takes the hook first (an admin's retry, an attempt's record), so two of them
/// never wait on each other in opposite orders. `FOR NO KEY UPDATE`: new deliveries (whose
/// foreign key only shares the key) are not held up by it.
pub fn lock(conn: &mut PgConnection, id: WebhookId) -> QueryResult<Option<WebhookRow>> {
    webhooks::table
        .find(id)
        .for_no_key_update()
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
}

#[derive(AsChangeset)]
#[diesel(table_name = webhooks)]
struct Changes<'a> {
    url: Option<&'a str>,
    events: Option<Vec<&'a str>>,
    format: Option<Format>,
    active: Option<bool>,
    staff: Option<bool>,
    description: Option<&'a str>,
    updated_at: DateTime<Utc>,
}

/// Applies `changes`; turning a hook on clears why it was off and starts its failures anew.
pub fn update(
    conn: &mut PgConnection,
    id: WebhookId,
    changes: &HookChanges,
) -> QueryResult<WebhookRow> {
    let row: WebhookRow = diesel::update(webhooks::table.find(id))
        .set(Changes {
            url: changes.url.as_deref(),
            events: changes
                .events
                .as_ref()
                .map(|events| events.iter().map(|e| e.as_str()).collect()),
            format: changes.format,
            active: changes.active,
            staff: changes.staff,
            description: changes.description.as_deref(),
            updated_at: Utc::now(),
        })
        .returning(WebhookRow::as_returning())
        .get_result(conn)?;
    if changes.active == Some(true) && row.disabled_at.is_some() {
        return diesel::update(webhooks::table.find(id))
            .set((
                webhooks::disabled_at.eq(None::<DateTime<Utc>>),
                webhooks::disabled_reason.eq(None::<String>),
                webhooks::failing_since.eq(None::<DateTime<Utc>>),
            ))
            .returning(WebhookRow::as_returning())
            .get_result(conn);
    }
    Ok(row)
}

pub fn delete(conn: &mut PgConnection, id: WebhookId) -> QueryResult<bool> {
    Ok(diesel::delete(webhooks::table.find(id)).execute(conn)? > 0)
}

/// A new secret signs from now on; the previous one signs too until `overlap_until`.
pub fn rotate(
    conn: &mut PgConnection,
    id: WebhookId,
    secret: &str,
    overlap_until: DateTime<Utc>,
) -> QueryResult<Option<WebhookRow>> {
    diesel::update(webhooks::table.find(id))
        .set((
            webhooks::previous_secret.eq(webhooks::secret.nullable()),
            webhooks::previous_secret_until.eq(overlap_until),
            webhooks::secret.eq(secret),
            webhooks::updated_at.eq(diesel::dsl::now),
        ))
        .returning(WebhookRow::as_returning())
        .get_result(conn)
        .optional()
}

/// Records an event once per `source` (a replayed job finds the one it made); its id.
pub fn insert_event(
    conn: &mut PgConnection,
    event: EventType,
    source: &str,
    data: &Value,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let row: Id = diesel::sql_query(
        "WITH made AS ( \
             INSERT INTO webhook_events (type, source, data) VALUES ($1, $2, $3) \
             ON CONFLICT (source) DO NOTHING RETURNING id) \
         SELECT id FROM made UNION ALL SELECT id FROM webhook_events WHERE source = $2 LIMIT 1",
    )
    .bind::<Text, _>(event.as_str())
    .bind::<Text, _>(source)
    .bind::<Jsonb, _>(data)
    .get_result(conn)?;
    Ok(row.id)
}

/// A delivery of event `event_id` for every active hook listening to `event` (staff events
/// only to staff hooks; `only` narrows it to one hook, listening or not: a test ping), each
/// with its own message id, due now. Returns the hooks given one.
pub fn add_deliveries(
    conn: &mut PgConnection,
    event_id: i64,
    event: EventType,
    only: Option<WebhookId>,
) -> QueryResult<Vec<WebhookId>> {
    #[derive(QueryableByName)]
    struct Hook {
        #[diesel(sql_type = BigInt)]
        webhook_id: WebhookId,
    }
    let hooks: Vec<Hook> = diesel::sql_query(
        "INSERT INTO webhook_deliveries (webhook_id, event_id, message_id, next_attempt_at) \
         SELECT w.id, $1, 'msg_' || replace(gen_random_uuid()::text, '-', ''), now() \
         FROM webhooks w \
         WHERE w.active AND CASE WHEN $4::int8 IS NULL \
                                 THEN $2 = ANY (w.events) AND (w.staff OR NOT $3) \
                                 ELSE w.id = $4 END \
         ON CONFLICT (webhook_id, event_id) DO NOTHING \
         RETURNING webhook_id",
    )
    .bind::<BigInt, _>(event_id)
    .bind::<Text, _>(event.as_str())
    .bind::<Bool, _>(event.is_for_staff())
    .bind::<Nullable<BigInt>, _>(only)
    .load(conn)?;
    Ok(hooks.into_iter().map(|h| h.webhook_id).collect())
}

/// Makes sure a delivering job for each of `hooks` is due by `at`: one is enqueued unless one
/// is already waiting that runs no later (one job per hook delivers its deliveries in turn).
pub fn ensure_delivering(
    conn: &mut PgConnection,
    hooks: &[WebhookId],
    at: DateTime<Utc>,
) -> QueryResult<()> {
    if hooks.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = hooks.iter().map(|h| h.0).collect();
    diesel::sql_query(
        "INSERT INTO jobs (kind, payload, run_at) \
         SELECT $1, jsonb_build_object('webhook_id', h), $3 FROM unnest($2::int8[]) h \
         WHERE NOT EXISTS ( \
             SELECT 1 FROM jobs j WHERE j.kind = 'webhooks.deliver' AND j.status = 'pending' \
                AND (j.payload ->> 'webhook_id') = h::text AND j.run_at <= $3)",
    )
    .bind::<Text, _>(DELIVER_JOB)
    .bind::<Array<BigInt>, _>(ids)
    .bind::<Timestamptz, _>(at)
    .execute(conn)?;
    Ok(())
}

/// Takes the hook for `sender` (or renews its hold) until `lease_secs` from now: one sender
/// per hook at a time, in any process. `Err(until)`: another holds it until then.
pub fn take_hook(
    conn: &mut PgConnection,
    hook: WebhookId,
    sender: uuid::Uuid,
    lease_secs: i32,
) -> QueryResult<Result<(), Option<DateTime<Utc>>>> {
    let taken = diesel::sql_query(
        "UPDATE webhooks SET sender = $2, sending_until = now() + make_interval(secs => $3) \
          WHERE id = $1 AND (sending_until IS NULL OR sending_until < now() OR sender = $2)",
    )
    .bind::<BigInt, _>(hook)
    .bind::<diesel::sql_types::Uuid, _>(sender)
    .bind::<Int4, _>(lease_secs)
    .execute(conn)?;
    if taken > 0 {
        return Ok(Ok(()));
    }
    let until: Option<Option<DateTime<Utc>>> = webhooks::table
        .find(hook)
        .select(webhooks::sending_until)
        .first(conn)
        .optional()?;
    Ok(Err(until.flatten()))
}

/// Lets the hook go (only the sender holding it may).
pub fn release_hook(
    conn: &mut PgConnection,
    hook: WebhookId,
    sender: uuid::Uuid,
) -> QueryResult<()> {
    diesel::update(
        webhooks::table
            .find(hook)
            .filter(webhooks::sender.eq(sender)),
    )
    .set((
        webhooks::sender.eq(None::<uuid::Uuid>),
        webhooks::sending_until.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)?;
    Ok(())
}

/// A delivery taken in hand to be sent: what the attempt needs.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: DeliveryId,
    #[diesel(sql_type = Text)]
    pub message_id: String,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub event: String,
    #[diesel(sql_type = Jsonb)]
    pub data: Value,
    #[diesel(sql_type = Timestamptz)]
    pub event_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub format: String,
    #[diesel(sql_type = Text)]
    pub secret: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub previous_secret: Option<String>,
}

/// Takes the hook's next due delivery in hand: counts the attempt and moves its next attempt
/// `lease_secs` ahead, so that if this sender dies (after sending, before recording) the
/// delivery falls due again then, with the same message id. `None`: nothing is due, or the
/// hook is off.
pub fn claim_next(
    conn: &mut PgConnection,
    hook: WebhookId,
    lease_secs: i32,
) -> QueryResult<Option<Claimed>> {
    diesel::sql_query(
        "UPDATE webhook_deliveries d \
            SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2) \
           FROM webhook_events e, webhooks w \
          WHERE d.id = (SELECT id FROM webhook_deliveries \
                         WHERE webhook_id = $1 AND status = 'pending' AND next_attempt_at <= now() \
                         ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
            AND e.id = d.event_id AND w.id = d.webhook_id AND w.active \
        RETURNING d.id, d.message_id, d.attempts, d.created_at, e.type AS event, e.data, \
                  e.created_at AS event_at, w.url, w.format, w.secret, \
                  CASE WHEN w.previous_secret_until > now() THEN w.previous_secret END \
                      AS previous_secret",
    )
    .bind::<BigInt, _>(hook)
    .bind::<Int4, _>(lease_secs)
    .get_result(conn)
    .optional()
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Attempted {
    pub status: Option<i32>,
    pub body: Option<String>,
    pub error: Option<String>,
}

pub fn mark_delivered(
    conn: &mut PgConnection,
    id: DeliveryId,
    attempt: &Attempted,
) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::Delivered),
            webhook_deliveries::next_attempt_at.eq(None::<DateTime<Utc>>),
            webhook_deliveries::delivered_at.eq(diesel::dsl::now),
            webhook_deliveries::response_status.eq(attempt.status),
            webhook_deliveries::response_body.eq(&attempt.body),
            webhook_deliveries::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// A failed attempt: due again at `next`, or failed for good without one.
pub fn mark_failed_attempt(
    conn: &mut PgConnection,
    id: DeliveryId,
    attempt: &Attempted,
    next: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    let status = if next.is_some() {
        DeliveryStatus::Pending
    } else {
        DeliveryStatus::Failed
    };
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::status.eq(status),
            webhook_deliveries::next_attempt_at.eq(next),
            webhook_deliveries::response_status.eq(attempt.status),
            webhook_deliveries::response_body.eq(&attempt.body),
            webhook_deliveries::last_error.eq(&attempt.error),
        ))
        .execute(conn)?;
    Ok(())
}

/// A success clears the hook's failing streak.
pub fn hook_succeeded(conn: &mut PgConnection, hook: WebhookId) -> QueryResult<()> {
    diesel::update(webhooks::table.find(hook))
        .set((
            webhooks::failing_since.eq(None::<DateTime<Utc>>),
            webhooks::last_success_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A failure starts the hook's failing streak if none is running; when it began.
pub fn hook_failed(
    conn: &mut PgConnection,
    hook: WebhookId,
    now: DateTime<Utc>,
) -> QueryResult<Option<DateTime<Utc>>> {
    diesel::update(webhooks::table.find(hook))
        .set(
            webhooks::failing_since.eq(diesel::dsl::sql::<Nullable<Timestamptz>>(
                "coalesce(failing_since, ",
            )
            .bind::<Timestamptz, _>(now)
            .sql(")")),
        )
        .returning(webhooks::failing_since)
        .get_result(conn)
        .optional()
        .map(Option::flatten)
}

/// Turns the hook off by itself (once: `false` if it already was), and gives up its waiting
/// deliveries.
pub fn disable(
    conn: &mut PgConnection,
    hook: WebhookId,
    reason: DisabledReason,
) -> QueryResult<bool> {
    let changed = diesel::update(webhooks::table.find(hook).filter(webhooks::active))
        .set((
            webhooks::active.eq(false),
            webhooks::disabled_at.eq(diesel::dsl::now),
            webhooks::disabled_reason.eq(reason.as_str()),
            webhooks::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(hook))
            .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending)),
    )
    .set((
        webhook_deliveries::status.eq(DeliveryStatus::Failed),
        webhook_deliveries::next_attempt_at.eq(None::<DateTime<Utc>>),
        webhook_deliveries::last_error.eq("the hook was turned off"),
    ))
    .execute(conn)?;
    Ok(changed > 0)
}

/// When the hook's next waiting delivery falls due, if it is on and has one.
pub fn next_due(conn: &mut PgConnection, hook: WebhookId) -> QueryResult<Option<DateTime<Utc>>> {
    webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhook_deliveries::webhook_id.eq(hook))
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
        .filter(webhooks::active)
        .select(diesel::dsl::min(webhook_deliveries::next_attempt_at))
        .first(conn)
}

/// A page of the hook's deliveries, newest first, before `before`.
pub fn deliveries(
    conn: &mut PgConnection,
    hook: WebhookId,
    before: Option<DeliveryId>,
    limit: i64,
) -> QueryResult<Vec<LoggedDelivery>> {
    use crate::schema::webhook_events;
    let mut query = webhook_deliveries::table
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::webhook_id.eq(hook))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_deliveries::id.lt(before));
    }
    query
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select((DeliveryRow::as_select(), webhook_events::type_))
        .load(conn)
}

/// One delivery of the hook, with its event's type.
pub fn delivery(
    conn: &mut PgConnection,
    hook: WebhookId,
    id: DeliveryId,
) -> QueryResult<Option<LoggedDelivery>> {
    use crate::schema::webhook_events;
    webhook_deliveries::table
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::webhook_id.eq(hook))
        .filter(webhook_deliveries::id.eq(id))
        .select((DeliveryRow::as_select(), webhook_events::type_))
        .first(conn)
        .optional()
}

/// Makes a delivery of this hook due now again, with its message id; `None` if it has none.
pub fn retry(
    conn: &mut PgConnection,
    hook: WebhookId,
    id: DeliveryId,
) -> QueryResult<Option<DeliveryRow>> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(id))
            .filter(webhook_deliveries::webhook_id.eq(hook)),
    )
    .set((
        webhook_deliveries::status.eq(DeliveryStatus::Pending),
        webhook_deliveries::next_attempt_at.eq(diesel::dsl::now),
    ))
    .returning(DeliveryRow::as_returning())
    .get_result(conn)
    .optional()
}

/// Forgets deliveries made before `before`, and the events left without any.
pub fn prune(conn: &mut PgConnection, before: DateTime<Utc>) -> QueryResult<usize> {
    let deliveries =
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::created_at.lt(before)))
            .execute(conn)?;
    diesel::sql_query(
        "DELETE FROM webhook_events e WHERE e.created_at < $1 \
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)",
    )
    .bind::<Timestamptz, _>(before)
    .execute(conn)?;
    Ok(deliveries)
}

/// The admins, who are told when a hook is turned off.
pub fn admins(conn: &mut PgConnection) -> QueryResult<Vec<(UserId, String)>> {
    use crate::schema::users;
    users::table
        .filter(users::role.eq("admin"))
        .filter(users::deleted_at.is_null())
        .order(users::id)
        .select((users::id, users::username))
        .load(conn)
}
