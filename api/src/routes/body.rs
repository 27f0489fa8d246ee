//! Request bodies, read with a bound: anything larger is a JSON 413, whatever the endpoint.

use actix_web::web;
use futures_util::StreamExt;

use crate::error::{ApiError, ErrorCode};

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The body as JSON: 400 `invalid_json` when it is not (and 413 as [`read_body`]).
pub async fn read_json(payload: web::Payload) -> Result<serde_json::Value, ApiError> {
    let body = read_body(payload).await?;
    serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("request body is not valid JSON: {e}"),
        )
    })
}

pub async fn read_body(mut payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidBody,
                format!("could not read the request body: {e}"),
            )
        })?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("request body is larger than {BODY_LIMIT} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
