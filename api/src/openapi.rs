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
    paths(
        routes::generate::generate,
        routes::jobs::status,
        routes::jobs::stats,
        routes::jobs::force_poll,
        routes::submission::settle,
        routes::deliveries::list,
        routes::deliveries::redeliver,
        routes::deliveries::recover,
        routes::admin::create_tenant,
        routes::admin::rotate_key,
        routes::admin::revoke_key,
        routes::health::alive,
        routes::health::ready,
        document,
    ),
    components(schemas(
        GenerateBody, SettleBody, Accepted, ErrorBody, ErrorDetail, DeliveryList, Redelivered, RecoverBody,
        Recovered, TenantBody, TenantCreated, RotateBody, KeyIssued, Health,
        relay_shared::job::JobView, relay_shared::job::JobStatus, relay_shared::job::Stats,
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

/// `GET /api/openapi.json`: this document.
#[utoipa::path(get, path = "/api/openapi.json", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
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
    /// Default SORA_MODEL.
    pub model: Option<String>,
    /// "4", "8" or "12".
    pub seconds: Option<String>,
    /// WIDTHxHEIGHT, e.g. "1280x720".
    pub size: Option<String>,
    /// A small JSON object kept with the job.
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// This job's own receiver instead of the global one (vetted).
    pub webhook_url: Option<String>,
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
    /// Stable and machine-readable, e.g. `job_not_found`.
    pub code: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryList {
    pub job_id: String,
    /// Every event of the job with every attempt.
    pub deliveries: Vec<serde_json::Value>,
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
