//! The `/v1/videos` endpoints, validated as the real API validates them.

use actix_multipart::Multipart;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse, ResponseError};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::{error, invalid, not_found, OpenAiError};
use crate::state::{now_ms, NewVideo, SimState};

type State = web::Data<SimState>;

const SIZES: [&str; 4] = ["720x1280", "1280x720", "1024x1792", "1792x1024"];
const PRO_ONLY_SIZES: [&str; 2] = ["1024x1792", "1792x1024"];

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
        None | Some("video") => ("video/mp4", b"\0\0\0\x18ftypmp42\0\0\0\0mp42isomsora-sim"),
        Some("thumbnail") => ("image/webp", b"RIFF\x0c\0\0\0WEBPVP8 sora-sim"),
        Some("spritesheet") => ("image/jpeg", b"\xff\xd8\xff\xe0sora-sim\xff\xd9"),
        Some(_) => {
            return Err(invalid(
                "variant",
                "invalid_value",
                "variant must be one of 'video', 'thumbnail', 'spritesheet'.",
            ))
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .body(bytes.to_vec()))
}

/// `POST /sim/faults`: replace the faults in force (absent fields are 0).
pub async fn set_faults(state: State, faults: web::Json<crate::config::Faults>) -> HttpResponse {
    state.set_faults(faults.into_inner());
    HttpResponse::Ok().json(state.faults())
}

pub async fn sim_stats(state: State) -> HttpResponse {
    HttpResponse::Ok().json(state.counters())
}

/// `GET /sim/videos`: every video's timeline in ms (its creation, and when it finishes), for
/// measuring how soon clients hear of a completion.
pub async fn sim_videos(state: State) -> HttpResponse {
    let videos: Vec<Value> = state
        .all_videos()
        .iter()
        .map(|v| {
            json!({
                "id": v.id,
                "prompt": v.prompt,
                "created_ms": v.created_ms,
                "finishes_ms": v.created_ms + v.queued_ms + if v.fails { v.running_ms / 2 } else { v.running_ms },
                "fails": v.fails,
            })
        })
        .collect();
    HttpResponse::Ok().json(videos)
}

/// Reads create parameters from a JSON or multipart/form-data body.
async fn read_params(
    request: &HttpRequest,
    mut payload: web::Payload,
) -> Result<Map<String, Value>, actix_web::Error> {
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::new(request.headers(), payload);
        let mut params = Map::new();
        while let Some(field) = form.next().await {
            let mut field = field?;
            let name = field.name().unwrap_or_default().to_owned();
            let is_file = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .is_some();
            let mut data = Vec::new();
            while let Some(chunk) = field.next().await {
                data.extend_from_slice(&chunk?);
            }
            if !is_file {
                params.insert(name, Value::String(String::from_utf8_lossy(&data).into()));
            }
        }
        return Ok(params);
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        body.extend_from_slice(&chunk?);
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(params)) => Ok(params),
        _ => Err(invalid(
            "body",
            "invalid_json",
            "We could not parse the JSON body of your request.",
        )
        .into()),
    }
}

fn validate(
    state: &SimState,
    params: &Map<String, Value>,
    remixed_from: Option<String>,
) -> Result<NewVideo, OpenAiError> {
    let text = |name: &str| -> Result<Option<String>, OpenAiError> {
        match params.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(invalid(
                name,
                "invalid_type",
                format!(
                    "Invalid type for '{name}': expected a string, but got {} instead.",
                    kind_of(other)
                ),
            )),
        }
    };
    let prompt = text("prompt")?
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| {
            invalid(
                "prompt",
                "missing_required_parameter",
                "Missing required parameter: 'prompt'.",
            )
        })?;
    let model = text("model")?.unwrap_or_else(|| "sora-2".into());
    if !state
        .config
        .models
        .iter()
        .any(|m| is_model_or_snapshot(&model, m))
    {
        return Err(invalid(
            "model",
            "invalid_value",
            format!("Invalid value for 'model': '{model}' is not a supported model."),
        ));
    }
    let seconds = match params.get("seconds") {
        Some(Value::Number(_)) => {
            return Err(invalid(
                "seconds",
                "invalid_type",
                "Invalid type for 'seconds': expected one of '4', '8', or '12', but got an integer instead.",
            ))
        }
        _ => text("seconds")?.unwrap_or_else(|| "4".into()),
    };
    if !["4", "8", "12"].contains(&seconds.as_str()) {
        return Err(invalid(
            "seconds",
            "invalid_value",
            format!("Invalid value for 'seconds': expected one of '4', '8', or '12', but got '{seconds}'."),
        ));
    }
    let size = text("size")?.unwrap_or_else(|| "720x1280".into());
    if !SIZES.contains(&size.as_str())
        || (PRO_ONLY_SIZES.contains(&size.as_str()) && !model.starts_with("sora-2-pro"))
    {
        return Err(invalid(
            "size",
            "invalid_value",
            format!("Invalid value for 'size': '{size}' is not supported for model '{model}'."),
        ));
    }
    Ok(NewVideo {
        model,
        prompt,
        seconds,
        size,
        remixed_from,
    })
}

/// `sora-2` matches `sora-2` and its dated snapshots (`sora-2-2025-10-06`), not `sora-2-pro`.
fn is_model_or_snapshot(model: &str, known: &str) -> bool {
    model == known
        || model
            .strip_prefix(known)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|date| {
                date.len() == 10 && date.chars().all(|c| c.is_ascii_digit() || c == '-')
            })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
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
