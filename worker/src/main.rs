use std::time::Duration;

use relay_shared::{telemetry, Settings};
use relay_worker::Worker;
use tokio_util::sync::CancellationToken;

// A worker allocates and frees small buffers on every poll (Redis replies, commits, webhook
// bodies); mimalloc serves that pattern with less work than glibc's allocator (W1 and W4 in
// BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long the process waits, once the worker has stopped, for blocking threads still running.
const EXIT_WAIT: Duration = Duration::from_millis(500);

fn main() -> anyhow::Result<()> {
    // One thread: a worker waits on Redis, the provider and receivers, spending ~10 µs of CPU per
    // poll, so one core serves far more polls than any provider allows; more capacity is more
    // processes (they coordinate through Redis). A single-threaded runtime also saves the
    // cross-thread wake-ups of a work-stealing one (W1 in BENCHMARKS.md).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stopped = runtime.block_on(run());
    // A DNS lookup in flight runs on a blocking thread that cannot be cancelled (getaddrinfo; seen
    // taking 20 s in a container whose resolver lists an unreachable server). Dropping the runtime
    // would wait for it, holding the exit until the container engine's SIGKILL. The worker has
    // already handed back its claims, so nothing is left to wait for.
    runtime.shutdown_timeout(EXIT_WAIT);
    stopped
}

async fn run() -> anyhow::Result<()> {
    let _log = telemetry::init("info");
    let settings = Settings::load()?;
    if let Some(port) = settings.polling.metrics_port {
        telemetry::metrics::serve(port)?;
        tracing::info!("📈 metrics at http://0.0.0.0:{port}/metrics");
    }
    let worker = Worker::build(settings)?;
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        relay_shared::shutdown::signal().await;
        // Stop first, then say so: nothing may stand between the signal and the stop.
        on_signal.cancel();
        tracing::info!("stop requested: finishing in-flight work");
    });
    worker.run_until_stopped(shutdown).await
}
