//! What the dashboard draws over time: a job's quiet polls (its timeline beside its events and
//! their webhook attempts, `GET /api/videos/{jobId}/deliveries`), and the last hour of the stats,
//! minute by minute — the caller's own for a tenant.

use actix_web::{web, HttpResponse};
use relay_shared::job::poll_log;
use relay_shared::time::iso8601_from_ms;
use serde::Deserialize;
use serde_json::json;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

const POLLS: &str = "/api/videos/{job_id}/polls";
const MINUTES: &str = "/api/stats/minutes";
/// The series keep two hours (`count_in_minute` in prelude.lua).
const MINUTES_MAX: i64 = 120;

crate::routes::endpoints! {
    GET POLLS => polls;
    GET MINUTES => minutes;
}

/// `GET /api/videos/{jobId}/polls`: the job's latest polls that found nothing new, oldest first
/// (those that changed something are its events, with their own times).
#[utoipa::path(get, path = POLLS, params(("job_id" = String, Path)),
    responses((status = 200, description = "`{\"jobId\", \"polls\": [{\"at\"}…], \"total\": n, \"kept\": n}`: the latest polls that found nothing new, oldest first (at most `kept`), of `total` so far"), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 404, description = "Not found (or another tenant's)", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn polls(
    state: web::Data<AppState>,
    caller: Caller,
    job_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.job(&state.store, &job_id).await?;
    let log = state.store.poll_log(&job_id).await?;
    let polls: Vec<_> = log
        .latest
        .iter()
        .map(|at| json!({ "at": iso8601_from_ms(*at) }))
        .collect();
    Ok(HttpResponse::Ok().json(
        json!({ "jobId": job_id.as_str(), "polls": polls, "total": log.total, "kept": poll_log::KEEP }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct MinutesQuery {
    /// How many minutes, up to now: 1 to 120, default 60.
    minutes: Option<i64>,
}

/// `GET /api/stats/minutes`: per minute, what entered each counter (jobs queued, processing,
/// completed, failed, …; webhooks delivered, failed, dead-lettered — the relay's only).
#[utoipa::path(get, path = MINUTES, params(MinutesQuery),
    responses((status = 200, description = "`{\"minutes\": [{\"minute\": ISO-8601, \"counts\": {name: n}}…]}`, oldest first"), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 422, description = "Invalid `minutes`", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn minutes(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<MinutesQuery>,
) -> Result<HttpResponse, ApiError> {
    let minutes = super::count_within("minutes", query.minutes, 60, MINUTES_MAX)?;
    let now = chrono::Utc::now().timestamp();
    let series = state.store.minutes(caller.tenant(), minutes, now).await?;
    let series: Vec<_> = series
        .into_iter()
        .map(|m| json!({ "minute": iso8601_from_ms(m.minute * 1000), "counts": m.counts }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "minutes": series })))
}
