//! The OpenAI Videos API's `/v1/videos` endpoints, validated as the real API validates them
//! (`docs/providers/openai.md`).

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::{error, invalid, not_found, OpenAiError};
use crate::state::{now_ms, SimState};

type State = web::Data<SimState>;

mod params;

use params::{read_params, validate};

pub async fn create(
    state: State,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let params = read_params(&request, payload).await?;
    let new = validate(&state, &params, None)?;
    let record = state.create(new);
    Ok(HttpResponse::Ok().json(record.at(record.created_ms)))
}

pub async fn remix(
    state: State,
    path: web::Path<String>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, OpenAiError> {
    let source = state.get(&path).ok_or_else(|| not_found(&path))?;
    if source.at(now_ms()).status != "completed" {
        return Err(invalid(
            "video_id",
            "invalid_value",
            "Only completed videos can be remixed.",
        ));
    }
    let mut params = body.into_inner();
    params.insert("model".into(), json!(source.model));
    params.insert("seconds".into(), json!(source.seconds));
    params.insert("size".into(), json!(source.size));
    let record = state.create(validate(&state, &params, Some(source.id.clone()))?);
    Ok(HttpResponse::Ok().json(record.at(record.created_ms)))
}

pub async fn retrieve(state: State, path: web::Path<String>) -> Result<HttpResponse, OpenAiError> {
    let video = state.get(&path).ok_or_else(|| not_found(&path))?;
    Ok(HttpResponse::Ok().json(video.at(now_ms())))
}

#[derive(Deserialize)]
pub struct ListQuery {
    after: Option<String>,
    limit: Option<i64>,
    order: Option<String>,
}

pub async fn list(state: State, query: web::Query<ListQuery>) -> Result<HttpResponse, OpenAiError> {
    let limit = query.limit.unwrap_or(20);
    if !(0..=100).contains(&limit) {
        return Err(invalid(
            "limit",
            "invalid_value",
            "limit must be between 0 and 100.",
        ));
    }
    let descending = match query.order.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => {
            return Err(invalid(
                "order",
                "invalid_value",
                "order must be 'asc' or 'desc'.",
            ))
        }
    };
    let faults = state.faults();
    if faults.list_broken {
        return Err(crate::error::error(
            actix_web::http::StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "bad_request",
            "LLM Provider NOT provided. Pass in the LLM provider you are trying to call.",
        ));
    }
    let after = query
        .after
        .as_deref()
        .filter(|_| !faults.list_ignores_after);
    let (page, has_more) = state.list(after, limit as usize, descending);
    let has_more = has_more || (faults.list_ignores_after && !page.is_empty());
    let now = now_ms();
    let data: Vec<_> = page.iter().map(|v| v.at(now)).collect();
    Ok(HttpResponse::Ok().json(json!({
        "object": "list",
        "data": data,
        "first_id": page.first().map(|v| &v.id),
        "last_id": page.last().map(|v| &v.id),
        "has_more": has_more,
    })))
}

pub async fn delete(state: State, path: web::Path<String>) -> Result<HttpResponse, OpenAiError> {
    match state.delete(&path) {
        Ok(()) => Ok(HttpResponse::Ok()
            .json(json!({ "id": path.as_str(), "object": "video.deleted", "deleted": true }))),
        Err(false) => Err(not_found(&path)),
        Err(true) => Err(invalid(
            "video_id",
            "invalid_value",
            "Only completed or failed videos can be deleted.",
        )),
    }
}

#[derive(Deserialize)]
pub struct ContentQuery {
    variant: Option<String>,
}

/// A few bytes with the right magic numbers, so clients can sniff the type.
pub async fn content(
    state: State,
    path: web::Path<String>,
    query: web::Query<ContentQuery>,
) -> Result<HttpResponse, OpenAiError> {
    let video = state.get(&path).ok_or_else(|| not_found(&path))?;
    if video.prompt.contains("sim:content_500") {
        // What LiteLLM answers for a failed Veo job it reported as completed.
        return Err(crate::error::error(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "server_error",
            "The video could not be retrieved.",
        ));
    }
    if video.at(now_ms()).status != "completed" {
        return Err(invalid(
            "video_id",
            "invalid_value",
            "Video is not ready: content is available once it has completed.",
        ));
    }
    let (content_type, bytes): (&str, &[u8]) = match query.variant.as_deref() {
        None | Some("video") => return Ok(crate::files::respond(&state, &video)),
        Some("thumbnail") => ("image/webp", b"RIFF\x0c\0\0\0WEBPVP8 sora-sim"),
        Some("spritesheet") => ("image/jpeg", b"\xff\xd8\xff\xe0sora-sim\xff\xd9"),
        Some(_) => {
            return Err(invalid(
                "variant",
                "invalid_value",
                "variant must be one of 'video', 'thumbnail', 'spritesheet'.",
            ));
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .body(bytes.to_vec()))
}

pub async fn unknown_route() -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "unknown_url",
        "Unknown request URL.",
    )
    .error_response()
}
