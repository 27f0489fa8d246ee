//! The HTTP routes, at the paths the original clients call.

pub(crate) mod admin;
pub(crate) mod body;
pub(crate) mod callbacks;
pub(crate) mod content;
pub(crate) mod deliveries;
pub(crate) mod generate;
pub(crate) mod health;
pub(crate) mod jobs;
pub(crate) mod metrics;
pub(crate) mod providers;
pub(crate) mod running;
pub(crate) mod submission;
pub(crate) mod timeline;
pub(crate) mod trouble;

use actix_web::http::{header, Method};
use actix_web::{web, HttpResponse, ResponseError, Route};

use crate::error::{ApiError, ErrorCode};

/// One module of routes: how it registers its endpoints, and its part of the OpenAPI document.
/// Both come from one [`endpoints!`] list in the module.
pub struct Module {
    pub configure: fn(&mut web::ServiceConfig),
    pub doc: fn() -> utoipa::openapi::OpenApi,
}

/// Every module of routes, the OpenAPI document's own route included.
pub const MODULES: &[Module] = &[
    generate::ROUTES,
    jobs::ROUTES,
    running::ROUTES,
    providers::ROUTES,
    timeline::ROUTES,
    content::ROUTES,
    submission::ROUTES,
    deliveries::ROUTES,
    trouble::ROUTES,
    admin::ROUTES,
    callbacks::ROUTES,
    crate::events::ROUTES,
    crate::openapi::ROUTES,
    health::ROUTES,
    metrics::ROUTES,
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    for module in MODULES {
        (module.configure)(cfg);
    }
}

/// Declares a module's endpoints once — method, path (a constant the handler's `#[utoipa::path]`
/// names too) and handler — and gives the module its [`Module`], `ROUTES`.
macro_rules! endpoints {
    ($($method:ident $path:ident => $handler:ident;)*) => {
        /// The OpenAPI paths of this module.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($handler),*))]
        struct Doc;

        fn configure(cfg: &mut actix_web::web::ServiceConfig) {
            $crate::routes::register(cfg, vec![$((
                $path,
                actix_web::http::Method::$method,
                actix_web::web::route().to($handler),
            )),*]);
        }

        pub const ROUTES: $crate::routes::Module = $crate::routes::Module {
            configure,
            doc: <Doc as utoipa::OpenApi>::openapi,
        };
    };
}
pub(crate) use endpoints;

/// Registers a module's endpoints: one resource per path, serving each of its methods; any
/// other method on it is a JSON 405 naming those in `Allow`.
pub(crate) fn register(cfg: &mut web::ServiceConfig, endpoints: Vec<(&str, Method, Route)>) {
    let mut paths: Vec<&str> = Vec::new();
    for (path, _, _) in &endpoints {
        if !paths.contains(path) {
            paths.push(path);
        }
    }
    let mut endpoints: Vec<Option<(&str, Method, Route)>> =
        endpoints.into_iter().map(Some).collect();
    for path in paths {
        let mut resource = web::resource(path);
        let mut allowed = Vec::new();
        for slot in endpoints.iter_mut() {
            if slot.as_ref().is_some_and(|(p, _, _)| *p == path) {
                let (_, method, route) = slot.take().expect("just checked");
                allowed.push(method.to_string());
                resource = resource.route(route.method(method));
            }
        }
        let allowed = allowed.join(", ");
        cfg.service(resource.default_service(web::to(move || {
            let allowed = allowed.clone();
            async move { method_not_allowed(&allowed) }
        })));
    }
}

fn method_not_allowed(allowed: &str) -> HttpResponse {
    let mut response = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("this path only answers {allowed}"),
    )
    .error_response();
    if let Ok(value) = header::HeaderValue::from_str(allowed) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// A query parameter that counts something: `default` when absent, else 1 to `max`; a clear 422
/// naming it otherwise.
pub(crate) fn count_within<T>(
    name: &str,
    value: Option<T>,
    default: T,
    max: T,
) -> Result<T, ApiError>
where
    T: Copy + PartialOrd + From<u8> + std::fmt::Display,
{
    let value = value.unwrap_or(default);
    if value < T::from(1) || value > max {
        return Err(ApiError::invalid_field(format!(
            "{name} must be 1 to {max}"
        )));
    }
    Ok(value)
}

pub async fn not_found() -> HttpResponse {
    ApiError::new(ErrorCode::NotFound, "no such endpoint").error_response()
}
