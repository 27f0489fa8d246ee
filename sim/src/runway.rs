//! Runway's API under `/runway` (`docs/providers/runway.md`): `POST /v1/text_to_video` and
//! `/v1/image_to_video` (`{"id"}`), `GET /v1/tasks/{id}` and `DELETE /v1/tasks/{id}`, each
//! needing `X-Runway-Version`. A task is one of the simulator's videos, on the same timeline and
//! with the same faults as `/v1/videos`: `PENDING` while queued (`THROTTLED` instead for a prompt
//! holding `sim:throttled`), `RUNNING` with `progress` 0–1, then `SUCCEEDED` with its output URL,
//! or `FAILED` (`SAFETY.INPUT.TEXT` at once for a prompt holding `sim:moderation`). Its finished
//! files are served at `/runway/files/{id}.mp4`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use relay_shared::time::iso8601_from_ms;
use serde_json::{json, Value};

use crate::middleware::runway_error;
use crate::state::{now_ms, NewVideo, SimState};
use crate::video::VideoRecord;

type State = web::Data<SimState>;

/// The version the simulated API speaks, as Runway's current one.
pub const VERSION: &str = "2024-11-06";
/// The longest `promptText` Runway takes.
const PROMPT_MAX_CHARS: usize = 1000;
/// Ratios Runway's text-to-video models take (gen4.5 and veo3.1 together).
const RATIOS: &[&str] = &[
    "1280:720",
    "720:1280",
    "1080:1920",
    "1920:1080",
    "960:960",
    "1104:832",
    "832:1104",
    "1584:672",
];

/// `POST /v1/text_to_video` and `POST /v1/image_to_video`.
pub async fn create(state: State, request: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    if let Some(refusal) = version_refusal(&request) {
        return refusal;
    }
    let image = request.path().ends_with("/image_to_video");
    let body = body.into_inner();
    let prompt = body["promptText"].as_str().unwrap_or_default();
    let mut issues = Vec::new();
    if body["model"].as_str().is_none_or(str::is_empty) {
        issues.push("model is required");
    }
    if !image && prompt.is_empty() {
        issues.push("promptText is required");
    }
    if prompt.chars().count() > PROMPT_MAX_CHARS {
        issues.push("promptText must be at most 1000 characters");
    }
    if image && body["promptImage"].is_null() {
        issues.push("promptImage is required");
    }
    if let Some(ratio) = body.get("ratio") {
        if !ratio.as_str().is_some_and(|r| RATIOS.contains(&r)) {
            issues.push("ratio is not one this model takes");
        }
    }
    if let Some(duration) = body.get("duration") {
        if !duration.as_u64().is_some_and(|d| (2..=10).contains(&d)) {
            issues.push("duration must be a whole number of seconds from 2 to 10");
        }
    }
    if !issues.is_empty() {
        let issues: Vec<Value> = issues.iter().map(|m| json!({ "message": m })).collect();
        return HttpResponse::BadRequest().json(json!({
            "error": "Validation of body failed",
            "issues": issues,
            "docUrl": "https://docs.dev.runwayml.com/errors/",
        }));
    }
    let record = state.create(NewVideo {
        model: body["model"].as_str().unwrap_or_default().to_owned(),
        prompt: prompt.to_owned(),
        seconds: body
            .get("duration")
            .map(Value::to_string)
            .unwrap_or_default(),
        size: body["ratio"].as_str().unwrap_or_default().to_owned(),
        remixed_from: None,
    });
    HttpResponse::Ok().json(json!({ "id": record.id }))
}

/// `GET /v1/tasks/{id}`.
pub async fn task(state: State, request: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Some(refusal) = version_refusal(&request) {
        return refusal;
    }
    match state.get(&path) {
        Some(record) => {
            let cancelled = state.is_cancelled(&record.id);
            HttpResponse::Ok().json(task_at(&record, &files(&request), now_ms(), cancelled))
        }
        None => not_found(),
    }
}

/// `DELETE /v1/tasks/{id}`: cancels a task that has not finished (and forgets a finished one's
/// outputs no sooner: the simulator keeps them); 204.
pub async fn delete(state: State, request: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Some(refusal) = version_refusal(&request) {
        return refusal;
    }
    if state.peek(&path).is_none() {
        return not_found();
    }
    state.cancel(&path);
    HttpResponse::NoContent().finish()
}

/// Every request names the API version; one that does not is refused as Runway does.
fn version_refusal(request: &HttpRequest) -> Option<HttpResponse> {
    let given = request
        .headers()
        .get("x-runway-version")
        .and_then(|v| v.to_str().ok());
    match given {
        Some(VERSION) => None,
        Some(_) => Some(runway_error(
            StatusCode::BAD_REQUEST,
            "Unsupported API version.",
        )),
        None => Some(runway_error(
            StatusCode::BAD_REQUEST,
            "X-Runway-Version header is required.",
        )),
    }
}

fn not_found() -> HttpResponse {
    runway_error(StatusCode::NOT_FOUND, "Task not found.")
}

/// Where this simulator serves finished files, as seen by the caller.
fn files(request: &HttpRequest) -> String {
    let info = request.connection_info();
    format!("{}://{}/runway/files", info.scheme(), info.host())
}

/// The task a video is at `now`.
fn task_at(record: &VideoRecord, files: &str, now: u64, cancelled: bool) -> Value {
    let video = record.at(now);
    let mut task = json!({
        "id": record.id,
        "createdAt": iso8601_from_ms(record.created_ms as i64),
    });
    let moderated = record.prompt.contains("sim:moderation");
    let status = match (cancelled, video.status) {
        (true, _) => "CANCELLED",
        (false, "queued") if record.prompt.contains("sim:throttled") => "THROTTLED",
        (false, "queued") => "PENDING",
        (false, _) if moderated => {
            task["failure"] = json!("Prompt rejected by moderation (simulated)");
            task["failureCode"] = json!("SAFETY.INPUT.TEXT");
            "FAILED"
        }
        (false, "failed") => {
            task["failure"] = json!("An unexpected error occurred (simulated)");
            task["failureCode"] = json!("INTERNAL.BAD_OUTPUT.CODE01");
            "FAILED"
        }
        (false, "completed") => {
            task["output"] = json!([format!("{files}/{}.mp4", record.id)]);
            "SUCCEEDED"
        }
        (false, _) => {
            task["progress"] = json!(f64::from(video.progress) / 100.0);
            "RUNNING"
        }
    };
    task["status"] = json!(status);
    task
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(prompt: &str) -> VideoRecord {
        VideoRecord {
            id: "task_1".into(),
            created_ms: 1_000_000,
            queued_ms: 1000,
            running_ms: 10_000,
            fails: false,
            model: "gen4.5".into(),
            prompt: prompt.into(),
            seconds: "5".into(),
            size: "1280:720".into(),
            remixed_from: None,
        }
    }

    #[test]
    fn a_task_moves_through_runways_states() {
        let r = record("a fox");
        assert_eq!(task_at(&r, "f", 1_000_500, false)["status"], "PENDING");
        let running = task_at(&r, "f", 1_006_000, false);
        assert_eq!(
            (running["status"].as_str(), running["progress"].as_f64()),
            (Some("RUNNING"), Some(0.49))
        );
        let done = task_at(&r, "f", 1_011_000, false);
        assert_eq!(done["status"], "SUCCEEDED");
        assert_eq!(done["output"][0], "f/task_1.mp4");
        assert_eq!(task_at(&r, "f", 1_006_000, true)["status"], "CANCELLED");
        assert_eq!(
            task_at(&record("sim:throttled"), "f", 1_000_500, false)["status"],
            "THROTTLED"
        );
        let refused = task_at(&record("sim:moderation"), "f", 1_002_000, false);
        assert_eq!(
            (refused["status"].as_str(), refused["failureCode"].as_str()),
            (Some("FAILED"), Some("SAFETY.INPUT.TEXT"))
        );
    }
}
