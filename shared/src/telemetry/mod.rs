//! What the processes tell operators: log lines ([`log`]) and Prometheus metrics ([`metrics`]).

pub mod log;
pub mod metrics;

pub use log::{init, LogGuard};
