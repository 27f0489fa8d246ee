//! The webhook attempt log, redelivery of one event, and recovery of dead letters.

use actix_web::{web, HttpResponse};
use chrono::DateTime;
use relay_shared::store::layout::field;
use relay_shared::store::Requeued;
use relay_shared::time::iso8601_from_ms;
use relay_shared::webhook::{event_id, AttemptEntry, AttemptOutcome};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::openapi::{Delivery, DeliveryList, DeliveryState};
use crate::AppState;

const LIST: &str = "/api/videos/{job_id}/deliveries";
const RECOVER: &str = "/api/deliveries/recover";
const REDELIVER: &str = "/api/deliveries/{delivery_id}/redeliver";

crate::routes::endpoints! {
    GET LIST => list;
    POST RECOVER => recover;
    POST REDELIVER => redeliver;
}

/// `GET /api/videos/{jobId}/deliveries`: every event of the job with every attempt.
#[utoipa::path(get, path = LIST, params(("job_id" = String, Path)),
    responses((status = 200, description = "Every event with every attempt", body = crate::openapi::DeliveryList), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 404, description = "Not found (or another tenant's)", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    job_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.job(&state.store, &job_id).await?;
    let history = state
        .store
        .delivery_history(&job_id)
        .await?
        .unwrap_or_default();
    let tenant = caller.tenant().is_some();
    let operator_url = state.operator_webhook_url.as_deref();
    let attempts: Vec<AttemptEntry> = history
        .attempts
        .iter()
        .filter_map(|line| AttemptEntry::parse(line))
        .map(|mut attempt| {
            if tenant && attempt.at_operator(operator_url) {
                // A tenant sees that and when its event was sent, not the operator's endpoint
                // (its URL carries the operator's tokens) nor what it answered.
                attempt.url = None;
                attempt.response = None;
            }
            attempt
        })
        .collect();
    let deliveries: Vec<Delivery> = history
        .events
        .iter()
        .map(|(seq, body, created)| {
            let tried: Vec<AttemptEntry> = attempts
                .iter()
                .filter(|a| a.sequence == *seq)
                .cloned()
                .collect();
            let state = if history.pending.contains(seq) {
                DeliveryState::Pending
            } else if history.dead.contains(seq) {
                DeliveryState::Dead
            } else if tried.iter().any(|a| a.outcome == AttemptOutcome::Delivered) {
                DeliveryState::Delivered
            } else {
                DeliveryState::Superseded
            };
            Delivery {
                delivery_id: format!("{job_id}:{seq}"),
                sequence: *seq,
                webhook_id: event_id(&job_id, *seq),
                created_at: iso8601_from_ms(*created),
                state,
                event: serde_json::from_str::<Value>(body).unwrap_or(Value::Null),
                attempts: tried,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(DeliveryList {
        job_id: job_id.into_inner(),
        deliveries,
    }))
}

/// `POST /api/deliveries/{deliveryId}/redeliver`: send one event again (out of the dead letters
/// if it is there).
#[utoipa::path(post, path = REDELIVER, params(("delivery_id" = String, Path)),
    responses((status = 202, description = "Queued again", body = crate::openapi::Redelivered), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 404, description = "Not found (or another tenant's)", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn redeliver(
    state: web::Data<AppState>,
    caller: Caller,
    delivery_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || {
        ApiError::new(
            ErrorCode::DeliveryNotFound,
            format!("no delivery with id {:?}", delivery_id.as_str()),
        )
    };
    let (job_id, seq) = delivery_id
        .rsplit_once(':')
        .and_then(|(job, seq)| Some((job, seq.parse::<u64>().ok()?)))
        .ok_or_else(not_found)?;
    match caller.job(&state.store, job_id).await {
        Err(e) if e.code == ErrorCode::JobNotFound => return Err(not_found()),
        seen => drop(seen?),
    }
    lift_gone(&state, job_id).await?;
    match state.store.requeue(job_id, seq, true).await? {
        Requeued::Unknown => Err(not_found()),
        Requeued::Queued | Requeued::AlreadyWaiting => Ok(HttpResponse::Accepted()
            .json(json!({ "deliveryId": delivery_id.as_str(), "state": "pending" }))),
    }
}

/// `POST /api/deliveries/recover` with `{"since", "until"}` (ISO-8601 or unix seconds): every
/// dead letter that died in that window goes back to its job's outbox.
#[utoipa::path(post, path = RECOVER, request_body = crate::openapi::RecoverBody,
    responses((status = 202, description = "Dead letters requeued", body = crate::openapi::Recovered), (status = 400, description = "Malformed JSON", body = crate::openapi::ErrorBody), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 403, description = "Needs the administrator's key", body = crate::openapi::ErrorBody), (status = 413, description = "Body larger than 64 KiB", body = crate::openapi::ErrorBody), (status = 422, description = "Invalid field", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn recover(
    state: web::Data<AppState>,
    caller: Caller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require_operator()?;
    let request = Value::Object(super::body::read_object(payload).await?);
    let since = instant_ms(&request, "since")?;
    let until = instant_ms(&request, "until")?;
    if since > until {
        return Err(ApiError::invalid_field("since must not be after until"));
    }
    let dead = state.store.dead_letters_between(since, until).await?;
    let mut requeued = 0;
    for (job_id, seq) in dead {
        lift_gone(&state, &job_id).await?;
        if state.store.requeue(&job_id, seq, true).await? == Requeued::Queued {
            requeued += 1;
        }
    }
    Ok(HttpResponse::Accepted().json(json!({ "requeued": requeued })))
}

/// An operator asking for a redelivery lifts a 410 stop on the job's receiver.
async fn lift_gone(state: &AppState, job_id: &str) -> Result<(), ApiError> {
    let own = state
        .store
        .job_for_api(job_id)
        .await?
        .and_then(|job| job.get(field::WEBHOOK_URL).map(str::to_owned));
    if let Some(url) = own.or_else(|| state.operator_webhook_url.clone()) {
        state.store.clear_gone(&url).await?;
    }
    Ok(())
}

/// A point in time given as ISO-8601 text or unix seconds, in ms.
fn instant_ms(request: &Value, field: &str) -> Result<i64, ApiError> {
    match &request[field] {
        Value::String(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| t.timestamp_millis())
            .map_err(|_| ApiError::invalid_field(format!("{field} is not an ISO-8601 time"))),
        Value::Number(n) => n
            .as_i64()
            .map(|secs| secs.saturating_mul(1000))
            .ok_or_else(|| ApiError::invalid_field(format!("{field} must be whole unix seconds"))),
        Value::Null => Err(ApiError::invalid_field(format!("{field} is required"))),
        _ => Err(ApiError::invalid_field(format!(
            "{field} must be an ISO-8601 time or unix seconds"
        ))),
    }
}
