use actix_web::{web, HttpResponse};
use relay_shared::store::ForcePoll;
use tracing::info;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::AppState;

const STATUS: &str = "/api/videos/status/{job_id}";
const STATS: &str = "/api/sora/stats";
const FORCE_POLL: &str = "/api/sora/poll/{job_id}";
const CANCEL: &str = "/api/videos/{job_id}/cancel";

crate::routes::endpoints! {
    GET STATUS => status;
    GET STATS => stats;
    POST FORCE_POLL => force_poll;
    POST CANCEL => cancel;
}

/// `GET /api/videos/status/{jobId}`: the fallback for clients whose webhook did not arrive.
#[utoipa::path(get, path = STATUS, params(("job_id" = String, Path)),
    responses((status = 200, description = "The job", body = relay_shared::job::JobView), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 404, description = "Not found (or another tenant's)", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn status(
    state: web::Data<AppState>,
    caller: Caller,
    job_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = caller.job(&state.store, &job_id).await?;
    Ok(HttpResponse::Ok().json(super::content::view_of(&state, &job).await))
}

/// `GET /api/sora/stats`: counters kept in step with every transition; no scan.
/// A tenant gets its own jobs' counters.
#[utoipa::path(get, path = STATS,
    responses((status = 200, description = "Counts by status (a tenant's own)", body = relay_shared::job::Stats), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn stats(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.store.stats_of(caller.tenant()).await?))
}

/// `POST /api/sora/poll/{jobId}`: make the job due now; a worker is woken to poll it.
#[utoipa::path(post, path = FORCE_POLL, params(("job_id" = String, Path)),
    responses((status = 202, description = "Due now", body = relay_shared::job::JobView), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 404, description = "Not found (or another tenant's)", body = crate::openapi::ErrorBody), (status = 409, description = "Already final", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn force_poll(
    state: web::Data<AppState>,
    caller: Caller,
    job_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    make_due(&state, &caller, &job_id, Due::Poll).await
}

/// `POST /api/videos/{jobId}/cancel`: the job's next poll — due now — stops its video at the
/// provider where it can (Replicate, fal, Runway, Luma) and ends the job `cancelled`, with its
/// webhook. Answers at once, with the job as it was; its events say when it is cancelled.
#[utoipa::path(post, path = CANCEL, params(("job_id" = String, Path)),
    responses((status = 202, description = "Asked; the job's next poll, due now, cancels it", body = relay_shared::job::JobView), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 404, description = "Not found (or another tenant's)", body = crate::openapi::ErrorBody), (status = 409, description = "Already final", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    job_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    make_due(&state, &caller, &job_id, Due::Cancel).await
}

/// Why a request makes a job due now: to poll it, or to cancel it on that poll.
#[derive(Clone, Copy)]
enum Due {
    Poll,
    Cancel,
}

/// Makes the caller's job due now: 202 with the job, 404 (also for another tenant's), or 409
/// when it is already final.
async fn make_due(
    state: &AppState,
    caller: &Caller,
    job_id: &str,
    why: Due,
) -> Result<HttpResponse, ApiError> {
    // The operator may act on any job: only a tenant's call needs the read that checks ownership.
    if caller.tenant().is_some() {
        caller.job(&state.store, job_id).await?;
    }
    let (found, verb, log) = match why {
        Due::Poll => (
            state.store.force_poll(job_id).await?,
            "poll",
            "⚡ force poll requested",
        ),
        Due::Cancel => (
            state.store.request_cancel(job_id).await?,
            "cancel",
            "🛑 cancellation requested",
        ),
    };
    match found {
        ForcePoll::Unknown => Err(ApiError::job_not_found(job_id)),
        ForcePoll::Terminal(job) => Err(ApiError::new(
            ErrorCode::JobTerminal,
            format!(
                "job {} is already {}; there is nothing left to {verb}",
                job.id,
                job.status()
            ),
        )),
        ForcePoll::Scheduled(job) => {
            info!(job = %job.id, "{log}");
            Ok(HttpResponse::Accepted().json(job.view()))
        }
    }
}
