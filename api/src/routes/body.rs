//! Request bodies, read with a bound: anything larger is a JSON 413, whatever the endpoint.

use actix_web::web;
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The body as a JSON object (and 413 as [`read_body`]); see [`json_object`].
pub async fn read_object(payload: web::Payload) -> Result<Map<String, Value>, ApiError> {
    json_object(&read_body(payload).await?)
}

/// A body that must be a JSON object: 400 `invalid_json` when it is not JSON, 422
/// `invalid_field` when it is JSON of another kind. Every route's one reader of JSON bodies.
pub fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(ApiError::invalid_field(
            "request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::new(
            ErrorCode::InvalidJson,
            format!("request body is not valid JSON: {e}"),
        )),
    }
}

pub async fn read_body(payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    read_body_up_to(payload, BODY_LIMIT).await
}

/// The body, refused with 413 past `limit` bytes.
pub async fn read_body_up_to(
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidBody,
                format!("could not read the request body: {e}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("request body is larger than {limit} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
