//! The keys of what each provider shares across workers — its budget and pauses, in-flight cap,
//! run times, health — all under the provider's hash tag (`{provider:<name>}`) so that each
//! script touches one slot; and each target's circuit breaker under its own.

use super::Keyspace;

impl Keyspace {
    /// A provider's request budget and pauses.
    pub fn provider_budget(&self, provider: &str) -> String {
        format!("{}:{{provider:{provider}}}:budget", self.prefix)
    }

    /// The jobs running at a provider, under its in-flight cap.
    pub fn in_flight(&self, provider: &str) -> String {
        format!("{}:{{provider:{provider}}}:in_flight", self.prefix)
    }

    /// Each of a provider's models' recent run time, in ms.
    pub fn runtimes(&self, provider: &str) -> String {
        format!("{}:{{provider:{provider}}}:runtimes", self.prefix)
    }

    /// A model's latest run times (a list, newest first), for its percentiles.
    pub fn runtime_samples(&self, provider: &str, model: &str) -> String {
        format!("{}:{{provider:{provider}}}:runtimes:{model}", self.prefix)
    }

    /// What workers saw of a provider's key and models (`store::health`).
    pub fn provider_health(&self, provider: &str) -> String {
        format!("{}:{{provider:{provider}}}:health", self.prefix)
    }

    /// A target's circuit breaker (`provider:model`).
    pub fn breaker(&self, target: &crate::config::Target) -> String {
        format!("{}:{{breaker:{target}}}", self.prefix)
    }

    /// The jobs waiting for a place at a provider, oldest first.
    pub fn waiting(&self, provider: &str) -> String {
        format!("{}:{{provider:{provider}}}:waiting", self.prefix)
    }
}
