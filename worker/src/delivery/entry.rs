//! What an attempt leaves behind: its entry in the job's attempt log, and its count in the
//! metrics.

use std::time::Duration;

use relay_shared::store::DeliveryOutcome;
use relay_shared::telemetry::metrics;
use relay_shared::time::now_iso8601;
use relay_shared::webhook::{AttemptEntry, AttemptOutcome, Whose};

use super::attempt::Head;
use super::sender::Destination;

/// An attempt in the metrics: its outcome, and for a delivered event, the time since the event was
/// made (on Redis's clock: the claim's time plus the attempt's own).
pub(super) fn count(outcome: &DeliveryOutcome, created_ms: i64, claimed_ms: i64, took: Duration) {
    match outcome {
        DeliveryOutcome::Delivered => {
            let waited = Duration::from_millis(claimed_ms.saturating_sub(created_ms).max(0) as u64);
            metrics::webhook_attempt("delivered", Some(waited + took));
        }
        DeliveryOutcome::Retry { .. } => metrics::webhook_attempt("retry", None),
        DeliveryOutcome::Dead { .. } => metrics::webhook_attempt("dead", None),
    }
}

/// An attempt that sent nothing, for `error`: retried after `retry_after`, or given up without
/// one.
pub(super) fn unsent(
    head: &Head,
    destination: Option<Destination<'_>>,
    error: String,
    retry_after: Option<Duration>,
) -> (DeliveryOutcome, AttemptEntry) {
    let (outcome, verdict) = match retry_after {
        Some(after) => (
            DeliveryOutcome::Retry {
                after,
                asked_by_receiver: false,
            },
            AttemptOutcome::Retry,
        ),
        None => (
            DeliveryOutcome::Dead {
                error: error.clone(),
            },
            AttemptOutcome::Dead,
        ),
    };
    let entry = log_entry(
        head,
        destination,
        None,
        Duration::ZERO,
        Some(&error),
        "",
        verdict,
    );
    (outcome, entry)
}

/// The attempt log's entry for an attempt. `destination` tells whose endpoint it was: the
/// operator's (`WEBHOOK_URL`), whose URL and answers a tenant must not see, or the job's own.
pub(super) fn log_entry(
    head: &Head,
    destination: Option<Destination<'_>>,
    status: Option<u16>,
    took: Duration,
    error: Option<&str>,
    response: &str,
    outcome: AttemptOutcome,
) -> AttemptEntry {
    let (url, whose) = match destination {
        Some(Destination::Operator(url)) => (url, Whose::Operator),
        Some(Destination::Client(url)) => (url, Whose::Own),
        None => ("", Whose::None),
    };
    AttemptEntry {
        sequence: head.seq,
        at: now_iso8601(),
        url: Some(url.to_owned()),
        status_code: status,
        duration_ms: took.as_millis() as u64,
        error: error.map(str::to_owned),
        response: Some(response.to_owned()),
        outcome,
        destination: Some(whose),
    }
}
