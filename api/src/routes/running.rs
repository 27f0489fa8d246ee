//! `GET /api/jobs`: the jobs still running (queued or processing), newest first — the caller's
//! own for a tenant. Filters: `status`, `provider`; `limit` (1–1000, default 100). Read from the
//! partitions' schedules, up to `limit` jobs each (`Store::running_jobs`): `truncated` says some
//! partition held more, so that a caller knows the list is a page of a larger whole.

use actix_web::{web, HttpResponse};
use relay_shared::job::JobStatus;
use relay_shared::store::layout::field;
use serde::Deserialize;
use serde_json::json;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

const RUNNING: &str = "/api/jobs";
const LIMIT_MAX: usize = 1000;

crate::routes::endpoints! {
    GET RUNNING => running;
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RunningQuery {
    /// `queued` or `processing`.
    status: Option<String>,
    /// One provider's jobs (`fal`, `replicate`, …).
    provider: Option<String>,
    /// Most jobs returned: 1 to 1000, default 100.
    limit: Option<usize>,
}

/// `GET /api/jobs`: running jobs, newest first.
#[utoipa::path(get, path = RUNNING, params(RunningQuery),
    responses((status = 200, description = "`{\"jobs\": [job view…], \"truncated\": bool}`, newest first"), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 422, description = "Invalid filter", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn running(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<RunningQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = match query.status.as_deref() {
        None => None,
        Some(text) => match text.parse::<JobStatus>() {
            Ok(status) if !status.is_terminal() => Some(status),
            _ => {
                return Err(ApiError::invalid_field(format!(
                    "status must be queued or processing (running jobs), not {text:?}"
                )))
            }
        },
    };
    let limit = super::count_within("limit", query.limit, 100, LIMIT_MAX)?;
    let running = state.store.running_jobs(limit).await?;
    let mut jobs: Vec<_> = running
        .jobs
        .iter()
        .filter(|job| {
            caller
                .tenant()
                .is_none_or(|t| job.get(field::TENANT) == Some(t))
        })
        .map(|job| job.view())
        .filter(|view| status.is_none_or(|s| view.status == s))
        .filter(|view| query.provider.as_deref().is_none_or(|p| view.provider == p))
        .collect();
    jobs.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    let truncated = running.truncated || jobs.len() > limit;
    jobs.truncate(limit);
    Ok(HttpResponse::Ok().json(json!({ "jobs": jobs, "truncated": truncated })))
}
