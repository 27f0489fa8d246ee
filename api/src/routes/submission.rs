//! `POST /api/videos/{jobId}/submission`: an operator settles a submission whose outcome nobody
//! can tell (the worker died mid-create and the provider's list cannot say whether a video was
//! made): adopt a video the operator found at the provider, or submit again. The decision is
//! recorded on the job and carried out by the worker that next claims it.

use actix_web::{web, HttpResponse};
use relay_shared::store::Settle;
use serde_json::Value;
use tracing::info;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::AppState;

const SETTLE: &str = "/api/videos/{job_id}/submission";

crate::routes::endpoints! {
    POST SETTLE => settle;
}

/// Longest provider job id accepted.
const PROVIDER_ID_MAX_CHARS: usize = 256;

/// Only the operator may settle: a provider account is shared by every tenant, so adopting a
/// video by id is the operator's call, not a tenant's.
#[utoipa::path(post, path = SETTLE, params(("job_id" = String, Path)),
    request_body = crate::openapi::SettleBody,
    responses((status = 202, description = "Recorded; the job is due now and its worker carries it out", body = relay_shared::job::JobView), (status = 400, description = "Malformed JSON", body = crate::openapi::ErrorBody), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 403, description = "Needs the administrator's key", body = crate::openapi::ErrorBody), (status = 404, description = "No such job", body = crate::openapi::ErrorBody), (status = 409, description = "The job's submission is not unknown", body = crate::openapi::ErrorBody), (status = 413, description = "Body larger than 64 KiB", body = crate::openapi::ErrorBody), (status = 422, description = "Invalid field", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn settle(
    state: web::Data<AppState>,
    caller: Caller,
    job_id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require_operator()?;
    let request = serde_json::Value::Object(super::body::read_object(payload).await?);
    let decision = decision(&request)?;
    match state.store.settle_submission(&job_id, &decision).await? {
        None => Err(ApiError::job_not_found(&job_id)),
        Some(false) => Err(ApiError::new(
            ErrorCode::SubmissionKnown,
            format!("job {job_id:?} has no submission of unknown outcome to settle"),
        )),
        Some(true) => {
            info!(job = %job_id, "🧭 an operator settled the unknown submission: {}", decision.encode());
            let job = caller.job(&state.store, &job_id).await?;
            Ok(HttpResponse::Accepted().json(job.view()))
        }
    }
}

/// `{"providerJobId": "…"}` or `{"resubmit": true}`: exactly one.
fn decision(request: &Value) -> Result<Settle, ApiError> {
    let both_or_neither = || {
        ApiError::invalid_field(
            "give exactly one of providerJobId (the video to adopt) and resubmit: true",
        )
    };
    match (&request["providerJobId"], &request["resubmit"]) {
        (Value::String(id), Value::Null) => {
            let valid = (1..=PROVIDER_ID_MAX_CHARS).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_graphic());
            if !valid {
                return Err(ApiError::invalid_field(format!(
                    "providerJobId must be 1 to {PROVIDER_ID_MAX_CHARS} visible ASCII characters"
                )));
            }
            Ok(Settle::Adopt(id.clone()))
        }
        (Value::Null, Value::Bool(true)) => Ok(Settle::Resubmit),
        (Value::Null, Value::Null) | (Value::String(_), _) | (Value::Null, _) => {
            Err(both_or_neither())
        }
        _ => Err(ApiError::invalid_field("providerJobId must be a string")),
    }
}
