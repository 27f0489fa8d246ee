//! The development webhook sink at `/sim/webhooks`: logs each webhook and whether its
//! `x-signature` verifies, and keeps the most recent ones, exactly as received, for
//! `GET /sim/webhooks`. So a local run or a deployment smoke test sees the whole loop without a
//! client app, and can check the signatures itself.

use std::collections::VecDeque;
use std::sync::Mutex;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};

use crate::state::{now_ms, SimState};

/// The most webhooks kept; older ones are dropped first.
const KEPT: usize = 10_000;

/// The headers that carry a webhook's identity and signatures, kept with it.
const HEADERS: [&str; 5] = [
    "x-signature",
    "x-sequence",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

/// One webhook as it arrived.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Received {
    pub received_ms: u64,
    /// The signature headers present, by lower-case name.
    pub headers: serde_json::Map<String, Value>,
    /// The body, byte for byte (what the signatures cover).
    pub body: String,
    /// Whether `x-signature` verified under `SIM_WEBHOOK_SECRET`; null when no secret is set.
    pub signature_ok: Option<bool>,
}

#[derive(Default)]
pub struct Sink {
    kept: Mutex<VecDeque<Received>>,
}

impl Sink {
    fn keep(&self, webhook: Received) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() == KEPT {
            kept.pop_front();
        }
        kept.push_back(webhook);
    }

    fn all(&self) -> Vec<Received> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter().cloned().collect()
    }
}

/// `POST /sim/webhooks`: receive, check, log and keep one webhook.
pub async fn receive(
    state: web::Data<SimState>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    state.count_webhook();
    let secret = &state.config.webhook_secret;
    let signature = request
        .headers()
        .get("x-signature")
        .and_then(|v| v.to_str().ok());
    let signature_ok = (!secret.is_empty()).then(|| {
        signature.is_some_and(|sig| relay_shared::webhook::verify(secret.as_bytes(), &body, sig))
    });
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    tracing::info!(
        "📩 Webhook received: job {} {} ({}%) — {}",
        event["jobId"].as_str().unwrap_or("?"),
        event["status"].as_str().unwrap_or("?"),
        event["progress"],
        match signature_ok {
            None => "not checked (SIM_WEBHOOK_SECRET unset)",
            Some(true) => "signature ok",
            Some(false) => "SIGNATURE INVALID",
        }
    );
    let headers = HEADERS
        .iter()
        .filter_map(|name| {
            let value = request.headers().get(*name)?.to_str().ok()?;
            Some((name.to_string(), Value::from(value)))
        })
        .collect();
    state.sink.keep(Received {
        received_ms: now_ms(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        signature_ok,
    });
    HttpResponse::Ok().json(json!({ "ok": true }))
}

/// `GET /sim/webhooks`: the webhooks kept, oldest first, and how many arrived in all.
pub async fn list(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "received": state.counters().webhooks_received,
        "webhooks": state.sink.all(),
    }))
}
