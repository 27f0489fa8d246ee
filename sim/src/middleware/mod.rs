//! What wraps every API request: a request id, the key check, and injected faults (latency, 429
//! with its wait, quota, 500), decided before the request can change any state ([`faulted`]) and
//! answered in each contract's own error shape (`answers.rs`).

use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpResponse};
use rand::Rng;

use crate::state::SimState;

mod answers;

pub use answers::*;

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
pub(super) enum Fault {
    Unauthorized,
    RateLimited { retry_after_secs: u64 },
    Quota,
    ServerError,
}

/// The latency in force, then the key check (`Authorization: Bearer <key>`), then an injected
/// fault as the faults' rates say.
pub(super) async fn fault_for(req: &ServiceRequest) -> Option<Fault> {
    fault_for_scheme(req, "Bearer").await
}

/// As [`fault_for`], the key sent as `Authorization: <scheme> <key>`.
pub(super) async fn fault_for_scheme(req: &ServiceRequest, scheme: &str) -> Option<Fault> {
    fault_for_header(req, "authorization", &format!("{scheme} ")).await
}

/// As [`fault_for`], the key sent in header `name` after `prefix`.
pub(super) async fn fault_for_header(
    req: &ServiceRequest,
    name: &str,
    prefix: &str,
) -> Option<Fault> {
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
    let in_scope = faults
        .path_prefix
        .as_deref()
        .is_none_or(|prefix| req.path().starts_with(prefix))
        && (!faults.posts_only || req.method() == actix_web::http::Method::POST);
    if !in_scope {
        return None;
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

/// Passes the request on, or answers its `fault` as the contract does (`answer`), with
/// `Retry-After` on a rate limit where the contract sends one.
pub(super) async fn faulted<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
    fault: Option<Fault>,
    retry_after_header: bool,
    answer: impl FnOnce(&Fault) -> HttpResponse,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let Some(fault) = fault else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let mut response = answer(&fault);
    if let (true, Fault::RateLimited { retry_after_secs }) = (retry_after_header, &fault) {
        response.headers_mut().insert(
            HeaderName::from_static("retry-after"),
            HeaderValue::from(*retry_after_secs),
        );
    }
    Ok(req.into_response(response).map_into_right_body())
}
