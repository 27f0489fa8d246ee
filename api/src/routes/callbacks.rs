//! `POST /api/providers/{provider}/callback?job={jobId}`: a provider says a video changed. The
//! signature is verified with the provider's own scheme (`relay_shared::provider::callback`); a
//! good one makes the job due now, and the poll that follows learns what changed. Providers that
//! sign nothing (Luma) call back at `/api/providers/{provider}/callback/{token}?job={jobId}`, the
//! job's own unguessable path, which stands in for the signature. Nothing else
//! happens here — no provider call, nothing from the body written — so the answer is fast, a
//! repeated callback only asks for a poll that is already due, and a forged or replayed one can
//! never finish a job.

use actix_web::{web, HttpRequest, HttpResponse};
use relay_shared::provider::callback::{Address, Refused};
use relay_shared::store::layout::field;
use relay_shared::store::ForcePoll;
use serde::Deserialize;
use serde_json::json;
use tracing::{debug, warn};

use super::body::read_body_up_to;
use crate::error::{ApiError, ErrorCode};
use crate::AppState;

const CALLBACK: &str = "/api/providers/{provider}/callback";
const TOKENED_CALLBACK: &str = "/api/providers/{provider}/callback/{token}";

/// Provider callbacks carry whole predictions (with their logs): larger than a job request.
const CALLBACK_BODY_LIMIT: usize = 1024 * 1024;

crate::routes::endpoints! {
    POST CALLBACK => callback;
    POST TOKENED_CALLBACK => tokened_callback;
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    /// The job the callback is about, as the relay asked the provider to call back.
    job: Option<String>,
}

/// `POST /api/providers/{provider}/callback?job={jobId}`: verified, then the job is due now.
#[utoipa::path(post, path = CALLBACK, params(("provider" = String, Path, description = "replicate, fal or openrouter"), ("job" = Option<String>, Query, description = "The job, as the relay's callback URL names it")),
    request_body(content = serde_json::Value, description = "The provider's own callback body, signed in its own headers"),
    responses((status = 200, description = "Verified; the job is polled now (or there was nothing to do)"), (status = 401, description = "Bad or stale signature; nothing changed", body = crate::openapi::ErrorBody), (status = 404, description = "No such provider enabled here", body = crate::openapi::ErrorBody), (status = 413, description = "Body larger than 1 MiB", body = crate::openapi::ErrorBody), (status = 503, description = "Signing keys or Redis unavailable; the provider retries", body = crate::openapi::ErrorBody)))]
pub async fn callback(
    state: web::Data<AppState>,
    request: HttpRequest,
    provider: web::Path<String>,
    query: web::Query<CallbackQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    handle(state, request, provider.into_inner(), None, query, payload).await
}

/// `POST /api/providers/{provider}/callback/{token}?job={jobId}`: an unsigned callback at the
/// job's own path; believed when the token is the job's, then as above.
#[utoipa::path(post, path = TOKENED_CALLBACK, params(("provider" = String, Path, description = "luma"), ("token" = String, Path, description = "The job's callback token, as the relay's callback URL names it"), ("job" = Option<String>, Query, description = "The job, as the relay's callback URL names it")),
    request_body(content = serde_json::Value, description = "The provider's own callback body"),
    responses((status = 200, description = "Believed; the job is polled now (or there was nothing to do)"), (status = 401, description = "Not this job's path; nothing changed", body = crate::openapi::ErrorBody), (status = 404, description = "No such provider enabled here, or it signs its callbacks", body = crate::openapi::ErrorBody), (status = 413, description = "Body larger than 1 MiB", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; the provider retries", body = crate::openapi::ErrorBody)))]
pub async fn tokened_callback(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<CallbackQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (provider, token) = path.into_inner();
    handle(state, request, provider, Some(token), query, payload).await
}

async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    provider: String,
    token: Option<String>,
    query: web::Query<CallbackQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    if !state.callback_providers.contains(&provider.as_str()) {
        return Err(ApiError::new(
            ErrorCode::ProviderNotFound,
            format!("no provider {provider:?} calls back here"),
        ));
    }
    let body = read_body_up_to(payload, CALLBACK_BODY_LIMIT).await?;
    let headers = reqwest_headers(&request);
    let hint = state
        .callbacks
        .verify(
            &provider,
            Address {
                job: query.job.as_deref(),
                token: token.as_deref(),
            },
            &headers,
            &body,
        )
        .await
        .map_err(|refused| {
            warn!(provider, "refused a callback: {refused}");
            match refused {
                Refused::KeysUnavailable => {
                    ApiError::new(ErrorCode::SigningKeysUnavailable, refused.to_string())
                }
                Refused::UnknownProvider(_) => {
                    ApiError::new(ErrorCode::ProviderNotFound, refused.to_string())
                }
                _ => ApiError::new(ErrorCode::InvalidSignature, refused.to_string()),
            }
        })?;
    let ignored = |why: &str| {
        debug!(provider, video = %hint.video_id, "callback ignored: {why}");
        Ok(HttpResponse::Ok().json(json!({ "received": true, "polling": false, "reason": why })))
    };
    let Some(job_id) = query.job.as_deref() else {
        return ignored("no job named; the job's regular poll will see the change");
    };
    let Some(job) = state.store.job_for_api(job_id).await? else {
        return ignored("no such job (it may have expired)");
    };
    let job_provider = job
        .get(field::PROVIDER)
        .unwrap_or(relay_shared::provider::registry::DEFAULT);
    let video = job.state().and_then(|s| s.provider_job);
    let about_this_job =
        job_provider == provider && video.as_ref().is_none_or(|video| hint.names(&video.id));
    if !about_this_job {
        // Signed by the provider, but about another video: a callback moved to another job's URL.
        return ignored("the callback is about another video than this job's");
    }
    match state.store.force_poll(job_id).await? {
        ForcePoll::Scheduled(_) => {
            debug!(provider, job = job_id, "callback: polling now");
            Ok(HttpResponse::Ok().json(json!({ "received": true, "polling": true })))
        }
        ForcePoll::Terminal(_) => ignored("the job is final"),
        ForcePoll::Unknown => ignored("no such job (it may have expired)"),
    }
}

/// The request's headers in the form the verifiers read.
fn reqwest_headers(request: &HttpRequest) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in request.headers() {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    headers
}
