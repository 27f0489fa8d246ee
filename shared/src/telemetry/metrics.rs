//! Prometheus metrics: every metric the relay exports, named once here ([`CATALOGUE`]) with its
//! kind, labels, help and buckets, and recorded through the functions below so that a name or a
//! label is spelled in one place.
//!
//! Recording goes through the `metrics` facade: a process that installed no recorder (a worker
//! without `METRICS_PORT`, a test) pays one relaxed atomic load per call and keeps nothing. The
//! API installs the recorder and renders it at `GET /metrics`; a worker serves it on its own
//! port ([`serve`]).
//!
//! Conventions (<https://prometheus.io/docs/practices/naming/>): base units in names
//! (`_seconds`, `_bytes`), `_total` on counters, labels of bounded cardinality — never a job id or
//! a tenant. A model name comes from clients, so each process gives at most [`MAX_MODELS`]
//! distinct models their own series and counts the rest as `other`.
//!
//! Gauges about the whole deployment (jobs by status, queue depth, the oldest due item) are read
//! from Redis when the API is scraped, with O(1)/O(log n) commands per partition, never a scan:
//! every API process reports the same values, so dashboards aggregate them with `max`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use metrics::{counter, gauge, histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// What a metric is, as Prometheus types it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Which process exports a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exporter {
    Api,
    Worker,
    /// Both: the API for the callers it serves (content downloads), the worker for its polls.
    Both,
}

/// One exported metric.
#[derive(Clone, Copy, Debug)]
pub struct Metric {
    pub name: &'static str,
    pub kind: Kind,
    pub labels: &'static [&'static str],
    pub help: &'static str,
    pub exporter: Exporter,
    pub buckets: &'static [f64],
}

/// Request and call durations: 1 ms to a minute.
const CALL_SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// API requests: 100 µs (a status read) to 10 s (a large upload).
const REQUEST_SECONDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0,
];
/// How late a due item is claimed: on time is a few ms; minutes mean too few workers.
const LATENESS_SECONDS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];
/// Event to 2xx: one attempt (tens of ms) to a day of retries.
const DELIVERY_SECONDS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0,
    21600.0, 86400.0,
];
/// A video's making: seconds to an hour.
const RUN_SECONDS: &[f64] = &[
    5.0, 10.0, 20.0, 30.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0,
];

pub const HTTP_REQUEST_DURATION: &str = "relay_http_request_duration_seconds";
pub const JOBS_CREATED: &str = "relay_jobs_created_total";
pub const JOBS: &str = "relay_jobs";
pub const SUBMISSIONS_UNKNOWN: &str = "relay_submissions_unknown";
pub const QUEUE_ITEMS: &str = "relay_queue_items";
pub const QUEUE_DUE_ITEMS: &str = "relay_queue_due_items";
pub const QUEUE_OLDEST_DUE_AGE: &str = "relay_queue_oldest_due_age_seconds";
pub const DEAD_LETTERS: &str = "relay_webhook_dead_letters";
pub const REDIS_UP: &str = "relay_redis_up";
pub const JOBS_SUBMITTED: &str = "relay_jobs_submitted_total";
pub const JOBS_FINISHED: &str = "relay_jobs_finished_total";
pub const JOB_RUN_DURATION: &str = "relay_job_run_duration_seconds";
pub const CLAIM_LATENESS: &str = "relay_claim_lateness_seconds";
pub const PROVIDER_REQUEST_DURATION: &str = "relay_provider_request_duration_seconds";
pub const PROVIDER_BUDGET_WAITS: &str = "relay_provider_budget_waits_total";
pub const PROVIDER_PAUSES: &str = "relay_provider_pauses_total";
pub const PROVIDER_IN_FLIGHT_HOLDS: &str = "relay_provider_in_flight_holds_total";
pub const WEBHOOK_ATTEMPTS: &str = "relay_webhook_attempts_total";
pub const WEBHOOK_DELIVERY_LATENCY: &str = "relay_webhook_delivery_latency_seconds";
pub const WEBHOOK_DEAD_LETTERS: &str = "relay_webhook_dead_letters_total";

/// Every metric the relay exports (besides the `process_*` ones of each process).
pub const CATALOGUE: &[Metric] = &[
    Metric {
        name: HTTP_REQUEST_DURATION,
        kind: Kind::Histogram,
        labels: &["method", "route", "status"],
        help: "API requests by route pattern (`/api/video/{jobId}`) and status code.",
        exporter: Exporter::Api,
        buckets: REQUEST_SECONDS,
    },
    Metric {
        name: JOBS_CREATED,
        kind: Kind::Counter,
        labels: &["provider", "model"],
        help: "Jobs accepted by this API process.",
        exporter: Exporter::Api,
        buckets: &[],
    },
    Metric {
        name: JOBS,
        kind: Kind::Gauge,
        labels: &["status"],
        help: "Jobs by status, from the counters kept with every transition (the stats endpoint).",
        exporter: Exporter::Api,
        buckets: &[],
    },
    Metric {
        name: SUBMISSIONS_UNKNOWN,
        kind: Kind::Gauge,
        labels: &[],
        help: "Jobs whose submission's outcome nobody can tell now.",
        exporter: Exporter::Api,
        buckets: &[],
    },
    Metric {
        name: QUEUE_ITEMS,
        kind: Kind::Gauge,
        labels: &["queue", "partition"],
        help: "Items in a partition's queue (jobs: live jobs; deliveries: jobs with events to send), due or not.",
        exporter: Exporter::Api,
        buckets: &[],
    },
    Metric {
        name: QUEUE_DUE_ITEMS,
        kind: Kind::Gauge,
        labels: &["queue", "partition"],
        help: "Items of a partition's queue that are due now and not claimed: the backlog.",
        exporter: Exporter::Api,
        buckets: &[],
    },
    Metric {
        name: QUEUE_OLDEST_DUE_AGE,
        kind: Kind::Gauge,
        labels: &["queue", "partition"],
        help: "How long the earliest due item of a partition's queue has waited (0: none is due).",
        exporter: Exporter::Api,
        buckets: &[],
    },
    Metric {
        name: DEAD_LETTERS,
        kind: Kind::Gauge,
        labels: &[],
        help: "Webhook events given up after every retry and not redelivered since.",
        exporter: Exporter::Api,
        buckets: &[],
    },
    Metric {
        name: REDIS_UP,
        kind: Kind::Gauge,
        labels: &[],
        help: "1 when the last scrape could read Redis, else 0 (the gauges read from Redis then keep their last values).",
        exporter: Exporter::Api,
        buckets: &[],
    },
    Metric {
        name: JOBS_SUBMITTED,
        kind: Kind::Counter,
        labels: &["provider", "model"],
        help: "Jobs a provider accepted from this worker.",
        exporter: Exporter::Worker,
        buckets: &[],
    },
    Metric {
        name: JOBS_FINISHED,
        kind: Kind::Counter,
        labels: &["provider", "status"],
        help: "Jobs this worker saw end, by final status.",
        exporter: Exporter::Worker,
        buckets: &[],
    },
    Metric {
        name: JOB_RUN_DURATION,
        kind: Kind::Histogram,
        labels: &["provider"],
        help: "Submission to completion of the jobs this worker saw complete.",
        exporter: Exporter::Worker,
        buckets: RUN_SECONDS,
    },
    Metric {
        name: CLAIM_LATENESS,
        kind: Kind::Histogram,
        labels: &["queue"],
        help: "From the time an item fell due to its claim by this worker.",
        exporter: Exporter::Worker,
        buckets: LATENESS_SECONDS,
    },
    Metric {
        name: PROVIDER_REQUEST_DURATION,
        kind: Kind::Histogram,
        labels: &["provider", "operation", "outcome"],
        help: "Calls to a provider by operation (create, retrieve, find, cancel, download, check_content) and outcome (ok, or the failure class: rate_limited, quota, transient, auth, invalid_input).",
        exporter: Exporter::Both,
        buckets: CALL_SECONDS,
    },
    Metric {
        name: PROVIDER_BUDGET_WAITS,
        kind: Kind::Counter,
        labels: &["provider", "call", "outcome"],
        help: "Requests held back by a provider's request budget or pause: slept (a short wait in place) or deferred (the job rescheduled).",
        exporter: Exporter::Worker,
        buckets: &[],
    },
    Metric {
        name: PROVIDER_PAUSES,
        kind: Kind::Counter,
        labels: &["provider", "reason"],
        help: "Pauses this worker imposed on every worker's requests to a provider (rate_limited, quota).",
        exporter: Exporter::Worker,
        buckets: &[],
    },
    Metric {
        name: PROVIDER_IN_FLIGHT_HOLDS,
        kind: Kind::Counter,
        labels: &["provider"],
        help: "Submissions held back by a provider's in-flight cap.",
        exporter: Exporter::Worker,
        buckets: &[],
    },
    Metric {
        name: WEBHOOK_ATTEMPTS,
        kind: Kind::Counter,
        labels: &["outcome"],
        help: "Webhook delivery attempts: delivered, retry (failed, to be tried again), dead (failed for the last time).",
        exporter: Exporter::Worker,
        buckets: &[],
    },
    Metric {
        name: WEBHOOK_DELIVERY_LATENCY,
        kind: Kind::Histogram,
        labels: &[],
        help: "From an event's creation to the 2xx that delivered it, retries included.",
        exporter: Exporter::Worker,
        buckets: DELIVERY_SECONDS,
    },
    Metric {
        name: WEBHOOK_DEAD_LETTERS,
        kind: Kind::Counter,
        labels: &[],
        help: "Webhook events this worker gave up on after every retry.",
        exporter: Exporter::Worker,
        buckets: &[],
    },
];

/// Distinct model names one process gives series of their own.
pub const MAX_MODELS: usize = 100;

/// Longer model names are counted as `other`.
const MAX_MODEL_LEN: usize = 128;

/// The process's recorder, installed once.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

fn builder() -> PrometheusBuilder {
    let mut builder = PrometheusBuilder::new();
    for metric in CATALOGUE.iter().filter(|m| m.kind == Kind::Histogram) {
        builder = builder
            .set_buckets_for_metric(Matcher::Full(metric.name.to_owned()), metric.buckets)
            .expect("every histogram names its buckets");
    }
    builder
}

/// Installs this process's recorder (the first call; later ones return the same) and describes
/// every metric. What `GET /metrics` renders.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let handle = builder()
            .install_recorder()
            .expect("no other metrics recorder is installed");
        describe();
        handle
    })
}

/// The exposition text of this process's metrics, its `process_*` ones read now.
pub fn render() -> String {
    process_collector().collect();
    install().render()
}

fn process_collector() -> &'static metrics_process::Collector {
    static COLLECTOR: OnceLock<metrics_process::Collector> = OnceLock::new();
    COLLECTOR.get_or_init(|| {
        let collector = metrics_process::Collector::default();
        collector.describe();
        collector
    })
}

/// Serves this process's metrics on `0.0.0.0:port` (any path answers, `/metrics` included) until
/// the process ends. An error, naming the port, when it cannot be bound. Must run inside a Tokio
/// runtime; the listener and the recorder's upkeep are tasks on it.
pub fn serve(port: u16) -> anyhow::Result<()> {
    let address = SocketAddr::from(([0, 0, 0, 0], port));
    let (recorder, exporter) = builder()
        .with_http_listener(address)
        .build()
        .map_err(|e| anyhow::anyhow!("METRICS_PORT {port}: cannot serve metrics there: {e}"))?;
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)
        .map_err(|_| anyhow::anyhow!("a metrics recorder is already installed"))?;
    let _ = HANDLE.set(handle);
    describe();
    tokio::spawn(async move {
        if let Err(e) = exporter.await {
            tracing::error!("the metrics listener stopped: {e:?}");
        }
    });
    // The listener renders without asking: the process figures are refreshed on a clock of their
    // own, often enough for any scrape interval.
    tokio::spawn(async {
        loop {
            process_collector().collect();
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });
    Ok(())
}

fn describe() {
    for metric in CATALOGUE {
        let unit = if metric.name.ends_with("_seconds") {
            Some(Unit::Seconds)
        } else {
            None
        };
        match (metric.kind, unit) {
            (Kind::Counter, _) => metrics::describe_counter!(metric.name, metric.help),
            (Kind::Gauge, Some(unit)) => metrics::describe_gauge!(metric.name, unit, metric.help),
            (Kind::Gauge, None) => metrics::describe_gauge!(metric.name, metric.help),
            (Kind::Histogram, Some(unit)) => {
                metrics::describe_histogram!(metric.name, unit, metric.help)
            }
            (Kind::Histogram, None) => metrics::describe_histogram!(metric.name, metric.help),
        }
    }
}

/// `model` if this process has room for it (or already counts it), else `other`.
fn bounded_model(model: &str) -> String {
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

    pub fn redis_up(up: bool) {
        gauge!(REDIS_UP).set(if up { 1.0 } else { 0.0 });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_conventions() {
        let mut names = HashSet::new();
        for metric in CATALOGUE {
            assert!(names.insert(metric.name), "{} is listed twice", metric.name);
            assert!(metric.name.starts_with("relay_"), "{}", metric.name);
            assert_eq!(
                metric.kind == Kind::Counter,
                metric.name.ends_with("_total"),
                "{}: counters, and only they, end in _total",
                metric.name
            );
            assert_eq!(
                metric.kind == Kind::Histogram,
                !metric.buckets.is_empty(),
                "{}: histograms, and only they, have buckets",
                metric.name
            );
            assert!(metric.buckets.windows(2).all(|w| w[0] < w[1]));
            for label in metric.labels {
                assert!(
                    !label.contains("job") && !label.contains("tenant"),
                    "{}: {label} would be a series per job or tenant",
                    metric.name
                );
            }
        }
    }

    #[test]
    fn the_readme_table_lists_every_metric() {
        let readme = include_str!("../../../README.md");
        for metric in CATALOGUE {
            assert!(
                readme.contains(&format!("| `{}` |", metric.name)),
                "README.md's metrics table lacks {}",
                metric.name
            );
        }
    }

    #[test]
    fn models_beyond_the_bound_are_counted_as_other() {
        for i in 0..MAX_MODELS {
            bounded_model(&format!("model-{i}"));
        }
        assert_eq!(bounded_model("model-7"), "model-7");
        assert_eq!(bounded_model("one-too-many"), "other");
    }
}
