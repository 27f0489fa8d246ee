//! The dashboard (`/dashboard`): static files embedded in the binary — plain ES modules, no build
//! step, no CDN (`dashboard/` at the repository's root is both the source and what is served).
//! The page calls the same REST endpoints as any client, with the key its user signs in with.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::error::{ApiError, ErrorCode};

/// Each file: its path under `/dashboard/` (and under `dashboard/` in the repository) and bytes.
macro_rules! files {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../dashboard/", $path)))),*]
    };
}
const FILES: &[(&str, &str)] = files![
    "app.js",
    "api.js",
    "live.js",
    "charts.js",
    "views/overview.js",
    "views/jobs.js",
    "views/job.js",
    "views/deliveries.js",
    "views/providers.js",
    "style.css",
];
const INDEX: &str = include_str!("../../dashboard/index.html");

/// Only this origin's scripts, styles and API; videos may come from the relay or a presigned
/// object-store link.
const CSP: &str = "default-src 'self'; media-src 'self' https: blob:; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(index))
        .route("/dashboard/", web::get().to(index))
        .route("/dashboard/{file:.*}", web::get().to(file));
}

async fn index() -> HttpResponse {
    served("text/html; charset=utf-8", INDEX)
}

async fn file(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    FILES
        .iter()
        .find(|(file, _)| *file == name.as_str())
        .map(|(file, body)| {
            let kind = match file.rsplit_once('.') {
                Some((_, "css")) => "text/css; charset=utf-8",
                _ => "text/javascript; charset=utf-8",
            };
            served(kind, body)
        })
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no dashboard file {name:?}")))
}

fn served(kind: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(kind.to_owned())
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}
