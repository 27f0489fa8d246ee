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

/// `GET /readyz`: Redis answers, so requests can be served.
#[utoipa::path(get, path = READY, security(()), responses((status = 200, description = "Redis answers", body = crate::openapi::Health), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.store.ping().await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
