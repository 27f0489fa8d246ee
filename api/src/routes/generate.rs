use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use relay_shared::store::{Bound, Created, Idempotency};
use relay_shared::telemetry::metrics;
use serde_json::json;
use tracing::{info, warn};

use super::body::read_body;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::validate;
use crate::AppState;

const GENERATE: &str = "/api/generate";

crate::routes::endpoints! {
    POST GENERATE => generate;
}

/// `POST /api/generate`: validate, store the job due now, answer at once.
#[utoipa::path(post, path = GENERATE, request_body = crate::openapi::GenerateBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "The same key within 24 h returns the same job")),
    responses((status = 202, description = "Accepted, due at once", body = crate::openapi::Accepted), (status = 400, description = "Malformed JSON", body = crate::openapi::ErrorBody), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 413, description = "Body larger than 64 KiB", body = crate::openapi::ErrorBody), (status = 415, description = "Content-Type is not application/json", body = crate::openapi::ErrorBody), (status = 422, description = "Invalid field", body = crate::openapi::ErrorBody), (status = 429, description = "Rate or active-jobs limit; see Retry-After", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn generate(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    if let Some(tenant) = caller.tenant() {
        submission_rate(&state, tenant).await?;
    }
    require_json(&request)?;
    let body = read_body(payload).await?;
    let mut job = validate::generate_request(&body, &state.limits)?;
    if let Some(url) = &job.webhook_url {
        let vetted = state.url_guard.vet(url).await.map_err(|why| {
            ApiError::new(
                ErrorCode::WebhookUrlRefused,
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
    let idempotency_key = idempotency_key(&request)?;
    let fingerprint = fingerprint(&body);
    // Idempotency keys are per tenant; the administrator (and open mode) have a scope of their own.
    let idempotency = idempotency_key.as_deref().map(|key| Idempotency {
        scope: caller.tenant().unwrap_or("_operator"),
        key,
        fingerprint: &fingerprint,
    });
    if let Some(idempotency) = &idempotency {
        if let Some(bound) = state.store.binding(idempotency).await? {
            return replay(&state, &bound, &fingerprint).await;
        }
    }
    let store = &state.store;
    let job_id = store.new_job_id(idempotency.as_ref());
    if let Some(tenant) = caller.tenant() {
        active_jobs_cap(&state, tenant, &job_id).await?;
    }
    let created = store
        .create_job_for(&job_id, &job, caller.tenant(), idempotency.as_ref())
        .await;
    let give_back = !matches!(created, Ok(Created::Stored));
    if let (Some(tenant), true) = (caller.tenant(), give_back) {
        if let Err(e) = store.release_active_place(tenant, &job_id).await {
            warn!(job = %job_id, "could not give back an active-job place ({e}); it is reclaimed when the cap is reached");
        }
    }
    if let Created::Bound(bound) = created? {
        return replay(&state, &bound, &fingerprint).await;
    }
    // REDIS_WAIT_REPLICAS: accepted only once the job survives the loss of the primary.
    store.replicated().await?;
    info!(job = %job_id, wallet = %job.wallet_address, model = %job.model, "📥 job accepted");
    metrics::job_created(&job.provider, &job.model);
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/videos/status/{job_id}")))
        .json(json!({ "jobId": job_id, "status": "queued" })))
}

/// The answer to a request whose idempotency key is bound already: that job, unless the key was
/// used with another body.
async fn replay(
    state: &AppState,
    bound: &Bound,
    fingerprint: &str,
) -> Result<HttpResponse, ApiError> {
    if bound.fingerprint != fingerprint {
        return Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different request body in the last 24 hours",
        ));
    }
    let status = state
        .store
        .job_for_api(&bound.job_id)
        .await?
        .map_or(relay_shared::job::JobStatus::Queued, |job| job.status());
    Ok(HttpResponse::Accepted()
        .insert_header(("Idempotent-Replayed", "true"))
        .insert_header((
            header::LOCATION,
            format!("/api/videos/status/{}", bound.job_id),
        ))
        .json(json!({ "jobId": bound.job_id, "status": status })))
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
            ErrorCode::UnsupportedMediaType,
            format!("Content-Type must be application/json, not {content_type:?}"),
        ))
    }
}

/// The tenant's submission rate (a token bucket in Redis shared by every API process).
async fn submission_rate(state: &AppState, tenant: &str) -> Result<(), ApiError> {
    let limits = state.tenant_limits;
    if limits.rate_per_min == 0 {
        return Ok(());
    }
    let taken = state
        .store
        .take_submission_token(tenant, limits.rate_per_min, limits.rate_burst)
        .await?;
    taken.map_err(|wait| {
        ApiError::too_many(
            ErrorCode::RateLimited,
            format!(
                "more than {} submissions a minute (burst {}); retry after the Retry-After seconds",
                limits.rate_per_min, limits.rate_burst
            ),
            wait,
        )
    })
}

/// The tenant's cap on jobs not yet finished: a place is reserved for the job about to be created
/// in one step with the check, so concurrent submissions never overshoot.
async fn active_jobs_cap(state: &AppState, tenant: &str, job_id: &str) -> Result<(), ApiError> {
    let limits = &state.tenant_limits;
    let cap = limits.max_active_jobs;
    if cap == 0 {
        return Ok(());
    }
    let reserved = state
        .store
        .reserve_active_place(tenant, job_id, cap, limits.active_place_lifetime)
        .await?;
    if !reserved {
        return Err(ApiError::too_many(
            ErrorCode::TooManyActiveJobs,
            format!("{cap} jobs are still running; at most {cap} may be at once"),
            std::time::Duration::from_secs(5),
        ));
    }
    Ok(())
}

/// The `Idempotency-Key` header, if sent: 1 to 255 visible ASCII characters.
fn idempotency_key(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get("idempotency-key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(key.to_owned()))
        }
        _ => Err(ApiError::invalid_field(
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        )),
    }
}

/// What makes two submissions "the same": their JSON, whatever its spacing or key order.
fn fingerprint(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .map(|v| canonical_json(&v))
        .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned());
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Compact JSON with every object's keys sorted.
fn canonical_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by_key(|(k, _)| *k);
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        serde_json::Value::from(k.as_str()),
                        canonical_json(v)
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        serde_json::Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_json_in_any_key_order_or_spacing_has_one_fingerprint() {
        let a = fingerprint(br#"{"script":"x","walletAddress":"w","metadata":{"b":1,"a":[2,3]}}"#);
        let b = fingerprint(
            br#"{ "walletAddress": "w", "metadata": {"a": [2, 3], "b": 1}, "script": "x" }"#,
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            fingerprint(br#"{"script":"y","walletAddress":"w","metadata":{"b":1,"a":[2,3]}}"#)
        );
    }
}
