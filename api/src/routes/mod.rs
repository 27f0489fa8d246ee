//! The HTTP routes, at the paths the original clients call.

mod deliveries;
mod generate;
mod health;
mod jobs;

use actix_web::{http::StatusCode, web, HttpResponse, ResponseError};

use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/generate")
            .route(web::post().to(generate::generate))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/videos/status/{job_id}")
            .route(web::get().to(jobs::status))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/sora/stats")
            .route(web::get().to(jobs::stats))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/sora/poll/{job_id}")
            .route(web::post().to(jobs::force_poll))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/videos/{job_id}/deliveries")
            .route(web::get().to(deliveries::list))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/deliveries/recover")
            .route(web::post().to(deliveries::recover))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/deliveries/{delivery_id}/redeliver")
            .route(web::post().to(deliveries::redeliver))
            .default_service(web::to(method_not_allowed)),
    )
    .route("/healthz", web::get().to(health::alive))
    .route("/readyz", web::get().to(health::ready));
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
