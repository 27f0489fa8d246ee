//! Create parameters as the real API reads and validates them (JSON or multipart/form-data).

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::error::{invalid, OpenAiError};
use crate::state::{NewVideo, SimState};

const SIZES: [&str; 4] = ["720x1280", "1280x720", "1024x1792", "1792x1024"];
const PRO_ONLY_SIZES: [&str; 2] = ["1024x1792", "1792x1024"];

/// Reads create parameters from a JSON or multipart/form-data body.
pub(super) async fn read_params(
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

pub(super) fn validate(
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
