//! OpenRouter's video API under `/openrouter/api/v1` (`docs/providers/openrouter.md`): create (202
//! with the job's id and polling URL), retrieve, content, and the signed completion callback to a
//! job's `callback_url`. Each job is one of the simulator's videos, on the same timeline and with
//! the same faults as `/v1/videos`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use relay_shared::time::iso8601_from_ms;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::callbacks::{self, Scheme};
use crate::middleware::openrouter_error;
use crate::state::{now_ms, NewVideo, SimState};
use crate::video::VideoRecord;

type State = web::Data<SimState>;

/// The lengths the simulated models take, in seconds (Veo 3.1's).
const DURATIONS: &[u64] = &[4, 6, 8];

#[derive(Deserialize)]
pub struct CreateBody {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    duration: Option<Value>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    aspect_ratio: Option<String>,
    #[serde(default)]
    callback_url: Option<String>,
}

/// `POST /videos`: 202 `{"id", "polling_url", "status": "pending"}`.
pub async fn create(
    state: State,
    request: HttpRequest,
    body: web::Json<CreateBody>,
) -> HttpResponse {
    let body = body.into_inner();
    let bad = |message: &str| openrouter_error(StatusCode::BAD_REQUEST, message, None);
    let Some(model) = body.model.filter(|m| !m.is_empty()) else {
        return bad("model is required");
    };
    let Some(prompt) = body.prompt.filter(|p| !p.is_empty()) else {
        return bad("prompt is required");
    };
    if let Some(duration) = &body.duration {
        if !duration.as_u64().is_some_and(|d| DURATIONS.contains(&d)) {
            return bad(&format!(
                "duration must be one of the model's supported durations: {DURATIONS:?}"
            ));
        }
    }
    if let Some(url) = &body.callback_url {
        if reqwest::Url::parse(url).is_err() {
            return bad("callback_url must be a URL");
        }
    }
    let record = state.create(NewVideo {
        model,
        prompt,
        seconds: body.duration.map(|d| d.to_string()).unwrap_or_default(),
        size: body.size.or(body.aspect_ratio).unwrap_or_default(),
        remixed_from: None,
    });
    let base = base(&request);
    if let Some(url) = body.callback_url {
        let id = record.id.clone();
        let base = base.clone();
        callbacks::send_at(
            state.into_inner(),
            record.finishes_ms(),
            "openrouter",
            Scheme::OpenRouter,
            url,
            // OpenRouter's idempotency key: `<job_id>-<status>`.
            format!("{id}-{}", if record.fails { "failed" } else { "completed" }),
            move |state| {
                let record = state.peek(&id)?;
                let job = job(&record, &base, now_ms());
                let status = job["status"].as_str().unwrap_or("failed").to_owned();
                let mut data = job;
                data["model"] = json!(record.model);
                Some(
                    json!({
                        "type": format!("video.generation.{status}"),
                        "created_at": iso8601_from_ms(now_ms() as i64),
                        "data": data,
                    })
                    .to_string()
                    .into_bytes(),
                )
            },
        );
    }
    HttpResponse::Accepted().json(json!({
        "id": record.id,
        "polling_url": format!("{base}/videos/{}", record.id),
        "status": "pending",
    }))
}

/// `GET /videos/{id}`.
pub async fn retrieve(state: State, request: HttpRequest, path: web::Path<String>) -> HttpResponse {
    match state.get(&path) {
        Some(record) => HttpResponse::Ok().json(job(&record, &base(&request), now_ms())),
        None => openrouter_error(
            StatusCode::NOT_FOUND,
            "Video generation job not found",
            None,
        ),
    }
}

#[derive(Deserialize)]
pub struct ContentQuery {
    #[serde(default)]
    index: Option<usize>,
}

/// `GET /videos/{id}/content?index=0`: the video's bytes once completed.
pub async fn content(
    state: State,
    path: web::Path<String>,
    query: web::Query<ContentQuery>,
) -> HttpResponse {
    let Some(record) = state.get(&path) else {
        return openrouter_error(
            StatusCode::NOT_FOUND,
            "Video generation job not found",
            None,
        );
    };
    if record.prompt.contains("sim:content_502") {
        return openrouter_error(
            StatusCode::BAD_GATEWAY,
            "Upstream failed to return the video",
            None,
        );
    }
    if record.at(now_ms()).status != "completed" || query.index.unwrap_or(0) != 0 {
        return openrouter_error(StatusCode::NOT_FOUND, "No content at this index", None);
    }
    crate::files::respond(&state, &record)
}

/// This API's base URL as the client reached it.
fn base(request: &HttpRequest) -> String {
    let info = request.connection_info();
    format!("{}://{}/openrouter/api/v1", info.scheme(), info.host())
}

/// The job a video is at `now`: `pending`, `in_progress` (no progress figure: OpenRouter has none),
/// then `completed` with its content URL and usage, or `failed` with an error.
fn job(record: &VideoRecord, base: &str, now: u64) -> Value {
    let video = record.at(now);
    let mut job = json!({
        "id": record.id,
        "polling_url": format!("{base}/videos/{}", record.id),
    });
    match video.status {
        "queued" => job["status"] = json!("pending"),
        "in_progress" => job["status"] = json!("in_progress"),
        "completed" => {
            job["status"] = json!("completed");
            job["generation_id"] = json!(format!("gen-{}", &record.id[6..]));
            job["unsigned_urls"] = json!([format!("{base}/videos/{}/content?index=0", record.id)]);
            job["usage"] = json!({"cost": 0.25, "is_byok": false});
        }
        _ => {
            job["status"] = json!("failed");
            job["error"] = json!(if record.prompt.contains("sim:moderation") {
                "Content policy violation"
            } else {
                "The video could not be generated (simulated failure)."
            });
        }
    }
    job
}
