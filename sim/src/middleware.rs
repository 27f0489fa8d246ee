//! What wraps every `/v1` request: a request id, the bearer-key check, and injected faults
//! (latency, 429 with retry-after, 500), decided before the request can change any state.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};
use rand::Rng;

use crate::error::error;
use crate::state::SimState;

pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = format!("req_{}", hex::encode(rand::rng().random::<[u8; 16]>()));
    let mut response = next.call(req).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}

pub async fn auth_and_faults(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = req
        .app_data::<web::Data<SimState>>()
        .expect("state is registered")
        .clone();
    let config = &state.config;
    let faults = state.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let expected = format!("Bearer {}", config.api_key);
    let given = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if !config.api_key.is_empty() && given != Some(expected.as_str()) {
        let response = error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "invalid_api_key",
            "Incorrect API key provided.",
        )
        .error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    let roll: f64 = rand::rng().random();
    let injected = if roll < faults.rate_429 {
        Some((
            StatusCode::TOO_MANY_REQUESTS,
            "requests",
            "rate_limit_exceeded",
            "Rate limit reached for requests (simulated).",
        ))
    } else if roll < faults.rate_429 + faults.rate_quota {
        Some((StatusCode::TOO_MANY_REQUESTS, "insufficient_quota", "insufficient_quota", "You exceeded your current quota, please check your plan and billing details (simulated)."))
    } else if roll < faults.rate_429 + faults.rate_quota + faults.rate_5xx {
        Some((
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "server_error",
            "The server had an error while processing your request (simulated).",
        ))
    } else {
        None
    };
    if let Some((status, kind, code, message)) = injected {
        state.count_fault(code);
        let mut response = error(status, kind, code, message).error_response();
        if code == "rate_limit_exceeded" {
            response.headers_mut().insert(
                HeaderName::from_static("retry-after"),
                HeaderValue::from(faults.retry_after_secs),
            );
        }
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
