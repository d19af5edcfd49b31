//! `/admin/webhooks`: an admin's hooks, their test pings, secrets and delivery logs.

use actix_web::http::header;
use actix_web::{delete, get, patch, post};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain;
use super::views::{DeliveryList, DeliveryView, WebhookList, WebhookView, WebhookWithSecret};
use super::{delivery, service};
use crate::accounts::auth::Admin;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::error::ApiError;
use crate::http::Json;
use crate::ids::{DeliveryId, WebhookId};
use crate::pagination;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_webhook)
        .service(list_webhooks)
        .service(get_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(test_webhook)
        .service(rotate_secret)
        .service(list_deliveries)
        .service(retry_delivery);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookRequest {
    /// Where deliveries are posted: `https` (plain `http` only to `webhooks.allow_hosts`), an
    /// address on the public internet.
    #[schema(value_type = String, required = true, max_length = 2000)]
    pub url: Option<String>,
    /// The events it is sent (`report.created` and `moderation.action` need `staff`).
    #[schema(value_type = Vec<super::domain::EventType>, required = true, min_items = 1)]
    pub events: Option<Vec<String>>,
    #[schema(value_type = super::domain::Format, required = true)]
    pub format: Option<String>,
    /// On (default) or off.
    pub active: Option<bool>,
    /// A staff channel: may be sent reports and moderation actions (default false).
    pub staff: Option<bool>,
    /// A note for admins (at most 200 characters).
    #[schema(max_length = 200)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChangesRequest {
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    #[schema(value_type = Option<Vec<super::domain::EventType>>, min_items = 1)]
    pub events: Option<Vec<String>>,
    #[schema(value_type = Option<super::domain::Format>)]
    pub format: Option<String>,
    /// Turning a hook on again sends what waits for it and clears why it was off.
    pub active: Option<bool>,
    pub staff: Option<bool>,
    #[schema(max_length = 200)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Make a webhook; its signing secret is answered this once.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer_auth" = [])),
    request_body = NewWebhookRequest,
    responses(
        (status = 201, description = "The hook and its secret (`whsec_…`), shown once", body = WebhookWithSecret),
        (status = 422, description = "A bad field, or a URL whose address may not be reached"),
    )
)]
#[post("/admin/webhooks")]
pub async fn create_webhook(
    Admin(admin): Admin,
    body: Json<NewWebhookRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = domain::parse_new(
        body.url.as_deref(),
        body.events.as_deref(),
        body.format.as_deref(),
        body.active,
        body.staff,
        body.description.as_deref(),
    )?;
    service::check_target(&delivery::outbound(&settings), &input.url).await?;
    let (row, secret) = db::write(&pool, move |conn| service::create(conn, &admin, &input)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(WebhookWithSecret {
            webhook: row.into(),
            secret,
        }))
}

/// Every webhook.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer_auth" = [])),
    responses((status = 200, description = "The hooks, oldest first", body = WebhookList))
)]
#[get("/admin/webhooks")]
pub async fn list_webhooks(
    Admin(_admin): Admin,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let rows = db::write(&pool, service::list).await?;
    Ok(HttpResponse::Ok().json(WebhookList {
        items: rows.into_iter().map(WebhookView::from).collect(),
    }))
}

/// One webhook.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer_auth" = [])),
    params(("id" = WebhookId, Path, description = "A hook's id")),
    responses(
        (status = 200, description = "The hook", body = WebhookView),
        (status = 404, description = "No such hook"),
    )
)]
#[get("/admin/webhooks/{id}")]
pub async fn get_webhook(
    Admin(_admin): Admin,
    id: web::Path<WebhookId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db::write(&pool, move |conn| service::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(WebhookView::from(row)))
}

/// Change a webhook: its URL, events, format, staff mark, note, or turn it on or off.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer_auth" = [])),
    params(("id" = WebhookId, Path, description = "A hook's id")),
    request_body = WebhookChangesRequest,
    responses(
        (status = 200, description = "The hook as it is now", body = WebhookView),
        (status = 404, description = "No such hook"),
        (status = 422, description = "A bad field, or a URL whose address may not be reached"),
    )
)]
#[patch("/admin/webhooks/{id}")]
pub async fn update_webhook(
    Admin(_admin): Admin,
    id: web::Path<WebhookId>,
    body: Json<WebhookChangesRequest>,
    pool: web::Data<DbPool>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let changes = domain::parse_changes(
        body.url.as_deref(),
        body.events.as_deref(),
        body.format.as_deref(),
        body.active,
        body.staff,
        body.description.as_deref(),
    )?;
    if let Some(url) = &changes.url {
        service::check_target(&delivery::outbound(&settings), url).await?;
    }
    let row = db::write(&pool, move |conn| service::update(conn, id, &changes)).await?;
    Ok(HttpResponse::Ok().json(WebhookView::from(row)))
}

/// Delete a webhook and its delivery log.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer_auth" = [])),
    params(("id" = WebhookId, Path, description = "A hook's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such hook"),
    )
)]
#[delete("/admin/webhooks/{id}")]
pub async fn delete_webhook(
    Admin(_admin): Admin,
    id: web::Path<WebhookId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::write(&pool, move |conn| service::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send the hook a `ping` event now; its delivery appears in the log.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer_auth" = [])),
    params(("id" = WebhookId, Path, description = "A hook's id")),
    responses(
        (status = 202, description = "The ping's delivery, on its way", body = DeliveryView),
        (status = 404, description = "No such hook"),
        (status = 409, description = "The hook is turned off (`webhook_inactive`)"),
    )
)]
#[post("/admin/webhooks/{id}/test")]
pub async fn test_webhook(
    Admin(_admin): Admin,
    id: web::Path<WebhookId>,
    pool: web::Data<DbPool>,
    jobs: web::Data<crate::jobs::Waker>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let logged = db::write(&pool, move |conn| service::test(conn, id)).await?;
    jobs.wake();
    Ok(HttpResponse::Accepted().json(DeliveryView::new(logged)))
}

/// Make the hook a new secret (answered this once); the previous one keeps signing beside it
/// for 24 hours, so receivers can switch without missing a delivery.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer_auth" = [])),
    params(("id" = WebhookId, Path, description = "A hook's id")),
    responses(
        (status = 200, description = "The hook and its new secret, shown once", body = WebhookWithSecret),
        (status = 404, description = "No such hook"),
    )
)]
#[post("/admin/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(
    Admin(_admin): Admin,
    id: web::Path<WebhookId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (row, secret) = db::write(&pool, move |conn| {
        service::rotate_secret(conn, id, chrono::Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(WebhookWithSecret {
            webhook: row.into(),
            secret,
        }))
}

/// The hook's deliveries, newest first: status, attempts, the last answer.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer_auth" = [])),
    params(("id" = WebhookId, Path, description = "A hook's id"), DeliveriesQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryList),
        (status = 404, description = "No such hook"),
        (status = 422, description = "Invalid `limit`"),
    )
)]
#[get("/admin/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    Admin(_admin): Admin,
    id: web::Path<WebhookId>,
    query: web::Query<DeliveriesQuery>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let limit = pagination::limit(query.limit)?;
    let before: Option<i64> = pagination::decode_optional("deliveries", query.cursor.as_deref())?;
    let rows = db::write(&pool, move |conn| {
        service::deliveries(conn, id, before.map(DeliveryId), limit + 1)
    })
    .await?;
    let (rows, next_cursor) = pagination::split_page(rows, limit, |(row, _)| {
        pagination::encode("deliveries", &row.id.0)
    });
    Ok(HttpResponse::Ok().json(DeliveryList {
        items: rows.into_iter().map(DeliveryView::new).collect(),
        next_cursor,
    }))
}

/// Send a delivery again now, with its `webhook-id` (receivers deduplicate by it).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer_auth" = [])),
    params(
        ("id" = WebhookId, Path, description = "A hook's id"),
        ("delivery_id" = DeliveryId, Path, description = "One of its deliveries"),
    ),
    responses(
        (status = 202, description = "The delivery, due again", body = DeliveryView),
        (status = 404, description = "No such hook, or no such delivery of it"),
        (status = 409, description = "The hook is turned off (`webhook_inactive`)"),
    )
)]
#[post("/admin/webhooks/{id}/deliveries/{delivery_id}/retry")]
pub async fn retry_delivery(
    Admin(_admin): Admin,
    path: web::Path<(WebhookId, DeliveryId)>,
    pool: web::Data<DbPool>,
    jobs: web::Data<crate::jobs::Waker>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery_id) = path.into_inner();
    let logged = db::write(&pool, move |conn| service::retry(conn, id, delivery_id)).await?;
    jobs.wake();
    Ok(HttpResponse::Accepted().json(DeliveryView::new(logged)))
}
