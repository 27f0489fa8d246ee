//! Veo through the Gemini API under `/veo/v1beta` (`docs/providers/veo.md`):
//! `POST /models/{model}:predictLongRunning` (`{"name"}` of the operation), `GET
//! /models/{model}/operations/{id}` (`done` once the video is made), and the finished video at
//! `GET /files/{id}:download?alt=media`, which redirects to the file (as the API redirects to
//! Google's storage). The key is `x-goog-api-key`. An operation is one of the simulator's videos,
//! on the same timeline and faults: a prompt holding `sim:moderation` ends done with no samples
//! and `raiMediaFilteredCount`; a simulated failure ends with an `error`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::middleware::google_error;
use crate::state::{now_ms, NewVideo, SimState};
use crate::video::VideoRecord;

type State = web::Data<SimState>;

/// What the Gemini API refuses in its own mode (Vertex takes them).
const VERTEX_ONLY: &[&str] = &["seed", "fps", "generateAudio"];

/// `POST /models/{model}:predictLongRunning`.
pub async fn predict(
    state: State,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    let Some(model) = path.strip_suffix(":predictLongRunning") else {
        return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Method not found.");
    };
    if !model.starts_with("veo-") {
        let message = format!("models/{model} is not found for API version v1beta, or is not supported for predictLongRunning.");
        return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", &message);
    }
    let body = body.into_inner();
    let prompt = body["instances"][0]["prompt"].as_str().unwrap_or_default();
    let parameters = &body["parameters"];
    let invalid =
        |message: &str| google_error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message);
    if prompt.is_empty() {
        return invalid("instances[0].prompt is required.");
    }
    if let Some(ratio) = parameters.get("aspectRatio") {
        if !matches!(ratio.as_str(), Some("16:9" | "9:16")) {
            return invalid("aspectRatio must be 16:9 or 9:16.");
        }
    }
    let durations: &[u64] = if model.starts_with("veo-2") {
        &[5, 6, 7, 8]
    } else {
        &[4, 6, 8]
    };
    if let Some(seconds) = parameters.get("durationSeconds") {
        if !seconds.as_u64().is_some_and(|s| durations.contains(&s)) {
            return invalid(&format!(
                "durationSeconds must be one of {durations:?} for this model."
            ));
        }
    }
    if let Some(name) = VERTEX_ONLY
        .iter()
        .find(|name| parameters.get(**name).is_some())
    {
        return invalid(&format!("{name} isn't supported by this model."));
    }
    let record = state.create(NewVideo {
        model: model.to_owned(),
        prompt: prompt.to_owned(),
        seconds: parameters
            .get("durationSeconds")
            .map(Value::to_string)
            .unwrap_or_default(),
        size: parameters["aspectRatio"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        remixed_from: None,
    });
    HttpResponse::Ok().json(json!({ "name": operation_name(&record) }))
}

/// `GET /models/{model}/operations/{id}`.
pub async fn operation(
    state: State,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (_, id) = path.into_inner();
    match state.get(&id) {
        Some(record) => HttpResponse::Ok().json(operation_at(&record, &base(&request), now_ms())),
        None => google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Operation not found."),
    }
}

/// `GET /files/{id}:download?alt=media`: a redirect to the file.
pub async fn download(state: State, request: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let Some(id) = path.strip_suffix(":download") else {
        return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "File not found.");
    };
    match state.peek(id) {
        Some(record) if record.at(now_ms()).status == "completed" => HttpResponse::Found()
            .insert_header((
                header::LOCATION,
                format!("{}/blobs/{id}.mp4", base(&request)),
            ))
            .finish(),
        _ => google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "File not found."),
    }
}

fn base(request: &HttpRequest) -> String {
    let info = request.connection_info();
    format!("{}://{}/veo/v1beta", info.scheme(), info.host())
}

fn operation_name(record: &VideoRecord) -> String {
    format!("models/{}/operations/{}", record.model, record.id)
}

/// The operation a video is at `now`.
fn operation_at(record: &VideoRecord, base: &str, now: u64) -> Value {
    let name = operation_name(record);
    let video = record.at(now);
    let moderated = record.prompt.contains("sim:moderation");
    match video.status {
        "completed" if moderated => json!({
            "name": name,
            "done": true,
            "response": {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
                "generateVideoResponse": {
                    "raiMediaFilteredCount": 1,
                    "raiMediaFilteredReasons": ["The prompt could not be submitted: it may violate our policies (simulated)."],
                },
            },
        }),
        "completed" => json!({
            "name": name,
            "done": true,
            "response": {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
                "generateVideoResponse": {
                    "generatedSamples": [{ "video": { "uri": format!("{base}/files/{}:download?alt=media", record.id) } }],
                },
            },
        }),
        "failed" => json!({
            "name": name,
            "done": true,
            "error": { "code": 13, "message": "Internal error encountered (simulated)." },
        }),
        _ => json!({ "name": name }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_is_done_with_a_sample_or_filtered_or_an_error() {
        let mut record = VideoRecord {
            id: "op1".into(),
            created_ms: 1_000_000,
            queued_ms: 1000,
            running_ms: 10_000,
            fails: false,
            model: "veo-3.1-generate-preview".into(),
            prompt: "a fox".into(),
            seconds: "8".into(),
            size: "16:9".into(),
            remixed_from: None,
        };
        let running = operation_at(&record, "b", 1_005_000);
        assert_eq!(
            running,
            json!({"name": "models/veo-3.1-generate-preview/operations/op1"})
        );
        let done = operation_at(&record, "b", 1_011_000);
        assert_eq!(done["done"], true);
        assert_eq!(
            done["response"]["generateVideoResponse"]["generatedSamples"][0]["video"]["uri"],
            "b/files/op1:download?alt=media"
        );
        record.prompt = "sim:moderation".into();
        let blocked = operation_at(&record, "b", 1_011_000);
        assert_eq!(
            blocked["response"]["generateVideoResponse"]["raiMediaFilteredCount"],
            1
        );
        record.fails = true;
        assert_eq!(operation_at(&record, "b", 1_011_000)["error"]["code"], 13);
    }
}
