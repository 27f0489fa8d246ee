//! The OpenAI error envelope: `{"error": {"message", "type", "param", "code"}}`.

use actix_web::{http::StatusCode, HttpResponse};
use serde_json::json;

pub fn error(
    status: StatusCode,
    kind: &str,
    code: &str,
    param: Option<&str>,
    message: impl Into<String>,
) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "error": { "message": message.into(), "type": kind, "param": param, "code": code }
    }))
}

pub fn invalid(param: &str, code: &str, message: impl Into<String>) -> HttpResponse {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        code,
        Some(param),
        message,
    )
}

pub fn not_found(video_id: &str) -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "not_found",
        None,
        format!("Video with id '{video_id}' not found."),
    )
}
