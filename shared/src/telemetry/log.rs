//! Logging: human-readable lines by default, `RUST_LOG` to filter, `LOG_FORMAT=json` for machines.
//!
//! Lines are written to stdout by a thread of their own (`tracing-appender`), in batches: a request
//! or a poll never waits on a write syscall, and a busy API writes many access-log lines per
//! syscall instead of one each. Nothing is dropped: when the queue is full, logging waits, as a
//! direct write to a slow pipe would. Queued lines are flushed when the returned guard is dropped.

use std::io::{BufWriter, IsTerminal};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::{fmt, EnvFilter};

/// Lines waiting for the writer thread (32 bytes each); a full queue makes logging wait.
const QUEUED_LINES: usize = 8192;

/// Keeps the log writer running; dropping it (at the end of `main`) writes out what is queued.
#[must_use = "queued log lines are written out when this is dropped: keep it until main returns"]
pub struct LogGuard {
    _writer: WorkerGuard,
}

/// Installs the global subscriber once; later calls (tests) leave the first one in place.
pub fn init(default_filter: &str) -> LogGuard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        // The default, 128,000 lines, is a 4 MiB queue allocated up front in every process.
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("log-writer")
        // The writer thread writes every line it has queued, then flushes: one syscall per batch.
        .finish(BufWriter::with_capacity(64 * 1024, std::io::stdout()));
    // A log line that cannot be written is dropped, never reported: stdout a closed pipe (a log
    // shipper that died) fails in the writer thread, which drops the line; a report from here would
    // go to stderr, often the same dead pipe, where Rust's eprintln! panics — and a panic in the
    // task that handles SIGTERM once left the process unable to stop.
    // Colours only for a person at a terminal: a file, a pipe or a container's log gets plain text.
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(colour)
        .with_writer(writer)
        .log_internal_errors(false);
    let _ = if std::env::var("LOG_FORMAT").as_deref() == Ok("json") {
        // One object per line: the event's fields at the top level (`message`, `job`, ...) and
        // the span it happened in (an API request's `trace_id`, `route`, `tenant`) under `span`.
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
    LogGuard { _writer: guard }
}
