//! The OpenAI error envelope: `{"error": {"message", "type", "param", "code"}}`.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct OpenAiError {
    status: StatusCode,
    kind: &'static str,
    code: &'static str,
    param: Option<String>,
    message: String,
}

impl ResponseError for OpenAiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(json!({
            "error": { "message": self.message, "type": self.kind, "param": self.param, "code": self.code }
        }))
    }
}

pub fn error(
    status: StatusCode,
    kind: &'static str,
    code: &'static str,
    message: impl Into<String>,
) -> OpenAiError {
    OpenAiError {
        status,
        kind,
        code,
        param: None,
        message: message.into(),
    }
}

pub fn invalid(param: &str, code: &'static str, message: impl Into<String>) -> OpenAiError {
    OpenAiError {
        param: Some(param.to_owned()),
        ..error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            code,
            message,
        )
    }
}

pub fn not_found(video_id: &str) -> OpenAiError {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "not_found",
        format!("Video with id '{video_id}' not found."),
    )
}
