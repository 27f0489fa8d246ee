//! The simulator's own endpoints (`/sim/*`): change the faults in force, and read what clients did.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::state::SimState;

type State = web::Data<SimState>;

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

/// `GET /sim/callbacks`: every provider callback sent (each attempt), oldest first, with its
/// headers and body as sent, so tests can measure and replay them.
pub async fn sim_callbacks(state: State) -> HttpResponse {
    HttpResponse::Ok().json(state.callbacks())
}
