//! Logging: human-readable lines by default, `RUST_LOG` to filter, `LOG_FORMAT=json` for machines.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    // A log line that cannot be written (stdout a closed pipe: a log shipper that died) is dropped.
    // Reporting it would go to stderr, often the same dead pipe, where Rust's eprintln! panics, and
    // a panic in the task that handles SIGTERM left the process unable to stop.
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .log_internal_errors(false);
    let _ = if std::env::var("LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
