//! One error body for the whole API: `{"error": {"code", "message"}}`, with a stable,
//! machine-readable `code`. Client mistakes are 4xx; Redis trouble is a 503 with Retry-After; the
//! cause chain of anything unexpected goes to the log, never into the response.

use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use relay_shared::store::StoreError;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// Declares every error code once: its variant, its HTTP status and its wire name. The OpenAPI
/// document lists the names as an enum (after meilisearch's `make_error_codes!`).
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $status:ident, $name:literal;)*) => {
        /// Stable and machine-readable, in every error body's `code`.
        // The wire names are the variants in snake_case (a test holds `name()` to it): utoipa
        // reads `rename_all` here, not a `rename` built by this macro.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status,)*
                }
            }

            /// The code on the wire.
            pub fn name(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }
        }
    };
}

error_codes! {
    /// The body is not JSON, or not a JSON object.
    InvalidJson = BAD_REQUEST, "invalid_json";
    /// The body cannot be read (wrong length, broken stream).
    InvalidBody = BAD_REQUEST, "invalid_body";
    /// No key, or a key that is not (or no longer) valid.
    Unauthorized = UNAUTHORIZED, "unauthorized";
    /// A valid key that may not do this (a tenant on an admin route).
    Forbidden = FORBIDDEN, "forbidden";
    /// A provider callback whose signature is missing, wrong or stale.
    InvalidSignature = UNAUTHORIZED, "invalid_signature";
    /// No such endpoint.
    NotFound = NOT_FOUND, "not_found";
    /// A provider that is not enabled here, or cannot call back.
    ProviderNotFound = NOT_FOUND, "provider_not_found";
    /// No such job, or another tenant's.
    JobNotFound = NOT_FOUND, "job_not_found";
    DeliveryNotFound = NOT_FOUND, "delivery_not_found";
    TenantNotFound = NOT_FOUND, "tenant_not_found";
    KeyNotFound = NOT_FOUND, "key_not_found";
    /// The path answers another method (named in `Allow`).
    MethodNotAllowed = METHOD_NOT_ALLOWED, "method_not_allowed";
    /// The job is final: nothing left to poll.
    JobTerminal = CONFLICT, "job_terminal";
    /// The job's submission is not (or no longer) unknown: nothing to settle.
    SubmissionKnown = CONFLICT, "submission_known";
    /// The job has no video to serve yet (not completed).
    ContentNotReady = CONFLICT, "content_not_ready";
    /// This relay keeps no videos (`CONTENT_STORE=off`): nothing to delete.
    ContentNotKept = CONFLICT, "content_not_kept";
    /// The job's video was deleted (retention, on request, or by the provider).
    ContentDeleted = GONE, "content_deleted";
    /// No output at this index.
    ContentNotFound = NOT_FOUND, "content_not_found";
    /// A signed link whose signature does not match (tampered, or for another video).
    LinkInvalid = FORBIDDEN, "link_invalid";
    /// A signed link past its `expires`.
    LinkExpired = FORBIDDEN, "link_expired";
    /// A `Range` that lies outside the video (`Content-Range: bytes */<size>` says its size).
    RangeNotSatisfiable = RANGE_NOT_SATISFIABLE, "range_not_satisfiable";
    PayloadTooLarge = PAYLOAD_TOO_LARGE, "payload_too_large";
    UnsupportedMediaType = UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type";
    /// A field that is missing, mistyped or out of range.
    InvalidField = UNPROCESSABLE_ENTITY, "invalid_field";
    UnsupportedRenderVersion = UNPROCESSABLE_ENTITY, "unsupported_render_version";
    /// A `provider` this deployment has not enabled (the message names the enabled ones).
    ProviderNotEnabled = UNPROCESSABLE_ENTITY, "provider_not_enabled";
    /// A webhook URL the relay will not call (private address, bad scheme).
    WebhookUrlRefused = UNPROCESSABLE_ENTITY, "webhook_url_refused";
    /// An `Idempotency-Key` sent again with a different request.
    IdempotencyKeyReused = UNPROCESSABLE_ENTITY, "idempotency_key_reused";
    /// Over the tenant's request rate: retry after `Retry-After`.
    RateLimited = TOO_MANY_REQUESTS, "rate_limited";
    /// The tenant has `TENANT_MAX_ACTIVE_JOBS` running.
    TooManyActiveJobs = TOO_MANY_REQUESTS, "too_many_active_jobs";
    Internal = INTERNAL_SERVER_ERROR, "internal";
    /// Redis is unreachable: retry shortly.
    RedisUnavailable = SERVICE_UNAVAILABLE, "redis_unavailable";
    /// The keys to verify a provider's callback cannot be fetched now: the provider retries.
    SigningKeysUnavailable = SERVICE_UNAVAILABLE, "signing_keys_unavailable";
    /// The content store cannot be reached now: retry shortly.
    ContentStoreUnavailable = SERVICE_UNAVAILABLE, "content_store_unavailable";
    /// The provider's content could not be fetched now (without custody the API proxies it).
    ProviderUnavailable = BAD_GATEWAY, "provider_unavailable";
    /// Redis did not confirm the write on enough replicas (`REDIS_WAIT_REPLICAS`).
    RedisNotReplicated = SERVICE_UNAVAILABLE, "redis_not_replicated";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A 429: the caller may try again after `wait`.
    pub fn too_many(
        code: ErrorCode,
        message: impl Into<String>,
        wait: std::time::Duration,
    ) -> Self {
        Self {
            retry_after: Some(wait.as_secs_f64().ceil().max(1.0) as u64),
            ..Self::new(code, message)
        }
    }

    /// A field that is missing, mistyped or out of range.
    pub fn invalid_field(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidField, message)
    }

    /// No key, or a key that is not (or no longer) valid: 401 with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    pub fn job_not_found(job_id: &str) -> Self {
        Self::new(ErrorCode::JobNotFound, format!("no job with id {job_id:?}"))
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status();
        let mut response = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(json!({ "error": { "code": self.code, "message": self.message } }))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotReplicated { .. } => {
                tracing::warn!("{e}");
                Self::new(ErrorCode::RedisNotReplicated,
                    format!("{e} (REDIS_WAIT_REPLICAS): retry; with the same Idempotency-Key a retry finds this job instead of making another"),
                )
            }
            StoreError::Corrupt(_) => {
                tracing::error!("unexpected data in redis: {e}");
                Self::new(ErrorCode::Internal, "internal error")
            }
            _ => {
                tracing::warn!("redis unavailable: {e}");
                Self::new(
                    ErrorCode::RedisUnavailable,
                    "the job store is unavailable; retry shortly",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_wire_name_and_a_client_or_server_status() {
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            ErrorCode::ALL.len(),
            "a wire name is used twice"
        );
        for code in ErrorCode::ALL {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, code.name(), "{code:?}");
            let status = code.status();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{code:?}"
            );
        }
    }
}
