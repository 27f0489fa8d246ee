use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::error::ApiError;
use crate::AppState;

const ALIVE: &str = "/healthz";
const READY: &str = "/readyz";

crate::routes::endpoints! {
    GET ALIVE => alive;
    GET READY => ready;
}

/// `GET /healthz`: the process is alive.
#[utoipa::path(get, path = ALIVE, security(()), responses((status = 200, description = "Alive", body = crate::openapi::Health)))]
pub async fn alive() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz`: Redis answers, so requests can be served. `warnings` lists the enabled
/// providers whose every call fails for a reason retrying cannot fix, as the workers saw them:
/// our key refused (`auth`), or a model gone (`retired`). They do not make the API unready: jobs
/// at other providers, and other models, still run.
#[utoipa::path(get, path = READY, security(()), responses((status = 200, description = "Redis answers; `warnings` about providers whose every call fails with auth or retirement errors", body = crate::openapi::Ready), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.store.ping().await?;
    let names: Vec<&str> = state.providers.iter().map(|p| p.name).collect();
    let warnings = state.store.provider_warnings(&names).await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready", "warnings": warnings })))
}
