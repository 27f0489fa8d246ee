//! Luma's Dream Machine API under `/luma/dream-machine/v1` (`docs/providers/luma.md`):
//! `POST /generations/video`, `GET /generations/{id}`, `DELETE /generations/{id}`. A generation
//! is one of the simulator's videos, on the same timeline and faults: `queued`, `dreaming`, then
//! `completed` with `assets.video` (served at `/luma/dream-machine/v1/files/{id}.mp4`) or `failed` with a
//! `failure_reason` ("Prompt failed moderation" for a prompt holding `sim:moderation`). A deleted
//! generation is gone: 404. A `callback_url` gets the generation, unsigned as Luma sends it, when
//! it starts dreaming and when it ends.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use relay_shared::time::iso8601_from_ms;
use serde_json::{json, Value};

use crate::callbacks::{self, Scheme};
use crate::middleware::luma_error;
use crate::state::{now_ms, NewVideo, SimState};
use crate::video::VideoRecord;

type State = web::Data<SimState>;

const MODELS: &[&str] = &["ray-2", "ray-flash-2", "ray-1-6"];
const DURATIONS: &[&str] = &["5s", "9s"];

/// `POST /generations/video`: 201 with the generation.
pub async fn create(state: State, request: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    let body = body.into_inner();
    let mut problems = Vec::new();
    let model = body["model"].as_str().unwrap_or_default();
    if !MODELS.contains(&model) {
        problems.push(json!({"loc": ["body", "model"], "msg": format!("model must be one of {MODELS:?}"), "type": "value_error"}));
    }
    let prompt = body["prompt"].as_str().unwrap_or_default();
    if prompt.is_empty() {
        problems.push(
            json!({"loc": ["body", "prompt"], "msg": "prompt is required", "type": "value_error"}),
        );
    }
    if let Some(duration) = body.get("duration") {
        if !duration.as_str().is_some_and(|d| DURATIONS.contains(&d)) {
            problems.push(json!({"loc": ["body", "duration"], "msg": "duration must be 5s or 9s", "type": "value_error"}));
        }
    }
    if !problems.is_empty() {
        return HttpResponse::UnprocessableEntity().json(json!({ "detail": problems }));
    }
    let record = state.create(NewVideo {
        model: model.to_owned(),
        prompt: prompt.to_owned(),
        seconds: body["duration"].as_str().unwrap_or_default().to_owned(),
        size: body["aspect_ratio"].as_str().unwrap_or_default().to_owned(),
        remixed_from: None,
    });
    let files = files(&request);
    if let Some(url) = body["callback_url"].as_str() {
        for at_ms in [record.starts_ms(), record.finishes_ms()] {
            let (id, files) = (record.id.clone(), files.clone());
            callbacks::send_at(
                state.clone().into_inner(),
                at_ms,
                "luma",
                Scheme::Unsigned,
                url.to_owned(),
                record.id.clone(),
                move |state| {
                    let record = state.peek(&id).filter(|r| !state.is_cancelled(&r.id))?;
                    Some(
                        generation_at(&record, &files, now_ms())
                            .to_string()
                            .into_bytes(),
                    )
                },
            );
        }
    }
    HttpResponse::Created().json(generation_at(&record, &files, now_ms()))
}

/// `GET /generations/{id}`.
pub async fn generation(
    state: State,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    match state.get(&path).filter(|r| !state.is_cancelled(&r.id)) {
        Some(record) => HttpResponse::Ok().json(generation_at(&record, &files(&request), now_ms())),
        None => not_found(),
    }
}

/// `DELETE /generations/{id}`: 204; the generation is gone (a running one stops).
pub async fn delete(state: State, path: web::Path<String>) -> HttpResponse {
    if state.peek(&path).is_none() || state.is_cancelled(&path) {
        return not_found();
    }
    // Recorded as a cancel, whether or not it had finished: it is gone either way.
    state.cancel(&path);
    state.purge(&path);
    HttpResponse::NoContent().finish()
}

fn not_found() -> HttpResponse {
    luma_error(StatusCode::NOT_FOUND, "Generation not found")
}

fn files(request: &HttpRequest) -> String {
    let info = request.connection_info();
    format!(
        "{}://{}/luma/dream-machine/v1/files",
        info.scheme(),
        info.host()
    )
}

/// The generation a video is at `now`.
fn generation_at(record: &VideoRecord, files: &str, now: u64) -> Value {
    let video = record.at(now);
    let moderated = record.prompt.contains("sim:moderation");
    let (state, failure, asset) = match video.status {
        "queued" => ("queued", Value::Null, Value::Null),
        _ if moderated => (
            "failed",
            json!("Prompt failed moderation (simulated)"),
            Value::Null,
        ),
        "failed" => ("failed", json!("Internal error (simulated)"), Value::Null),
        "completed" => (
            "completed",
            Value::Null,
            json!(format!("{files}/{}.mp4", record.id)),
        ),
        _ => ("dreaming", Value::Null, Value::Null),
    };
    json!({
        "id": record.id,
        "generation_type": "video",
        "state": state,
        "failure_reason": failure,
        "created_at": iso8601_from_ms(record.created_ms as i64),
        "assets": { "video": asset, "image": null, "progress_video": null },
        "model": record.model,
        "request": { "prompt": record.prompt, "model": record.model },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generation_queues_dreams_and_completes_or_fails() {
        let mut record = VideoRecord {
            id: "g1".into(),
            created_ms: 1_000_000,
            queued_ms: 1000,
            running_ms: 10_000,
            fails: false,
            model: "ray-2".into(),
            prompt: "a fox".into(),
            seconds: "5s".into(),
            size: "16:9".into(),
            remixed_from: None,
        };
        assert_eq!(generation_at(&record, "f", 1_000_500)["state"], "queued");
        assert_eq!(generation_at(&record, "f", 1_005_000)["state"], "dreaming");
        let done = generation_at(&record, "f", 1_011_000);
        assert_eq!(
            (done["state"].as_str(), done["assets"]["video"].as_str()),
            (Some("completed"), Some("f/g1.mp4"))
        );
        record.prompt = "sim:moderation".into();
        assert_eq!(
            generation_at(&record, "f", 1_005_000)["failure_reason"],
            "Prompt failed moderation (simulated)"
        );
    }
}
