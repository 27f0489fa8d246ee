use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use relay_shared::keys::new_job_id;
use serde_json::json;
use tracing::info;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::validate;
use crate::AppState;

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

/// `POST /api/generate`: validate, store the job due now, answer at once.
pub async fn generate(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_json(&request)?;
    let body = read_body(payload).await?;
    let mut job = validate::generate_request(&body, &state.limits)?;
    if let Some(url) = &job.webhook_url {
        let vetted = state.url_guard.vet(url).await.map_err(|why| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "webhook_url_refused",
                format!("webhookUrl refused: {why}"),
            )
        })?;
        job.webhook_url = Some(vetted.to_string());
    }
    if let (None, Some(tenant)) = (&job.webhook_url, caller.tenant()) {
        // A tenant's own webhook URL (vetted when the tenant was created) replaces the global one.
        job.webhook_url = state
            .store
            .tenant(tenant)
            .await?
            .and_then(|t| t.webhook_url);
    }
    let job_id = new_job_id();
    state
        .store
        .create_job_for(&job_id, &job, caller.tenant())
        .await?;
    info!(job = %job_id, wallet = %job.wallet_address, model = %job.model, "📥 job accepted");
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/videos/status/{job_id}")))
        .json(json!({ "jobId": job_id, "status": "queued" })))
}

fn require_json(request: &HttpRequest) -> Result<(), ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("Content-Type must be application/json, not {content_type:?}"),
        ))
    }
}

async fn read_body(mut payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("could not read the request body: {e}"),
            )
        })?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("request body is larger than {BODY_LIMIT} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
