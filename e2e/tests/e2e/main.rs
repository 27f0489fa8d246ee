//! Every end-to-end test, in one test binary: linking a binary against the whole workspace is
//! the slow part of building tests, so there is one. Each module is one area of behaviour; each
//! test starts its own redis-server, simulator and API (`e2e::Stack`), so they run in parallel.

mod api;
mod cancel;
mod chaos;
mod circuit;
mod cli;
mod cluster;
mod custody;
mod dashboard;
mod events;
mod fuzz;
mod gateway;
mod hardening;
mod lifecycle;
mod limits;
mod luma;
mod metrics;
mod original_client;
mod processes;
mod provider_callbacks;
mod provider_contracts;
mod provider_health;
mod providers;
mod replicate;
mod resilience;
mod routes;
mod running;
mod runway;
mod store;
mod submissions;
mod tenants;
mod veo;
mod webhooks;
