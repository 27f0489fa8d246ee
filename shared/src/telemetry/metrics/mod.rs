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

mod catalogue;
mod record;

pub use catalogue::*;
pub use record::*;

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use metrics::Unit;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

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

#[cfg(test)]
mod tests;
