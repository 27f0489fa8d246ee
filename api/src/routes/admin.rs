//! Tenants and their keys, for the administrator. A key is shown once, when it is issued; only its
//! hash is stored.

use actix_web::{web, HttpResponse};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use tracing::info;

use super::body::{json_object, read_body};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::AppState;

const TENANTS: &str = "/api/admin/tenants";
const TENANT_KEYS: &str = "/api/admin/tenants/{tenant_id}/keys";
const TENANT_KEY: &str = "/api/admin/tenants/{tenant_id}/keys/{key_id}";

crate::routes::endpoints! {
    POST TENANTS => create_tenant;
    POST TENANT_KEYS => rotate_key;
    DELETE TENANT_KEY => revoke_key;
}

const NAME_MAX_CHARS: usize = 200;

/// `POST /api/admin/tenants` with `{"name", "webhookUrl"?, "webhookSecret"?}`:
/// `{"tenantId", "keyId", "apiKey"}`.
#[utoipa::path(post, path = TENANTS, request_body = crate::openapi::TenantBody,
    responses((status = 201, description = "The tenant and its first key (shown once)", body = crate::openapi::TenantCreated), (status = 400, description = "Malformed JSON", body = crate::openapi::ErrorBody), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 403, description = "Needs the administrator's key", body = crate::openapi::ErrorBody), (status = 413, description = "Body larger than 64 KiB", body = crate::openapi::ErrorBody), (status = 422, description = "Invalid field", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn create_tenant(
    state: web::Data<AppState>,
    caller: Caller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require_operator()?;
    let request = json_object(&read_body(payload).await?)?;
    let text = |name: &str| match &request.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(ApiError::invalid_field(format!(
            "{name} must be a non-empty string"
        ))),
    };
    let name = text("name")?.ok_or_else(|| ApiError::invalid_field("name is required"))?;
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(ApiError::invalid_field(format!(
            "name must be at most {NAME_MAX_CHARS} characters"
        )));
    }
    let webhook_url = match text("webhookUrl")? {
        Some(url) => Some(
            state
                .url_guard
                .vet(&url)
                .await
                .map_err(|why| {
                    ApiError::new(
                        ErrorCode::WebhookUrlRefused,
                        format!("webhookUrl refused: {why}"),
                    )
                })?
                .to_string(),
        ),
        None => None,
    };
    let webhook_secret = text("webhookSecret")?;
    if let Some(secret) = &webhook_secret {
        relay_shared::webhook::SigningKeys::parse(secret)
            .map_err(|why| ApiError::invalid_field(format!("webhookSecret: {why}")))?;
    }
    let (tenant_id, key) = state
        .store
        .create_tenant(&name, webhook_url.as_deref(), webhook_secret.as_deref())
        .await?;
    info!(tenant = %tenant_id, key = %key.key_id, "🔑 tenant created");
    Ok(HttpResponse::Created().json(json!({
        "tenantId": tenant_id,
        "name": name,
        "keyId": key.key_id,
        "apiKey": key.api_key.expose_secret(),
    })))
}

/// `POST /api/admin/tenants/{tenantId}/keys`: a new key; every earlier key of the tenant stops
/// working at once unless the body says `{"revokeOthers": false}` (then revoke them one by one).
#[utoipa::path(post, path = TENANT_KEYS, params(("tenant_id" = String, Path)),
    request_body(content = Option<crate::openapi::RotateBody>),
    responses((status = 201, description = "A new key (shown once)", body = crate::openapi::KeyIssued), (status = 400, description = "Malformed JSON", body = crate::openapi::ErrorBody), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 403, description = "Needs the administrator's key", body = crate::openapi::ErrorBody), (status = 404, description = "Not found (or another tenant's)", body = crate::openapi::ErrorBody), (status = 413, description = "Body larger than 64 KiB", body = crate::openapi::ErrorBody), (status = 422, description = "Invalid field", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn rotate_key(
    state: web::Data<AppState>,
    caller: Caller,
    tenant_id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require_operator()?;
    let body = read_body(payload).await?;
    let revoke_others = if body.is_empty() {
        true
    } else {
        match json_object(&body)?.get("revokeOthers") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(ApiError::invalid_field("revokeOthers must be a boolean")),
        }
    };
    let key = state
        .store
        .issue_key(&tenant_id, revoke_others)
        .await?
        .ok_or_else(|| tenant_not_found(&tenant_id))?;
    info!(tenant = %tenant_id, key = %key.key_id, revoke_others, "🔑 key issued");
    Ok(HttpResponse::Created().json(json!({
        "tenantId": tenant_id.as_str(),
        "keyId": key.key_id,
        "apiKey": key.api_key.expose_secret(),
    })))
}

/// `DELETE /api/admin/tenants/{tenantId}/keys/{keyId}`: the key stops working at once.
#[utoipa::path(delete, path = TENANT_KEY, params(("tenant_id" = String, Path), ("key_id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 403, description = "Needs the administrator's key", body = crate::openapi::ErrorBody), (status = 404, description = "Not found (or another tenant's)", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn revoke_key(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require_operator()?;
    let (tenant_id, key_id) = path.into_inner();
    if state.store.revoke_key(&tenant_id, &key_id).await? {
        info!(tenant = %tenant_id, key = %key_id, "🔑 key revoked");
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::new(
            ErrorCode::KeyNotFound,
            format!("tenant {tenant_id:?} has no key {key_id:?}"),
        ))
    }
}

fn tenant_not_found(tenant_id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::TenantNotFound,
        format!("no tenant with id {tenant_id:?}"),
    )
}
