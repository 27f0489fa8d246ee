//! Recording: one function per metric, so that each name and label is spelled in one place.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use metrics::{counter, gauge, histogram};

use super::catalogue::*;

/// Distinct model names one process gives series of their own.
pub const MAX_MODELS: usize = 100;

/// Longer model names are counted as `other`.
const MAX_MODEL_LEN: usize = 128;

/// `model` if this process has room for it (or already counts it), else `other`.
pub(super) fn bounded_model(model: &str) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if model.len() > MAX_MODEL_LEN {
        return "other".to_owned();
    }
    if seen.contains(model) {
        return model.to_owned();
    }
    if seen.len() < MAX_MODELS {
        seen.insert(model.to_owned());
        return model.to_owned();
    }
    "other".to_owned()
}

/// An API request answered.
pub fn http_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    histogram!(HTTP_REQUEST_DURATION,
        "method" => method.to_owned(), "route" => route.to_owned(), "status" => status.to_string())
    .record(elapsed);
}

/// A job accepted by the API.
pub fn job_created(provider: &str, model: &str) {
    counter!(JOBS_CREATED, "provider" => provider.to_owned(), "model" => bounded_model(model))
        .increment(1);
}

/// A job accepted by its provider.
pub fn job_submitted(provider: &'static str, model: &str) {
    counter!(JOBS_SUBMITTED, "provider" => provider, "model" => bounded_model(model)).increment(1);
}

/// A job ended with `status`; `ran` is its time from submission to completion, for completed ones.
pub fn job_finished(provider: &'static str, status: &'static str, ran: Option<Duration>) {
    counter!(JOBS_FINISHED, "provider" => provider, "status" => status).increment(1);
    if let Some(ran) = ran {
        histogram!(JOB_RUN_DURATION, "provider" => provider).record(ran);
    }
}

/// Items claimed from `queue`, each this late.
pub fn claimed(queue: &'static str, lateness: impl IntoIterator<Item = Duration>) {
    let recorded = histogram!(CLAIM_LATENESS, "queue" => queue);
    for late in lateness {
        recorded.record(late);
    }
}

/// One call to a provider: `outcome` is `ok` or the failure class.
pub fn provider_call(
    provider: &'static str,
    operation: &'static str,
    outcome: &'static str,
    elapsed: Duration,
) {
    histogram!(PROVIDER_REQUEST_DURATION,
        "provider" => provider, "operation" => operation, "outcome" => outcome)
    .record(elapsed);
}

/// A request held back by the provider's budget: `slept` in place or `deferred`.
pub fn budget_wait(provider: &'static str, call: &'static str, outcome: &'static str) {
    counter!(PROVIDER_BUDGET_WAITS, "provider" => provider, "call" => call, "outcome" => outcome)
        .increment(1);
}

/// A pause imposed on every worker's requests to `provider`.
pub fn provider_paused(provider: &'static str, reason: &'static str) {
    counter!(PROVIDER_PAUSES, "provider" => provider, "reason" => reason).increment(1);
}

/// A routed job left a target at `provider`, for `reason`.
pub fn route_move(provider: &'static str, reason: &'static str) {
    counter!(ROUTE_MOVES, "provider" => provider, "reason" => reason).increment(1);
}

/// A target's circuit at `provider` changed `to` `opened`, `reopened` or `closed`.
pub fn circuit_change(provider: &'static str, to: &'static str) {
    counter!(CIRCUIT_CHANGES, "provider" => provider, "to" => to).increment(1);
}

/// A submission held back by the in-flight cap.
pub fn in_flight_hold(provider: &'static str) {
    counter!(PROVIDER_IN_FLIGHT_HOLDS, "provider" => provider).increment(1);
}

/// A webhook attempt's outcome: `delivered`, `retry` or `dead`; a delivery `latency` after it
/// was made (delivered attempts).
pub fn webhook_attempt(outcome: &'static str, latency: Option<Duration>) {
    counter!(WEBHOOK_ATTEMPTS, "outcome" => outcome).increment(1);
    if let Some(latency) = latency {
        histogram!(WEBHOOK_DELIVERY_LATENCY).record(latency);
    }
    if outcome == "dead" {
        counter!(WEBHOOK_DEAD_LETTERS).increment(1);
    }
}

/// What one read of the deployment's counters and queues found, set as gauges.
pub mod sampled {
    use super::*;

    pub fn jobs(status: &'static str, count: i64) {
        gauge!(JOBS, "status" => status).set(count as f64);
    }

    pub fn submissions_unknown(count: i64) {
        gauge!(SUBMISSIONS_UNKNOWN).set(count as f64);
    }

    pub fn dead_letters(count: i64) {
        gauge!(DEAD_LETTERS).set(count as f64);
    }

    pub fn queue(queue: &'static str, partition: u16, items: u64, due: u64, oldest_due: Duration) {
        let partition = partition.to_string();
        gauge!(QUEUE_ITEMS, "queue" => queue, "partition" => partition.clone()).set(items as f64);
        gauge!(QUEUE_DUE_ITEMS, "queue" => queue, "partition" => partition.clone()).set(due as f64);
        gauge!(QUEUE_OLDEST_DUE_AGE, "queue" => queue, "partition" => partition)
            .set(oldest_due.as_secs_f64());
    }

    pub fn event_subscribers(count: usize) {
        gauge!(EVENT_SUBSCRIBERS).set(count as f64);
    }

    pub fn redis_up(up: bool) {
        gauge!(REDIS_UP).set(if up { 1.0 } else { 0.0 });
    }
}
