//! Replicate's predictions API under `/replicate/v1` (`docs/providers/replicate.md`): create by
//! model or by version, retrieve, and the paginated list. Each prediction is one of the
//! simulator's videos, on the same timeline and with the same faults as `/v1/videos`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use relay_shared::time::iso8601_from_ms;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::callbacks::{self, Scheme};
use crate::middleware::problem;
use crate::state::{now_ms, NewVideo, SimState};
use crate::video::VideoRecord;

type State = web::Data<SimState>;

/// Predictions a list page holds, as Replicate's does.
const PAGE: usize = 100;

#[derive(Deserialize)]
pub struct CreateBody {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    input: Option<Value>,
    /// Where to send the prediction when the events of the filter happen.
    #[serde(default)]
    webhook: Option<String>,
    /// Of `start`, `output`, `logs`, `completed` (default: `output` and `completed`).
    #[serde(default)]
    webhook_events_filter: Option<Vec<String>>,
}

/// `POST /models/{owner}/{name}/predictions`.
pub async fn create_for_model(
    state: State,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<CreateBody>,
) -> HttpResponse {
    let (owner, name) = path.into_inner();
    create(
        &state,
        &request,
        format!("{owner}/{name}"),
        body.into_inner(),
    )
}

/// `POST /predictions` with a `version`.
pub async fn create_for_version(
    state: State,
    request: HttpRequest,
    body: web::Json<CreateBody>,
) -> HttpResponse {
    let body = body.into_inner();
    let Some(version) = body.version.clone() else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid version or not permitted",
            "The specified version does not exist (or perhaps you don't have permission to use it?)",
        );
    };
    create(&state, &request, version, body)
}

fn create(state: &State, request: &HttpRequest, model: String, body: CreateBody) -> HttpResponse {
    let input = body.input.unwrap_or(Value::Null);
    let Some(prompt) = input.get("prompt").and_then(Value::as_str) else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Input validation failed",
            "input: prompt is required",
        );
    };
    let record = state.create(NewVideo {
        model,
        prompt: prompt.to_owned(),
        seconds: input
            .get("duration")
            .map(Value::to_string)
            .unwrap_or_default(),
        size: input
            .get("aspect_ratio")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        remixed_from: None,
    });
    let base = base(request);
    if let Some(url) = body.webhook {
        let events = body
            .webhook_events_filter
            .unwrap_or_else(|| vec!["output".into(), "completed".into()]);
        // `output` for a video model is its one output, at completion: sent as `completed` is.
        let mut at = Vec::new();
        if events.iter().any(|e| e == "start") {
            at.push(("start", record.starts_ms()));
        }
        if events.iter().any(|e| e == "completed" || e == "output") {
            at.push(("completed", record.finishes_ms()));
        }
        for (event, at_ms) in at {
            let (id, base) = (record.id.clone(), base.clone());
            callbacks::send_at(
                state.clone().into_inner(),
                at_ms,
                "replicate",
                Scheme::Replicate,
                url.clone(),
                format!("msg_{}_{event}", record.id),
                move |state| {
                    let record = state.peek(&id)?;
                    let cancelled = state.is_cancelled(&id);
                    let body = prediction(&record, &base, now_ms(), cancelled);
                    Some(body.to_string().into_bytes())
                },
            );
        }
    }
    HttpResponse::Created().json(prediction(&record, &base, now_ms(), false))
}

/// `POST /predictions/{id}/cancel`: the prediction, `canceled` unless it had finished.
pub async fn cancel(state: State, request: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let Some(record) = state.get(&path) else {
        return not_found();
    };
    state.cancel(&path);
    let cancelled = state.is_cancelled(&path);
    HttpResponse::Ok().json(prediction(&record, &base(&request), now_ms(), cancelled))
}

/// `GET /webhooks/default/secret`: the key callbacks are signed with.
pub async fn webhook_secret(state: State) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "key": state.config.replicate_webhook_secret }))
}

fn not_found() -> HttpResponse {
    problem(
        StatusCode::NOT_FOUND,
        "Not found",
        "The requested resource could not be found.",
    )
}

/// `GET /predictions/{id}`.
pub async fn retrieve(state: State, request: HttpRequest, path: web::Path<String>) -> HttpResponse {
    match state.get(&path) {
        Some(record) => {
            let cancelled = state.is_cancelled(&record.id);
            HttpResponse::Ok().json(prediction(&record, &base(&request), now_ms(), cancelled))
        }
        None => not_found(),
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

/// `GET /predictions[?cursor=…]`: newest first, `next` naming the following page.
pub async fn list(
    state: State,
    request: HttpRequest,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let (page, has_more) = state.list(query.cursor.as_deref(), PAGE, true);
    let base = base(&request);
    let now = now_ms();
    let next = has_more
        .then(|| {
            page.last()
                .map(|last| format!("{base}/predictions?cursor={}", last.id))
        })
        .flatten();
    let results: Vec<Value> = page
        .iter()
        .map(|r| prediction(r, &base, now, state.is_cancelled(&r.id)))
        .collect();
    HttpResponse::Ok().json(json!({ "next": next, "previous": null, "results": results }))
}

/// This API's base URL as the client reached it.
fn base(request: &HttpRequest) -> String {
    let info = request.connection_info();
    format!("{}://{}/replicate/v1", info.scheme(), info.host())
}

/// The prediction a video is at `now`: `starting` while queued, `processing` with a progress bar
/// in its logs, then `succeeded` with its output URL or `failed` with an error.
fn prediction(record: &VideoRecord, base: &str, now: u64, cancelled: bool) -> Value {
    let video = record.at(now);
    let status = if cancelled { "canceled" } else { video.status };
    let (status, logs, output, error) = match status {
        "canceled" => ("canceled", String::new(), Value::Null, Value::Null),
        "queued" => ("starting", String::new(), Value::Null, Value::Null),
        "in_progress" => (
            "processing",
            format!(
                "{:>3}%|{}| {}/100",
                video.progress,
                "█".repeat(usize::from(video.progress / 10)),
                video.progress
            ),
            Value::Null,
            Value::Null,
        ),
        "completed" => (
            "succeeded",
            "100%|██████████| 100/100".to_owned(),
            json!(format!("{base}/files/{}.mp4", record.id)),
            Value::Null,
        ),
        _ => (
            "failed",
            String::new(),
            Value::Null,
            json!("The video could not be generated (simulated failure)."),
        ),
    };
    json!({
        "id": record.id,
        "model": record.model,
        "version": "hidden",
        "input": {"prompt": record.prompt},
        "logs": logs,
        "output": output,
        "data_removed": false,
        "error": error,
        "status": status,
        "created_at": iso8601_from_ms(record.created_ms as i64),
        "completed_at": video.completed_at.map(|secs| iso8601_from_ms(secs as i64 * 1000)),
        "urls": {
            "get": format!("{base}/predictions/{}", record.id),
            "cancel": format!("{base}/predictions/{}/cancel", record.id),
        },
    })
}
