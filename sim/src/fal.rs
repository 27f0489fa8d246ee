//! fal's queue under `/fal` (`docs/providers/fal.md`): submit to an app path, status (202 while
//! waiting or running, 200 once completed), result, cancel, the signed completion callback to
//! `?fal_webhook=`, and the JWKS of the signing key at `/fal/.well-known/jwks.json`. Each request
//! is one of the simulator's videos, on the same timeline and with the same faults as `/v1/videos`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::callbacks::{self, Scheme};
use crate::middleware::fal_error;
use crate::state::{now_ms, NewVideo, SimState};
use crate::video::VideoRecord;

type State = web::Data<SimState>;

#[derive(Deserialize)]
pub struct SubmitQuery {
    #[serde(default)]
    fal_webhook: Option<String>,
}

/// `POST /{app path}`: the model's input; answers the request's id and URLs.
pub async fn submit(
    state: State,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<SubmitQuery>,
    input: web::Json<Value>,
) -> HttpResponse {
    let model = path.into_inner();
    let parts: Vec<&str> = model.split('/').collect();
    if parts.len() < 2 || parts.iter().any(|p| p.is_empty()) {
        return fal_error(StatusCode::NOT_FOUND, "Application not found", None);
    }
    let app = parts[..2].join("/");
    let input = input.into_inner();
    let Some(prompt) = input.get("prompt").and_then(Value::as_str) else {
        return validation_error("prompt", "field required");
    };
    if let Some(duration) = input.get("duration") {
        // Kling's durations: the strings "5" and "10".
        if !matches!(duration.as_str(), Some("5" | "10")) {
            return validation_error("duration", "unexpected value; permitted: '5', '10'");
        }
    }
    let record = state.create(NewVideo {
        model: model.clone(),
        prompt: prompt.to_owned(),
        seconds: input
            .get("duration")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        size: input
            .get("aspect_ratio")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        remixed_from: None,
    });
    let base = base(&request);
    let request_url = format!("{base}/{app}/requests/{}", record.id);
    if let Some(url) = query.into_inner().fal_webhook {
        let id = record.id.clone();
        let base = base.clone();
        callbacks::send_at(
            state.into_inner(),
            record.finishes_ms(),
            "fal",
            Scheme::Fal,
            url,
            record.id.clone(),
            move |state| {
                let record = state.peek(&id)?;
                let body = if record.fails {
                    json!({"request_id": id, "gateway_request_id": id, "status": "ERROR",
                           "error": "Invalid status code: 422",
                           "payload": {"detail": [{"loc": ["body"], "msg": failure(&record), "type": "value_error"}]}})
                } else {
                    json!({"request_id": id, "gateway_request_id": id, "status": "OK",
                           "payload": result(&record, &base)})
                };
                Some(body.to_string().into_bytes())
            },
        );
    }
    HttpResponse::Ok().json(json!({
        "request_id": record.id,
        "response_url": request_url,
        "status_url": format!("{request_url}/status"),
        "cancel_url": format!("{request_url}/cancel"),
        "queue_position": 0,
    }))
}

/// `GET /{owner}/{alias}/requests/{id}/status`.
pub async fn status(state: State, path: web::Path<(String, String, String)>) -> HttpResponse {
    let (_, _, id) = path.into_inner();
    let Some(record) = state.get(&id) else {
        return fal_error(StatusCode::NOT_FOUND, "Request not found", None);
    };
    let cancelled = state.is_cancelled(&id);
    match (record.at(now_ms()).status, cancelled) {
        (_, true) => HttpResponse::Ok().json(json!({
            "status": "COMPLETED", "request_id": id, "logs": [],
            "error": "The request was cancelled", "error_type": "request_cancelled",
        })),
        ("queued", _) => HttpResponse::Accepted().json(json!({
            "status": "IN_QUEUE", "request_id": id, "queue_position": 0,
        })),
        ("in_progress", _) => HttpResponse::Accepted().json(json!({
            "status": "IN_PROGRESS", "request_id": id, "logs": [],
        })),
        ("completed", _) => HttpResponse::Ok().json(json!({
            "status": "COMPLETED", "request_id": id, "logs": [],
            "metrics": {"inference_time": record.running_ms as f64 / 1000.0},
        })),
        _ => HttpResponse::Ok().json(json!({
            "status": "COMPLETED", "request_id": id, "logs": [],
            "error": failure(&record), "error_type": error_type(&record),
        })),
    }
}

/// `GET /{owner}/{alias}/requests/{id}`: the result once completed.
pub async fn result_of(
    state: State,
    request: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (_, _, id) = path.into_inner();
    let Some(record) = state.get(&id) else {
        return fal_error(StatusCode::NOT_FOUND, "Request not found", None);
    };
    match record.at(now_ms()).status {
        "completed" if !state.is_cancelled(&id) => {
            HttpResponse::Ok().json(result(&record, &base(&request)))
        }
        "queued" | "in_progress" if !state.is_cancelled(&id) => fal_error(
            StatusCode::BAD_REQUEST,
            "Request is still in progress",
            None,
        ),
        _ if state.is_cancelled(&id) => {
            fal_error(StatusCode::BAD_REQUEST, "The request was cancelled", None)
        }
        _ => fal_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &failure(&record),
            Some(error_type(&record)),
        ),
    }
}

/// `PUT /{owner}/{alias}/requests/{id}/cancel`.
pub async fn cancel(state: State, path: web::Path<(String, String, String)>) -> HttpResponse {
    let (_, _, id) = path.into_inner();
    if state.get(&id).is_none() {
        return fal_error(StatusCode::NOT_FOUND, "Request not found", None);
    }
    if state.cancel(&id) {
        HttpResponse::Accepted().json(json!({"status": "CANCELLATION_REQUESTED"}))
    } else {
        HttpResponse::BadRequest().json(json!({"status": "ALREADY_COMPLETED"}))
    }
}

/// `GET /.well-known/jwks.json`: the public key fal signs its callbacks with.
pub async fn jwks(state: State) -> HttpResponse {
    HttpResponse::Ok().json(state.signers.fal_jwks())
}

fn validation_error(field: &str, msg: &str) -> HttpResponse {
    HttpResponse::UnprocessableEntity().json(json!({
        "detail": [{"loc": ["body", field], "msg": msg, "type": "value_error"}]
    }))
}

fn result(record: &VideoRecord, base: &str) -> Value {
    json!({
        "video": {
            "url": format!("{base}/files/{}.mp4", record.id),
            "content_type": "video/mp4",
            "file_name": "output.mp4",
        }
    })
}

fn failure(record: &VideoRecord) -> String {
    if record.prompt.contains("sim:moderation") {
        "The prompt was flagged by the content checker".into()
    } else {
        "The video could not be generated (simulated failure).".into()
    }
}

fn error_type(record: &VideoRecord) -> &'static str {
    if record.prompt.contains("sim:moderation") {
        "content_policy_violation"
    } else {
        "generation_failed"
    }
}

/// This API's base URL as the client reached it.
fn base(request: &HttpRequest) -> String {
    let info = request.connection_info();
    format!("{}://{}/fal", info.scheme(), info.host())
}
