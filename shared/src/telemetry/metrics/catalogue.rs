//! Every metric the relay exports, named once: its kind, labels, help, buckets and exporter.

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
pub const EVENT_SUBSCRIBERS: &str = "relay_event_subscribers";
pub const JOBS_SUBMITTED: &str = "relay_jobs_submitted_total";
pub const JOBS_FINISHED: &str = "relay_jobs_finished_total";
pub const JOB_RUN_DURATION: &str = "relay_job_run_duration_seconds";
pub const CLAIM_LATENESS: &str = "relay_claim_lateness_seconds";
pub const PROVIDER_REQUEST_DURATION: &str = "relay_provider_request_duration_seconds";
pub const PROVIDER_BUDGET_WAITS: &str = "relay_provider_budget_waits_total";
pub const PROVIDER_PAUSES: &str = "relay_provider_pauses_total";
pub const PROVIDER_IN_FLIGHT_HOLDS: &str = "relay_provider_in_flight_holds_total";
pub const ROUTE_MOVES: &str = "relay_route_moves_total";
pub const CIRCUIT_CHANGES: &str = "relay_circuit_changes_total";
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
        name: EVENT_SUBSCRIBERS,
        kind: Kind::Gauge,
        labels: &[],
        help: "Clients of this API process's live event streams (GET /api/events, GET /api/videos/{jobId}/events).",
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
        name: ROUTE_MOVES,
        kind: Kind::Counter,
        labels: &["provider", "reason"],
        help: "Routed jobs that left a target of this provider for the next one on their route, by why (quota, retired, auth, circuit_open, provider_failed).",
        exporter: Exporter::Worker,
        buckets: &[],
    },
    Metric {
        name: CIRCUIT_CHANGES,
        kind: Kind::Counter,
        labels: &["provider", "to"],
        help: "Circuit breaker changes this worker caused at a provider's targets (opened, reopened after a failed probe, closed).",
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
