//! `GET /admin/stats`: community health over a range, for staff.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::domain::{self, Format};
use super::service;
use super::views::{self, StatsView};
use crate::accounts::auth::Moderator;
use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(community_stats);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQueryParams {
    /// First day (UTC), an RFC 3339 date (or a timestamp, read as its UTC day); 30 days before
    /// `to` by default.
    #[param(format = Date, example = "2026-11-01")]
    pub from: Option<String>,
    /// Last day (UTC), inclusive; today by default (a later day reads as today).
    #[param(format = Date, example = "2026-11-30")]
    pub to: Option<String>,
    /// `day` (default), `week` (from Monday) or `month`.
    #[param(pattern = "^(day|week|month)$")]
    pub interval: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// Community health: the daily rollups of a range, by day, week or month (staff; moderators
/// read it too). At most 731 days by day, 3,653 by week or month.
#[utoipa::path(
    tag = "stats",
    security(("bearer_auth" = [])),
    params(StatsQueryParams),
    responses(
        (status = 200, description = "The series and totals; with `format=csv`, a header and \
                                      then a row per point",
         content((StatsView = "application/json"), (String = "text/csv"))),
        (status = 422, description = "A bad date, interval or format, `from` after `to` or \
                                      today, or a range too long for its interval"),
    )
)]
#[get("/admin/stats")]
pub async fn community_stats(
    Moderator(_staff): Moderator,
    query: web::Query<StatsQueryParams>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let today = chrono::Utc::now().date_naive();
    let query = domain::parse_query(
        query.from.as_deref(),
        query.to.as_deref(),
        query.interval.as_deref(),
        query.format.as_deref(),
        today,
    )?;
    let stats = db::read(&pool, Cost::Large, move |conn| {
        service::read(conn, &query, today)
    })
    .await?;
    Ok(match query.format {
        Format::Json => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "private, no-cache"))
            .json(StatsView::from(stats)),
        Format::Csv => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "private, no-cache"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"devforum-stats-{}-{}-by-{}.csv\"",
                    stats.from, stats.to, stats.interval
                ),
            ))
            .content_type("text/csv; charset=utf-8")
            .body(views::csv(&stats)),
    })
}
