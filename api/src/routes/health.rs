use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::error::ApiError;
use crate::AppState;

/// `GET /healthz`: the process is alive.
pub async fn alive() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz`: Redis answers, so requests can be served.
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.store.ping().await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
