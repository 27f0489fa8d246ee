//! A job's video: `GET /api/videos/{jobId}/content[?index=N]` streams it — from the content store
//! once kept (`CONTENT_STORE`), with `ETag` (its SHA-256), `Accept-Ranges` and single `Range`
//! requests (206, or 416 outside it), so a browser can seek; without custody, proxied from the
//! provider with the server's key. The job's tenant or the administrator may read it, and so may
//! anyone holding a signed link to it (`?expires=…&sig=…`, [`relay_shared::content::link`]).
//! `DELETE` deletes the kept video now.

use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use relay_shared::content::link::Refused;
use relay_shared::job::{Job, JobStatus};
use serde::Deserialize;
use tracing::{info, warn};

use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::AppState;

const CONTENT: &str = "/api/videos/{job_id}/content";

mod proxy;
mod serve;

use proxy::proxy;
use serve::serve_kept;

crate::routes::endpoints! {
    GET CONTENT => content;
    DELETE CONTENT => delete_content;
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// Which output (0, the first, by default).
    index: Option<usize>,
    /// A signed link's expiry (unix seconds).
    expires: Option<i64>,
    /// A signed link's signature.
    sig: Option<String>,
}

/// `GET /api/videos/{jobId}/content`: the job's video, to its tenant, the administrator, or the
/// holder of a signed link.
#[utoipa::path(get, path = CONTENT, params(("job_id" = String, Path), ContentQuery),
    responses((status = 200, description = "The video", content_type = "video/mp4"), (status = 206, description = "The range asked for"), (status = 304, description = "Not modified (If-None-Match)"), (status = 401, description = "No valid API key and no signed link", body = crate::openapi::ErrorBody), (status = 403, description = "A signed link that is tampered with or expired", body = crate::openapi::ErrorBody), (status = 404, description = "No such job (or another tenant's), or no output at this index", body = crate::openapi::ErrorBody), (status = 409, description = "The job has not completed", body = crate::openapi::ErrorBody), (status = 410, description = "The video was deleted", body = crate::openapi::ErrorBody), (status = 416, description = "The range lies outside the video", body = crate::openapi::ErrorBody), (status = 422, description = "A query parameter of the wrong type", body = crate::openapi::ErrorBody), (status = 502, description = "The provider's content could not be fetched (no custody)", body = crate::openapi::ErrorBody), (status = 503, description = "Redis or the content store unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn content(
    state: web::Data<AppState>,
    request: HttpRequest,
    job_id: web::Path<String>,
    query: web::Query<ContentQuery>,
) -> Result<HttpResponse, ApiError> {
    let index = query.index.unwrap_or(0);
    let job = match (&query.sig, query.expires) {
        (None, None) => {
            let caller = Caller::extract(&request).await?;
            caller.job(&state.store, &job_id).await?
        }
        (Some(sig), Some(expires)) => {
            let signer = state.custody.as_ref().and_then(|c| c.signer.as_ref());
            let Some(signer) = signer else {
                return Err(link_refused(Refused::BadSignature));
            };
            signer
                .verify(&job_id, index, expires, sig, chrono::Utc::now().timestamp())
                .map_err(link_refused)?;
            state
                .store
                .job_for_api(&job_id)
                .await?
                .ok_or_else(|| ApiError::job_not_found(&job_id))?
        }
        _ => {
            return Err(ApiError::new(
                ErrorCode::LinkInvalid,
                "a signed link carries both expires and sig",
            ))
        }
    };
    if job.content_deleted() {
        return Err(deleted(&job_id));
    }
    if job.status() != JobStatus::Completed {
        return Err(ApiError::new(
            ErrorCode::ContentNotReady,
            format!("job {job_id} is {}: its video is not ready", job.status()),
        ));
    }
    match (job.kept(), &state.custody) {
        (Some(kept), Some(custody)) => {
            let Some(one) = kept.get(index) else {
                return Err(no_output(&job_id, index));
            };
            serve_kept(custody, &job_id, index, one, &request).await
        }
        (Some(_), None) => Err(ApiError::new(
            ErrorCode::ContentStoreUnavailable,
            "the video was kept, but this API process has no CONTENT_STORE to read it from",
        )),
        (None, _) => proxy(&state, &job, index, &request).await,
    }
}

/// `DELETE /api/videos/{jobId}/content`: deletes the job's kept video now (and its scheduled
/// deletion). Answers 204, also when it was already deleted.
#[utoipa::path(delete, path = CONTENT, params(("job_id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 404, description = "No such job (or another tenant's), or nothing kept for it", body = crate::openapi::ErrorBody), (status = 409, description = "This relay keeps no videos (CONTENT_STORE=off)", body = crate::openapi::ErrorBody), (status = 503, description = "Redis or the content store unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn delete_content(
    state: web::Data<AppState>,
    caller: Caller,
    job_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = caller.job(&state.store, &job_id).await?;
    let Some(custody) = &state.custody else {
        return Err(ApiError::new(
            ErrorCode::ContentNotKept,
            "this relay keeps no videos (CONTENT_STORE=off): the provider holds them",
        ));
    };
    let Some(kept) = job.kept() else {
        return Err(ApiError::new(
            ErrorCode::ContentNotFound,
            format!("job {job_id} has no kept video"),
        ));
    };
    for index in 0..kept.len() {
        custody
            .store
            .delete(&custody.store.path(&job_id, index))
            .await
            .map_err(store_unavailable)?;
    }
    let job_ref = state
        .store
        .keys()
        .job_ref(&job_id)
        .ok_or_else(|| ApiError::job_not_found(&job_id))?;
    state.store.content_deleted(&job_ref, "").await?;
    info!(job = %job_id, "🗑️ Kept video deleted on request");
    Ok(HttpResponse::NoContent().finish())
}

/// The status view as clients read it: under custody `videoUrl` links to the kept copy (fresh
/// for each read) and `contentExpiresAt` says until when the link works; once deleted, neither.
pub async fn view_of(state: &AppState, job: &Job) -> relay_shared::job::JobView {
    let mut view = job.view();
    if job.kept().is_none() {
        return view;
    }
    if job.content_deleted() {
        view.video_url = None;
        view.content_expires_at = None;
    } else if let Some(custody) = &state.custody {
        let now = chrono::Utc::now().timestamp();
        let (url, expires) = custody.link(&job.id, 0, now).await;
        view.video_url = Some(url);
        view.content_expires_at = Some(expires);
    }
    view
}

fn link_refused(why: Refused) -> ApiError {
    match why {
        Refused::Expired => ApiError::new(ErrorCode::LinkExpired, "this link has expired"),
        Refused::BadSignature => ApiError::new(
            ErrorCode::LinkInvalid,
            "this link's signature does not match it",
        ),
    }
}

fn deleted(job_id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ContentDeleted,
        format!("job {job_id}'s kept video was deleted"),
    )
}

fn no_output(job_id: &str, index: usize) -> ApiError {
    ApiError::new(
        ErrorCode::ContentNotFound,
        format!("job {job_id} has no output {index}"),
    )
}

fn store_unavailable(e: object_store::Error) -> ApiError {
    warn!("content store: {e}");
    ApiError {
        retry_after: Some(1),
        ..ApiError::new(
            ErrorCode::ContentStoreUnavailable,
            "the content store cannot be reached now; retry",
        )
    }
}
