//! What one polling policy cost and how soon it told, and the clock that turns the bench's
//! `Instant`s into the simulator's wall-clock milliseconds.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::figures::{quantile, round};

/// Wall-clock ms of an `Instant`, given one moment known on both clocks.
pub(super) struct Clock {
    instant: Instant,
    epoch_ms: f64,
}

impl Clock {
    pub(super) fn now() -> Self {
        let epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        Self {
            instant: Instant::now(),
            epoch_ms: epoch.as_secs_f64() * 1000.0,
        }
    }

    pub(super) fn epoch_ms(&self, at: Instant) -> f64 {
        self.epoch_ms + at.duration_since(self.instant).as_secs_f64() * 1000.0
    }
}

/// What one policy cost and how soon it told.
pub(super) struct Outcome {
    pub(super) requests: u64,
    /// Completion to notice, in real-time seconds (measured × SPEEDUP), one per completed job.
    pub(super) delays: Vec<f64>,
    /// With callbacks: each job's final callback leaving the provider → its `completed` webhook
    /// at the receiver, in ms (not scaled: no wait of ours is in it).
    pub(super) callback_to_webhook_ms: Vec<f64>,
}

impl Outcome {
    pub(super) fn summary(&self, jobs: usize) -> Value {
        let mut delays = self.delays.clone();
        delays.sort_by(f64::total_cmp);
        let at = |q: f64| quantile(&delays, q);
        let mut summary = json!({
            "requests_per_job": round(self.requests as f64 / jobs as f64, 2),
            "median_delay_s": round(at(0.5), 2),
            "p90_delay_s": round(at(0.9), 2),
            "max_delay_s": round(at(1.0), 2),
        });
        if !self.callback_to_webhook_ms.is_empty() {
            let mut latencies = self.callback_to_webhook_ms.clone();
            latencies.sort_by(f64::total_cmp);
            summary["callback_to_webhook_ms"] = json!({
                "p50": round(quantile(&latencies, 0.5), 1),
                "p99": round(quantile(&latencies, 0.99), 1),
                "max": round(quantile(&latencies, 1.0), 1),
                "n": latencies.len(),
            });
        }
        summary
    }
}
