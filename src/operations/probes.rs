//! `GET /health` (the process answers) and `GET /ready` (its dependencies answer).

use actix_web::get;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{self, Cost, DbPool};
use crate::error::ApiError;
use crate::reads::Reads;
use crate::search::SearchEngine;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    /// Always `ok` when the process can answer.
    pub status: String,
    pub version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DependencyState {
    /// `up` or `down`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchState {
    /// `postgres` or `meilisearch`.
    pub engine: String,
    /// `up` or `down`.
    pub state: String,
}

/// The read replica, when one is configured (`database.replica_url`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplicaState {
    /// `up` (reads may go to it) or `down` (every read goes to the primary).
    pub state: String,
    /// How far its last replayed transaction is behind, in seconds (0 when caught up).
    pub lag_seconds: f64,
    /// WAL it has yet to replay, in bytes.
    pub lag_bytes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyStatus {
    /// `ready` when every dependency needed to serve requests answers.
    pub status: String,
    pub database: DependencyState,
    pub search: SearchState,
    /// Present only with a replica; a replica down is reported, never fatal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica: Option<ReplicaState>,
}

/// The process is up.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is up", body = HealthStatus))
)]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// The service can serve requests: the database answers; the search engine's state is reported.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = ReadyStatus),
        (status = 503, description = "A dependency is down")
    )
)]
#[get("/ready")]
pub async fn ready(
    pool: web::Data<DbPool>,
    engine: web::Data<SearchEngine>,
    reads: web::Data<Reads>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let database = db::read(&pool, Cost::Large, |conn| {
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    })
    .await;
    let database_up = database.is_ok();
    let database_state = DependencyState {
        state: if database_up { "up" } else { "down" }.into(),
        latency_ms: database_up.then(|| started.elapsed().as_secs_f64() * 1000.0),
    };
    // Search down is reported, not fatal: everything else still works, and the index
    // catches up when the engine is back.
    let search_up = database_up && engine.is_up(&pool).await;
    let search = SearchState {
        engine: engine.name().into(),
        state: if search_up { "up" } else { "down" }.into(),
    };
    let replica = reads.status().map(|status| ReplicaState {
        state: if status.up { "up" } else { "down" }.into(),
        lag_seconds: status.lag_secs,
        lag_bytes: status.lag_bytes,
    });
    if database_up {
        HttpResponse::Ok().json(ReadyStatus {
            status: "ready".into(),
            database: database_state,
            search,
            replica,
        })
    } else {
        if let Err(error) = database {
            tracing::warn!(error = ?error, "readiness check failed");
        }
        let problem =
            ApiError::unavailable("not_ready", "The database is not reachable.").problem();
        let mut body = serde_json::to_value(&problem).unwrap_or_default();
        body["database"] = serde_json::to_value(&database_state).unwrap_or_default();
        body["search"] = serde_json::to_value(&search).unwrap_or_default();
        HttpResponse::ServiceUnavailable()
            .content_type(crate::error::PROBLEM_CONTENT_TYPE)
            .json(body)
    }
}
