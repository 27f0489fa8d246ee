//! What wraps every API request: a request id, the bearer-key check, and injected faults
//! (latency, 429 with its wait, quota, 500), decided before the request can change any state and
//! answered in each contract's own error shape.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpResponse, ResponseError};
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

/// A fault a request meets before it can change any state.
enum Fault {
    Unauthorized,
    RateLimited { retry_after_secs: u64 },
    Quota,
    ServerError,
}

/// The latency in force, then the key check (`Authorization: Bearer <key>`), then an injected
/// fault as the faults' rates say.
async fn fault_for(req: &ServiceRequest) -> Option<Fault> {
    fault_for_scheme(req, "Bearer").await
}

/// As [`fault_for`], the key sent as `Authorization: <scheme> <key>`.
async fn fault_for_scheme(req: &ServiceRequest, scheme: &str) -> Option<Fault> {
    fault_for_header(req, "authorization", &format!("{scheme} ")).await
}

/// As [`fault_for`], the key sent in header `name` after `prefix`.
async fn fault_for_header(req: &ServiceRequest, name: &str, prefix: &str) -> Option<Fault> {
    let state = req
        .app_data::<web::Data<SimState>>()
        .expect("state is registered")
        .clone();
    let config = &state.config;
    let faults = state.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let expected = format!("{prefix}{}", config.api_key);
    let given = req.headers().get(name).and_then(|v| v.to_str().ok());
    if !config.api_key.is_empty() && given != Some(expected.as_str()) {
        return Some(Fault::Unauthorized);
    }
    let roll: f64 = rand::rng().random();
    let (fault, code) = if roll < faults.rate_429 {
        let retry_after_secs = faults.retry_after_secs;
        (
            Fault::RateLimited { retry_after_secs },
            "rate_limit_exceeded",
        )
    } else if roll < faults.rate_429 + faults.rate_quota {
        (Fault::Quota, "insufficient_quota")
    } else if roll < faults.rate_429 + faults.rate_quota + faults.rate_5xx {
        (Fault::ServerError, "server_error")
    } else {
        return None;
    };
    state.count_fault(code);
    Some(fault)
}

/// The OpenAI Videos API's answers to faults (`/v1`).
pub async fn auth_and_faults(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(fault) = fault_for(&req).await else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let mut response = match fault {
        Fault::Unauthorized => error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "invalid_api_key",
            "Incorrect API key provided.",
        ),
        Fault::RateLimited { .. } => error(
            StatusCode::TOO_MANY_REQUESTS,
            "requests",
            "rate_limit_exceeded",
            "Rate limit reached for requests (simulated).",
        ),
        Fault::Quota => error(StatusCode::TOO_MANY_REQUESTS, "insufficient_quota", "insufficient_quota", "You exceeded your current quota, please check your plan and billing details (simulated)."),
        Fault::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "server_error",
            "The server had an error while processing your request (simulated).",
        ),
    }
    .error_response();
    if let Fault::RateLimited { retry_after_secs } = fault {
        response.headers_mut().insert(
            HeaderName::from_static("retry-after"),
            HeaderValue::from(retry_after_secs),
        );
    }
    Ok(req.into_response(response).map_into_right_body())
}

/// Replicate's answers to faults (`/replicate/v1`): RFC 7807 problems; a 429 says its wait in its
/// detail, and running out of credit is a 402.
pub async fn replicate_auth_and_faults(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(fault) = fault_for(&req).await else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let response = match fault {
        Fault::Unauthorized => problem(
            StatusCode::UNAUTHORIZED,
            "Unauthenticated",
            "You did not pass a valid authentication token",
        ),
        Fault::RateLimited { retry_after_secs } => problem(
            StatusCode::TOO_MANY_REQUESTS,
            "Request was throttled.",
            &format!("Request was throttled. Expected available in {retry_after_secs} seconds."),
        ),
        Fault::Quota => problem(
            StatusCode::PAYMENT_REQUIRED,
            "Insufficient credit",
            "You have insufficient credit to run this model (simulated).",
        ),
        Fault::ServerError => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            "simulated",
        ),
    };
    Ok(req.into_response(response).map_into_right_body())
}

/// An RFC 7807 problem, as Replicate answers errors.
pub fn problem(status: StatusCode, title: &str, detail: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(serde_json::json!({
            "type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail
        }))
}

/// OpenRouter's answers to faults (`/openrouter/api/v1`): `{"error": {"code", "message",
/// "metadata"}}`; a rate limit names itself in `metadata.error_type` with `Retry-After`, running out
/// of credits is a 402, an upstream failure a 502.
pub async fn openrouter_auth_and_faults(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(fault) = fault_for(&req).await else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let (status, message, metadata) = match fault {
        Fault::Unauthorized => (StatusCode::UNAUTHORIZED, "No auth credentials found", None),
        Fault::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded (simulated)",
            Some(serde_json::json!({"error_type": "rate_limit_exceeded"})),
        ),
        Fault::Quota => (
            StatusCode::PAYMENT_REQUIRED,
            "Insufficient credits. Add more using https://openrouter.ai/credits (simulated)",
            None,
        ),
        Fault::ServerError => (
            StatusCode::BAD_GATEWAY,
            "Provider returned error (simulated)",
            None,
        ),
    };
    let mut response = openrouter_error(status, message, metadata);
    if let Fault::RateLimited { retry_after_secs } = fault {
        response.headers_mut().insert(
            HeaderName::from_static("retry-after"),
            HeaderValue::from(retry_after_secs),
        );
    }
    Ok(req.into_response(response).map_into_right_body())
}

/// An error as OpenRouter answers it.
pub fn openrouter_error(
    status: StatusCode,
    message: &str,
    metadata: Option<serde_json::Value>,
) -> HttpResponse {
    let mut error = serde_json::json!({"code": status.as_u16(), "message": message});
    if let Some(metadata) = metadata {
        error["metadata"] = metadata;
    }
    HttpResponse::build(status).json(serde_json::json!({ "error": error }))
}

/// fal's answers to faults (`/fal`): `{"detail": …}` (with `X-Fal-Error-Type` where it names
/// one); the key is sent as `Authorization: Key <key>`.
pub async fn fal_auth_and_faults(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(fault) = fault_for_scheme(&req, "Key").await else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let mut response = match fault {
        Fault::Unauthorized => fal_error(StatusCode::UNAUTHORIZED, "Unauthorized", None),
        Fault::RateLimited { .. } => fal_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests (simulated)",
            Some("rate_limited"),
        ),
        Fault::Quota => fal_error(
            StatusCode::PAYMENT_REQUIRED,
            "Exhausted balance. Top up your balance at fal.ai/dashboard/billing (simulated)",
            Some("insufficient_balance"),
        ),
        Fault::ServerError => fal_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error (simulated)",
            Some("internal_error"),
        ),
    };
    if let Fault::RateLimited { retry_after_secs } = fault {
        response.headers_mut().insert(
            HeaderName::from_static("retry-after"),
            HeaderValue::from(retry_after_secs),
        );
    }
    Ok(req.into_response(response).map_into_right_body())
}

/// An error as fal answers it.
pub fn fal_error(status: StatusCode, detail: &str, error_type: Option<&str>) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    let mut body = serde_json::json!({ "detail": detail });
    if let Some(error_type) = error_type {
        response.insert_header(("x-fal-error-type", error_type));
        body["error_type"] = serde_json::json!(error_type);
    }
    response.json(body)
}

/// Runway's answers to faults (`/runway`): `{"error": …}`; a daily cap is a 429 that says so.
pub async fn runway_auth_and_faults(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(fault) = fault_for(&req).await else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let mut response = match fault {
        Fault::Unauthorized => runway_error(StatusCode::UNAUTHORIZED, "Invalid API key."),
        Fault::RateLimited { .. } => runway_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests (simulated).",
        ),
        Fault::Quota => runway_error(
            StatusCode::TOO_MANY_REQUESTS,
            "You have exceeded your daily task limit (simulated).",
        ),
        Fault::ServerError => runway_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An internal error occurred (simulated).",
        ),
    };
    if let Fault::RateLimited { retry_after_secs } = fault {
        response.headers_mut().insert(
            HeaderName::from_static("retry-after"),
            HeaderValue::from(retry_after_secs),
        );
    }
    Ok(req.into_response(response).map_into_right_body())
}

/// An error as Runway answers it.
pub fn runway_error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({ "error": message }))
}

/// The Gemini API's answers to faults (`/veo/v1beta`): `{"error": {"code", "status", "message",
/// "details"}}`; a wait in a `RetryInfo` detail; the quota a `RESOURCE_EXHAUSTED` asking to wait a
/// day; a wrong key a 400 `API_KEY_INVALID`, as Google answers it. The key is `x-goog-api-key`.
pub async fn google_auth_and_faults(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(fault) = fault_for_header(&req, "x-goog-api-key", "").await else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let retry = |secs: u64| {
        serde_json::json!([{
            "@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retryDelay": format!("{secs}s"),
        }])
    };
    let (status, code, message, details) = match fault {
        Fault::Unauthorized => (
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            serde_json::json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]),
        ),
        Fault::RateLimited { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota) (simulated).",
            retry(retry_after_secs),
        ),
        Fault::Quota => (
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota (simulated).",
            retry(86_400),
        ),
        Fault::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "Internal error encountered (simulated).",
            serde_json::json!([]),
        ),
    };
    let mut response = google_error(status, code, message);
    if !details.as_array().is_some_and(Vec::is_empty) {
        response = HttpResponse::build(status).json(serde_json::json!({
            "error": {"code": status.as_u16(), "status": code, "message": message, "details": details}
        }));
    }
    Ok(req.into_response(response).map_into_right_body())
}

/// An error as the Gemini API answers it.
pub fn google_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({
        "error": {"code": status.as_u16(), "status": code, "message": message}
    }))
}

/// Luma's answers to faults (`/luma/dream-machine/v1`): `{"detail": …}`; out of credits a 402.
pub async fn luma_auth_and_faults(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(fault) = fault_for(&req).await else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let mut response = match fault {
        Fault::Unauthorized => luma_error(StatusCode::UNAUTHORIZED, "Invalid API key"),
        Fault::RateLimited { .. } => luma_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded (simulated)",
        ),
        Fault::Quota => luma_error(
            StatusCode::PAYMENT_REQUIRED,
            "Insufficient credits (simulated)",
        ),
        Fault::ServerError => luma_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error (simulated)",
        ),
    };
    if let Fault::RateLimited { retry_after_secs } = fault {
        response.headers_mut().insert(
            HeaderName::from_static("retry-after"),
            HeaderValue::from(retry_after_secs),
        );
    }
    Ok(req.into_response(response).map_into_right_body())
}

/// An error as Luma answers it.
pub fn luma_error(status: StatusCode, detail: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({ "detail": detail }))
}
