//! The HTTP routes, at the paths the original clients call.

mod admin;
mod body;
mod deliveries;
mod generate;
mod health;
mod jobs;

use actix_web::{http::StatusCode, web, HttpResponse, Resource, ResponseError, Route};

use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint(
        "/api/generate",
        web::post().to(generate::generate),
    ))
    .service(endpoint(
        "/api/videos/status/{job_id}",
        web::get().to(jobs::status),
    ))
    .service(endpoint("/api/sora/stats", web::get().to(jobs::stats)))
    .service(endpoint(
        "/api/sora/poll/{job_id}",
        web::post().to(jobs::force_poll),
    ))
    .service(endpoint(
        "/api/videos/{job_id}/deliveries",
        web::get().to(deliveries::list),
    ))
    .service(endpoint(
        "/api/deliveries/recover",
        web::post().to(deliveries::recover),
    ))
    .service(endpoint(
        "/api/deliveries/{delivery_id}/redeliver",
        web::post().to(deliveries::redeliver),
    ))
    .service(endpoint(
        "/api/admin/tenants",
        web::post().to(admin::create_tenant),
    ))
    .service(endpoint(
        "/api/admin/tenants/{tenant_id}/keys",
        web::post().to(admin::rotate_key),
    ))
    .service(endpoint(
        "/api/admin/tenants/{tenant_id}/keys/{key_id}",
        web::delete().to(admin::revoke_key),
    ))
    .route("/healthz", web::get().to(health::alive))
    .route("/readyz", web::get().to(health::ready));
}

/// A path served by one method; any other method on it is a JSON 405.
fn endpoint(path: &str, route: Route) -> Resource {
    web::resource(path)
        .route(route)
        .default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> HttpResponse {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this method is not allowed on this path",
    )
    .error_response()
}

pub async fn not_found() -> HttpResponse {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint").error_response()
}
