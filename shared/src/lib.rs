//! Everything the API and the workers share: domain types, configuration, the Redis store and its
//! Lua scripts, the provider client, webhook signing. No web framework in here.

pub mod access;
pub mod config;
pub mod content;
pub mod job;
pub mod provider;
pub mod redact;
pub mod shutdown;
pub mod ssrf;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod webhook;

pub use config::Settings;
