//! The HTTP routes, at the paths the original clients call.

pub(crate) mod admin;
pub(crate) mod body;
pub(crate) mod deliveries;
pub(crate) mod generate;
pub(crate) mod health;
pub(crate) mod jobs;
pub(crate) mod submission;

use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpResponse, Resource, ResponseError, Route};

use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint(
        "/api/generate",
        Method::POST,
        web::post().to(generate::generate),
    ))
    .service(endpoint(
        "/api/videos/status/{job_id}",
        Method::GET,
        web::get().to(jobs::status),
    ))
    .service(endpoint(
        "/api/sora/stats",
        Method::GET,
        web::get().to(jobs::stats),
    ))
    .service(endpoint(
        "/api/sora/poll/{job_id}",
        Method::POST,
        web::post().to(jobs::force_poll),
    ))
    .service(endpoint(
        "/api/videos/{job_id}/submission",
        Method::POST,
        web::post().to(submission::settle),
    ))
    .service(endpoint(
        "/api/videos/{job_id}/deliveries",
        Method::GET,
        web::get().to(deliveries::list),
    ))
    .service(endpoint(
        "/api/deliveries/recover",
        Method::POST,
        web::post().to(deliveries::recover),
    ))
    .service(endpoint(
        "/api/deliveries/{delivery_id}/redeliver",
        Method::POST,
        web::post().to(deliveries::redeliver),
    ))
    .service(endpoint(
        "/api/admin/tenants",
        Method::POST,
        web::post().to(admin::create_tenant),
    ))
    .service(endpoint(
        "/api/admin/tenants/{tenant_id}/keys",
        Method::POST,
        web::post().to(admin::rotate_key),
    ))
    .service(endpoint(
        "/api/admin/tenants/{tenant_id}/keys/{key_id}",
        Method::DELETE,
        web::delete().to(admin::revoke_key),
    ))
    .service(endpoint(
        "/api/openapi.json",
        Method::GET,
        web::get().to(crate::openapi::document),
    ))
    .service(endpoint(
        "/healthz",
        Method::GET,
        web::get().to(health::alive),
    ))
    .service(endpoint(
        "/readyz",
        Method::GET,
        web::get().to(health::ready),
    ));
}

/// A path served by one method; any other method on it is a JSON 405 naming it in `Allow`.
fn endpoint(path: &str, method: Method, route: Route) -> Resource {
    web::resource(path)
        .route(route.method(method.clone()))
        .default_service(web::to(move || {
            let allowed = method.clone();
            async move { method_not_allowed(allowed) }
        }))
}

fn method_not_allowed(allowed: Method) -> HttpResponse {
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this path only answers {allowed}"),
    )
    .error_response();
    if let Ok(value) = header::HeaderValue::from_str(allowed.as_str()) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

pub async fn not_found() -> HttpResponse {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint").error_response()
}
