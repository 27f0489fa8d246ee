//! Each contract's answers to the faults a request meets: its status codes, its error bodies, and
//! whether it says its wait in `Retry-After`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError};

use super::{fault_for, fault_for_header, fault_for_scheme, faulted, Fault};
use crate::error::error;

/// The OpenAI Videos API's answers to faults (`/v1`).
pub async fn auth_and_faults(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let fault = fault_for(&req).await;
    faulted(req, next, fault, true, |fault| match fault {
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
    }.error_response())
    .await
}

/// Replicate's answers to faults (`/replicate/v1`): RFC 7807 problems; a 429 says its wait in its
/// detail, and running out of credit is a 402.
pub async fn replicate_auth_and_faults(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let fault = fault_for(&req).await;
    faulted(req, next, fault, false, |fault| match fault {
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
    })
    .await
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
    let fault = fault_for(&req).await;
    faulted(req, next, fault, true, |fault| {
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
        openrouter_error(status, message, metadata)
    })
    .await
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
    let fault = fault_for_scheme(&req, "Key").await;
    faulted(req, next, fault, true, |fault| match fault {
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
    })
    .await
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
    let fault = fault_for(&req).await;
    faulted(req, next, fault, true, |fault| match fault {
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
    })
    .await
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
    let fault = fault_for_header(&req, "x-goog-api-key", "").await;
    faulted(req, next, fault, false, |fault| {
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
                retry(*retry_after_secs),
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
        HttpResponse::build(status).json(serde_json::json!({
            "error": {"code": status.as_u16(), "status": code, "message": message, "details": details}
        }))
    })
    .await
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
    let fault = fault_for(&req).await;
    faulted(req, next, fault, true, |fault| match fault {
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
    })
    .await
}

/// An error as Luma answers it.
pub fn luma_error(status: StatusCode, detail: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({ "detail": detail }))
}
