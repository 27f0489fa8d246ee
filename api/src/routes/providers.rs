//! `GET /api/providers`: each enabled provider as the dashboard's Providers view shows it —
//! requests per minute against its budget, jobs in flight against its cap, its pauses, and per
//! model the circuit breaker's state and the p50/p95 of the latest run times. Aggregates only
//! (no job of anyone's), so any valid key may read it. Nothing here moves a breaker.

use actix_web::{web, HttpResponse};
use relay_shared::config::CircuitSettings;
use relay_shared::store::provider_view::quantile;
use relay_shared::store::ModelView;
use relay_shared::time::iso8601_from_ms;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

const PROVIDERS: &str = "/api/providers";

crate::routes::endpoints! {
    GET PROVIDERS => providers;
}

/// `GET /api/providers`: every enabled provider, the default first.
#[utoipa::path(get, path = PROVIDERS,
    responses((status = 200, description = "`{\"providers\": [{\"name\", \"default\", \"maxRpm\", \"requestsPerMinute\", \"requestsThisMinute\", \"requestsLastMinute\", \"inFlight\", \"maxInFlight\", \"waiting\", \"pausedUntil\", \"quotaPausedUntil\", \"models\": [{\"model\", \"circuit\", \"failures\", \"openUntil\", \"runs\", \"p50Ms\", \"p95Ms\"}…]}…]}`; a limit of 0 is none"), (status = 401, description = "No valid API key", body = crate::openapi::ErrorBody), (status = 503, description = "Redis unavailable; retry", body = crate::openapi::ErrorBody)))]
pub async fn providers(
    state: web::Data<AppState>,
    _caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let now = chrono::Utc::now().timestamp_millis();
    // Every provider's reads at once: one provider's round trips do not wait for another's.
    let views = futures_util::future::try_join_all(state.providers.iter().map(|provider| {
        state.store.provider_view(
            provider.name,
            std::slice::from_ref(&provider.default_model),
            now,
        )
    }))
    .await?;
    let mut shown = Vec::new();
    for (i, (provider, view)) in state.providers.iter().zip(views).enumerate() {
        let total = |minute: &std::collections::BTreeMap<String, u64>| minute.values().sum::<u64>();
        let (this_minute, last_minute) = (total(&view.this_minute), total(&view.last_minute));
        shown.push(json!({
            "name": provider.name,
            "default": i == 0,
            "maxRpm": provider.limits.max_rpm,
            "requestsPerMinute": sliding_rate(this_minute, last_minute, now),
            "requestsThisMinute": this_minute,
            "requestsLastMinute": last_minute,
            "requestsByKind": view.last_minute,
            "inFlight": view.in_flight,
            "maxInFlight": provider.limits.max_in_flight,
            "waiting": view.waiting,
            "pausedUntil": view.paused_until_ms.map(iso8601_from_ms),
            "quotaPausedUntil": view.quota_paused_until_ms.map(iso8601_from_ms),
            "models": view.models.iter().map(|m| model(m, state.circuit, now)).collect::<Vec<_>>(),
        }));
    }
    Ok(HttpResponse::Ok().json(json!({ "providers": shown })))
}

/// Requests in the 60 seconds up to `now_ms`, estimated from two whole-minute counts as a sliding
/// window does: this minute's so far, plus the part of the last minute still inside the window.
fn sliding_rate(this_minute: u64, last_minute: u64, now_ms: i64) -> u64 {
    let into_this = now_ms.rem_euclid(60_000) as f64 / 60_000.0;
    this_minute + (last_minute as f64 * (1.0 - into_this)).round() as u64
}

fn model(view: &ModelView, circuit: CircuitSettings, now: i64) -> Value {
    let (state, open_until) = circuit_state(view, circuit, now);
    json!({
        "model": view.model,
        "circuit": state,
        "failures": view.failures,
        "openUntil": open_until.map(iso8601_from_ms),
        "runs": view.runtimes_ms.len(),
        "p50Ms": quantile(&view.runtimes_ms, 0.5),
        "p95Ms": quantile(&view.runtimes_ms, 0.95),
    })
}

/// As `breaker.lua` would answer a check now, without taking the probe: `closed`, `open` (until
/// when), `probing` (one job is trying it) or `half-open` (the next job probes it).
fn circuit_state(
    view: &ModelView,
    circuit: CircuitSettings,
    now: i64,
) -> (&'static str, Option<i64>) {
    if view.opened_ms == 0 {
        return ("closed", None);
    }
    let reopens = view.opened_ms + circuit.open.as_millis() as i64;
    if now < reopens {
        ("open", Some(reopens))
    } else if now < view.probe_until_ms {
        ("probing", None)
    } else {
        ("half-open", None)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_rate_slides_over_the_minute_boundary() {
        assert_eq!(
            sliding_rate(10, 60, 120_000),
            70,
            "at the boundary, all of the last"
        );
        assert_eq!(sliding_rate(10, 60, 150_000), 40, "half way, half of it");
        assert_eq!(sliding_rate(0, 0, 150_000), 0);
    }

    #[test]
    fn a_breaker_reads_as_its_state() {
        let circuit = CircuitSettings {
            failures: 3,
            window: Duration::from_secs(60),
            open: Duration::from_secs(30),
        };
        let at = |opened_ms, probe_until_ms| ModelView {
            opened_ms,
            probe_until_ms,
            ..ModelView::default()
        };
        assert_eq!(circuit_state(&at(0, 0), circuit, 100_000), ("closed", None));
        assert_eq!(
            circuit_state(&at(90_000, 0), circuit, 100_000),
            ("open", Some(120_000))
        );
        assert_eq!(
            circuit_state(&at(60_000, 110_000), circuit, 100_000).0,
            "probing"
        );
        assert_eq!(
            circuit_state(&at(60_000, 0), circuit, 100_000).0,
            "half-open"
        );
    }
}
