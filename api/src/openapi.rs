//! The OpenAPI 3.1 document of this API, generated from the handlers' annotations and the types
//! they exchange, served at `GET /api/openapi.json`. Request bodies are validated by hand (for
//! precise error messages); the `*Body` types here describe them.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sora-relay",
        description = "Runs long video-generation jobs at an OpenAI Videos API provider and tells clients about them with signed webhooks."
    ),
    components(schemas(
        GenerateBody, SettleBody, Accepted, ErrorBody, ErrorDetail, crate::error::ErrorCode, DeliveryList, Redelivered, RecoverBody,
        Recovered, TenantBody, TenantCreated, RotateBody, KeyIssued, Health, Ready,
        relay_shared::job::JobView, relay_shared::job::Attempt, relay_shared::job::JobStatus, relay_shared::job::Stats,
    )),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

const DOCUMENT: &str = "/api/openapi.json";

crate::routes::endpoints! {
    GET DOCUMENT => document;
}

/// The whole document: this module's header and shared schemas, with every route module's paths.
pub fn api_document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for module in routes::MODULES {
        doc.merge((module.doc)());
    }
    doc
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(get, path = DOCUMENT, security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn document() -> HttpResponse {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    HttpResponse::Ok().json(DOCUMENT.get_or_init(api_document))
}

/// A video job, as the original clients send it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenerateBody {
    /// Non-empty, at most 256 characters.
    #[schema(min_length = 1, max_length = 256)]
    pub wallet_address: String,
    /// The video prompt: non-empty, at most SCRIPT_MAX_CHARS characters.
    #[schema(min_length = 1)]
    pub script: String,
    /// "v3" (the default).
    pub render_version: Option<String>,
    /// The provider's model; default: the provider's (SORA_MODEL, OPENROUTER_MODEL, ...).
    pub model: Option<String>,
    /// Length in seconds. For `openai`: "4", "8" or "12" (a string); for the others a whole
    /// number from 1 to 120 (number or string) that the provider checks against the model.
    pub seconds: Option<Seconds>,
    /// WIDTHxHEIGHT, e.g. "1280x720" (providers that take an aspect ratio get its ratio).
    pub size: Option<String>,
    /// A small JSON object kept with the job.
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// This job's own receiver instead of the global one (vetted).
    pub webhook_url: Option<String>,
    /// One of the enabled providers (default: PROVIDER): openai, openrouter, replicate, fal.
    pub provider: Option<String>,
    /// Passed through to the provider's input (its model's own parameters), at most 16 KiB.
    pub options: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A length in seconds, as a string or a number.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Seconds {
    Text(String),
    Whole(u32),
}

/// An operator's decision on a submission of unknown outcome: exactly one of the two.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettleBody {
    /// The video the provider did create for the job: adopt it.
    #[schema(min_length = 1, max_length = 256)]
    pub provider_job_id: Option<String>,
    /// `true`: the provider created nothing (or a second video is acceptable): submit again.
    pub resubmit: Option<bool>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    pub job_id: String,
    pub status: relay_shared::job::JobStatus,
}

/// Every error: `{"error": {"code", "message"}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: crate::error::ErrorCode,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryList {
    pub job_id: String,
    /// Every event of the job with every attempt.
    pub deliveries: Vec<Delivery>,
}

/// One event of a job and every attempt at delivering it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// `<jobId>:<sequence>`, for redelivery.
    pub delivery_id: String,
    pub sequence: u64,
    /// The Standard Webhooks `webhook-id` of every attempt.
    pub webhook_id: String,
    pub created_at: String,
    pub state: DeliveryState,
    /// The webhook body.
    pub event: serde_json::Value,
    pub attempts: Vec<relay_shared::webhook::AttemptEntry>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Not delivered yet; attempts go on.
    Pending,
    Delivered,
    /// Given up after every retry: a dead letter (redeliver it).
    Dead,
    /// A later event of the job was delivered first; this one is no longer sent.
    Superseded,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Redelivered {
    pub delivery_id: String,
    pub state: String,
}

/// A window of time, as ISO-8601 text or unix seconds.
#[derive(Serialize, ToSchema)]
pub struct RecoverBody {
    pub since: serde_json::Value,
    pub until: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct Recovered {
    pub requeued: u64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantCreated {
    pub tenant_id: String,
    pub name: String,
    pub key_id: String,
    /// Shown once.
    pub api_key: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotateBody {
    /// Default true: every earlier key stops working.
    pub revoke_others: Option<bool>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyIssued {
    pub tenant_id: String,
    pub key_id: String,
    /// Shown once.
    pub api_key: String,
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// `/readyz`: ready, with warnings about providers.
#[derive(Serialize, ToSchema)]
pub struct Ready {
    pub status: String,
    /// Enabled providers whose every call fails with our key refused (`problem: auth`) or whose
    /// model is gone (`problem: retired`, with `model`): `provider`, `problem`, `model`, `detail`,
    /// `lastFailureAt`, `lastSuccessAt`.
    pub warnings: Vec<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_has_every_route_once_and_the_error_codes_as_an_enum() {
        let doc = serde_json::to_value(api_document()).unwrap();
        let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
        assert_eq!(paths.len(), 27, "{paths:?}");
        for path in [
            "/api/generate",
            "/api/videos/status/{job_id}",
            "/api/videos/{job_id}/content",
            "/readyz",
            DOCUMENT,
        ] {
            assert!(
                paths.iter().any(|p| *p == path),
                "{path} missing: {paths:?}"
            );
        }
        let code = &doc["components"]["schemas"]["ErrorCode"];
        let names: Vec<&str> = code["enum"]
            .as_array()
            .or_else(|| code["oneOf"].as_array())
            .unwrap_or_else(|| panic!("{code}"))
            .iter()
            .map(|v| v.as_str().or_else(|| v["enum"][0].as_str()).unwrap())
            .collect();
        let want: Vec<&str> = crate::error::ErrorCode::ALL
            .iter()
            .map(|c| c.name())
            .collect();
        assert_eq!(names, want);
        assert_eq!(
            doc["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["$ref"],
            "#/components/schemas/ErrorCode"
        );
    }
}
