//! What is going wrong with deliveries now (the dashboard's Deliveries view): the newest dead
//! letters, each redeliverable with `POST /api/deliveries/{deliveryId}/redeliver`, and the
//! endpoints whose latest attempt failed. A tenant sees its own, and never the operator's
//! endpoint.

use actix_web::{web, HttpResponse};
use relay_shared::redact;
use relay_shared::time::iso8601_from_ms;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

const DEAD: &str = "/api/deliveries/dead";
const FAILING: &str = "/api/deliveries/failing";
const LIMIT_MAX: usize = 500;

crate::routes::endpoints! {
    GET DEAD => dead_letters;
    GET FAILING => failing;
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeadQuery {
    /// Most dead letters returned: 1 to 500, default 100.
    limit: Option<usize>,
}

/// `GET /api/deliveries/dead`: the newest dead letters.
#[utoipa::path(get, path = DEAD, params(DeadQuery),
    responses((status = 200, description = "`{\"deadLetters\": [{\"deliveryId\", \"jobId\", \"sequence\", \"diedAt\", \"createdAt\", \"attempts\", \"error\", \"event\"}…], \"truncated\": bool}`, newest first"), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 422, description = "Invalid `limit`", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn dead_letters(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<DeadQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = super::count_within("limit", query.limit, 100, LIMIT_MAX)?;
    let (letters, truncated) = state
        .store
        .newest_dead_letters(caller.tenant(), limit)
        .await?;
    // A letter's own record has the last word on whose it is.
    let mine: Vec<_> = letters
        .into_iter()
        .filter(|letter| {
            caller
                .tenant()
                .is_none_or(|t| letter.tenant.as_deref() == Some(t))
        })
        .collect();
    let truncated = truncated || mine.len() > limit;
    let shown: Vec<Value> = mine
        .into_iter()
        .take(limit)
        .map(|letter| {
            json!({
                "deliveryId": format!("{}:{}", letter.job_id, letter.seq),
                "jobId": letter.job_id,
                "sequence": letter.seq,
                "diedAt": iso8601_from_ms(letter.died_ms),
                "createdAt": iso8601_from_ms(letter.created_ms),
                "attempts": letter.attempts,
                "error": letter.error,
                "event": serde_json::from_str::<Value>(&letter.body).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "deadLetters": shown, "truncated": truncated })))
}

/// `GET /api/deliveries/failing`: endpoints whose latest delivery attempt failed (within the
/// hour), the longest failing first.
#[utoipa::path(get, path = FAILING,
    responses((status = 200, description = "`{\"endpoints\": [{\"endpoint\", \"since\", \"lastFailure\", \"failures\", \"error\"}…]}`; an endpoint shows as its origin and a hash"), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn failing(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let operators = state.operator_webhook_url.as_deref().map(redact::url);
    let endpoints: Vec<Value> = state
        .store
        .failing_endpoints()
        .await?
        .into_iter()
        .filter(|seen| match caller.tenant() {
            None => true,
            Some(t) => {
                seen.tenant.as_deref() == Some(t)
                    && operators.as_deref() != Some(seen.endpoint.as_str())
            }
        })
        .map(|seen| {
            json!({
                "endpoint": seen.endpoint,
                "since": iso8601_from_ms(seen.since_ms),
                "lastFailure": iso8601_from_ms(seen.last_ms),
                "failures": seen.failures,
                "error": seen.error,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "endpoints": endpoints })))
}
