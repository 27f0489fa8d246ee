//! Live events as Server-Sent Events: `GET /api/videos/{jobId}/events` (one job) and
//! `GET /api/events` (all of the caller's jobs). Each event's data is the webhook body, exactly as
//! the webhook carries it. Both resume from `Last-Event-ID` (the header a browser's EventSource
//! sends when it reconnects, or `?lastEventId=`) on any API process: they are fed from Redis —
//! the events kept with each job and the partitions' live streams — through this process's one
//! [`hub::Hub`], never by asking Redis per client. Same keys and tenant isolation as the rest.

mod frame;
pub mod hub;
mod job_stream;
mod tenant_stream;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;
use hub::Interest;
use tenant_stream::Positions;

const JOB_EVENTS: &str = "/api/videos/{job_id}/events";
const EVENTS: &str = "/api/events";

crate::routes::endpoints! {
    GET JOB_EVENTS => job_events;
    GET EVENTS => events;
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct Resume {
    /// Where to resume, for clients that cannot send the `Last-Event-ID` header (the header
    /// wins when both are given).
    last_event_id: Option<String>,
}

/// The client's resume point: the `Last-Event-ID` header, else `?lastEventId=`.
fn last_event_id(request: &HttpRequest, query: &Resume) -> Option<String> {
    request
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| query.last_event_id.clone())
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
}

/// `GET /api/videos/{jobId}/events`: the job's events as Server-Sent Events, `id:` the event's
/// sequence number; the kept ones after `Last-Event-ID` first, then live ones; the stream ends
/// after the final event.
#[utoipa::path(get, path = JOB_EVENTS, params(("job_id" = String, Path), Resume),
    responses((status = 200, description = "text/event-stream: one event per webhook body, `id:` its sequence number", content_type = "text/event-stream", body = String), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 404, description = "Not found (or another tenant's)", body = crate::openapi::ErrorBody), (status = 422, description = "Last-Event-ID is not a sequence number", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn job_events(
    state: web::Data<AppState>,
    caller: Caller,
    job_id: web::Path<String>,
    query: web::Query<Resume>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let after = match last_event_id(&request, &query) {
        None => 0,
        Some(id) => id.parse::<u64>().map_err(|_| {
            ApiError::invalid_field(format!(
                "Last-Event-ID {id:?} is not an event of this job (a sequence number)"
            ))
        })?,
    };
    let job = caller.job(&state.store, &job_id).await?;
    let job_id = job.id.clone();
    let live = state.hub.subscribe(job_stream::interest(&job_id));
    let store = state.store.clone();
    Ok(frame::stream(state.live.heartbeat, move |frames| {
        job_stream::produce(frames, store, job_id, after, live)
    }))
}

/// `GET /api/events`: every event of the caller's jobs as Server-Sent Events, `id:` the stream
/// position after it (resumable with `Last-Event-ID`); a first `ready` event carries the position
/// the stream starts from.
#[utoipa::path(get, path = EVENTS, params(Resume),
    responses((status = 200, description = "text/event-stream: `ready`, then one event per webhook body of the caller's jobs (`gap` where the live stream was trimmed)", content_type = "text/event-stream", body = String), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 422, description = "Last-Event-ID is not a position of this stream", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<Resume>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let partitions = state.store.keys().partitions();
    let positions = match last_event_id(&request, &query) {
        Some(id) => Positions::parse(&id, partitions).map_err(ApiError::invalid_field)?,
        None => Positions::new(state.store.live_ends().await?),
    };
    let interest = match caller.tenant() {
        Some(tenant) => Interest::Tenant(tenant.to_owned()),
        None => Interest::Everything,
    };
    let hub = state.hub.clone();
    let store = state.store.clone();
    let subscribe_to = interest.clone();
    Ok(frame::stream(state.live.heartbeat, move |frames| {
        tenant_stream::produce(frames, store, interest, positions, move || {
            hub.subscribe(subscribe_to)
        })
    }))
}
