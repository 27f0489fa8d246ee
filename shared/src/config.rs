//! Settings: one documented defaults file (`config/default.toml`, compiled in so a binary never
//! depends on its working directory), an optional `CONFIG_FILE`, then environment variables.
//!
//! Environment variables are the keys of the defaults file in upper case (`PORT`, `REDIS_URL`,
//! `WEBHOOK_SECRET`, ...) — the names users of the original system already have in their `.env`.
//! Only those names are read, so an unrelated variable can never break start-up. Every failure
//! names the key at fault.

use std::collections::HashMap;
use std::time::Duration;

use config::{Config, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The defaults file, documented key by key.
pub const DEFAULTS_TOML: &str = include_str!("../../config/default.toml");

/// The most concurrent polls or webhook sends one worker process may run.
pub const MAX_CONCURRENCY: usize = 100_000;

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub port: u16,
    pub host: String,
    pub auth: String,
    pub admin_api_key: SecretString,
    pub tenant_rate_per_min: u32,
    pub tenant_rate_burst: u32,
    pub tenant_max_active_jobs: u64,
    pub script_max_chars: usize,
    pub metadata_max_bytes: usize,
    pub idempotency_window_secs: u64,

    pub redis_url: String,
    pub redis_cluster: bool,
    pub redis_key_prefix: String,
    pub job_partitions: u16,
    pub redis_wait_replicas: u32,
    pub redis_wait_timeout_ms: u64,

    pub openai_base_url: String,
    pub openai_api_key: SecretString,
    pub sora_model: String,
    pub sora_default_seconds: String,
    pub sora_default_size: String,
    pub provider_timeout_ms: u64,
    pub sora_max_rpm: u32,
    pub sora_max_in_flight: u32,
    pub sora_quota_pause_secs: u64,
    pub provider_failure_max_secs: u64,
    pub submission_unknown_max_secs: u64,
    pub submission_unknown_policy: String,

    pub poll_initial_interval_ms: u64,
    pub poll_max_interval_ms: u64,
    pub job_max_age_secs: u64,
    pub job_lease_ms: u64,
    pub job_retention_secs: u64,
    pub worker_shutdown_grace_ms: u64,
    pub worker_concurrency: usize,
    pub worker_idle_max_ms: u64,

    pub webhook_url: String,
    pub webhook_allowed_nets: String,
    pub webhook_secret: SecretString,
    pub webhook_timeout_ms: u64,
    pub webhook_retry_initial_ms: u64,
    pub webhook_retry_max_ms: u64,
    pub webhook_retry_window_secs: u64,
    pub webhook_max_attempts: u32,
    pub webhook_concurrency: usize,
}

impl Settings {
    /// Defaults, then `CONFIG_FILE` if set, then the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_sources(vars.get("CONFIG_FILE").map(String::as_str), &vars)
    }

    /// Defaults, an optional file, then `env` (upper-case key names). Tests pass their own `env`.
    pub fn from_sources(
        file: Option<&str>,
        env: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULTS_TOML, FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(File::with_name(path).required(true));
        }
        for key in known_keys()? {
            if let Some(value) = env.get(&key.to_ascii_uppercase()) {
                builder = builder
                    .set_override(key.as_str(), value.as_str())
                    .map_err(|e| ConfigError(e.to_string()))?;
            }
        }
        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| ConfigError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// The API's access rule (see `auth` in config/default.toml): open mode only on loopback, and
    /// an administrator's key whenever auth is on. `Ok(true)` when auth is on.
    pub fn api_auth(&self) -> Result<bool, ConfigError> {
        let fail = |why: String| Err(ConfigError(why));
        match self.auth.as_str() {
            "on" if self.admin_api_key.expose_secret().is_empty() => fail(
                "admin_api_key: ADMIN_API_KEY must be set while AUTH is on (it creates the tenants' keys)".into(),
            ),
            "on" => Ok(true),
            "off" if self.listens_on_loopback() => Ok(false),
            "off" => fail(format!(
                "auth: AUTH=off opens every job to anyone who can reach the API, so it is allowed only \
                 on loopback; set HOST=127.0.0.1 (now {:?}) or turn AUTH on",
                self.host
            )),
            other => fail(format!("auth: must be \"on\" or \"off\", not {other:?}")),
        }
    }

    fn listens_on_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: &str| Err(ConfigError(format!("{key}: {why}")));
        if !matches!(self.auth.as_str(), "on" | "off") {
            return fail("auth", "must be \"on\" or \"off\"");
        }
        if self.poll_initial_interval_ms == 0 {
            return fail("poll_initial_interval_ms", "must be greater than 0");
        }
        if self.poll_max_interval_ms < self.poll_initial_interval_ms {
            return fail(
                "poll_max_interval_ms",
                "must be at least poll_initial_interval_ms",
            );
        }
        if self.job_max_age_secs == 0 {
            return fail("job_max_age_secs", "must be greater than 0");
        }
        if self.job_lease_ms < 1000 {
            return fail("job_lease_ms", "must be at least 1000");
        }
        if self.job_partitions == 0 || self.job_partitions > 1024 {
            return fail("job_partitions", "must be between 1 and 1024");
        }
        for (key, n) in [
            ("worker_concurrency", self.worker_concurrency),
            ("webhook_concurrency", self.webhook_concurrency),
            ("script_max_chars", self.script_max_chars),
        ] {
            if n == 0 {
                return fail(key, "must be greater than 0");
            }
        }
        for (key, n) in [
            ("worker_concurrency", self.worker_concurrency),
            ("webhook_concurrency", self.webhook_concurrency),
        ] {
            if n > MAX_CONCURRENCY {
                return fail(
                    key,
                    &format!("must be at most {MAX_CONCURRENCY} (tasks in one worker process; run more workers for more)"),
                );
            }
        }
        if !self
            .redis_urls()
            .all(|url| url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return fail("redis_url", "must start with redis:// or rediss://");
        }
        if self.redis_urls().next().is_none() {
            return fail("redis_url", "must not be empty");
        }
        if reqwest::Url::parse(&self.openai_base_url).is_err() {
            return fail("openai_base_url", "is not a valid URL");
        }
        if !self.webhook_url.is_empty() && reqwest::Url::parse(&self.webhook_url).is_err() {
            return fail("webhook_url", "is not a valid URL");
        }
        if let Err(why) = crate::ssrf::UrlGuard::new(&self.webhook_allowed_nets) {
            return fail("webhook_allowed_nets", &why);
        }
        if let Err(why) = crate::webhook::SigningKeys::parse(self.webhook_secret.expose_secret()) {
            return fail("webhook_secret", &why);
        }
        if !self
            .sora_default_seconds
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            return fail(
                "sora_default_seconds",
                "must be a whole number of seconds, or empty",
            );
        }
        if !self.sora_default_size.is_empty()
            && crate::provider::Frame::parse_size(&self.sora_default_size).is_none()
        {
            return fail(
                "sora_default_size",
                "must be WIDTHxHEIGHT, e.g. 1280x720, or empty",
            );
        }
        if self.redis_wait_replicas > 0 && self.redis_wait_timeout_ms == 0 {
            return fail(
                "redis_wait_timeout_ms",
                "must be greater than 0 when redis_wait_replicas is set (0 would wait forever)",
            );
        }
        if !matches!(self.submission_unknown_policy.as_str(), "fail" | "resubmit") {
            return fail(
                "submission_unknown_policy",
                "must be \"fail\" or \"resubmit\"",
            );
        }
        if self.idempotency_window_secs == 0 {
            return fail("idempotency_window_secs", "must be greater than 0");
        }
        if self.provider_failure_max_secs == 0 {
            return fail("provider_failure_max_secs", "must be greater than 0");
        }
        if self.sora_model.trim().is_empty() {
            return fail("sora_model", "must not be empty");
        }
        Ok(())
    }

    /// `SUBMISSION_UNKNOWN_POLICY=resubmit`: a submission nobody could settle in time is made
    /// again (otherwise the job fails).
    pub fn resubmit_unknown_submissions(&self) -> bool {
        self.submission_unknown_policy == "resubmit"
    }

    /// Whether Redis is a cluster: `redis_cluster`, or several comma-separated seed URLs.
    pub fn is_redis_cluster(&self) -> bool {
        self.redis_cluster || self.redis_urls().count() > 1
    }

    /// The Redis URL, or for a cluster each of its comma-separated seed nodes.
    pub fn redis_urls(&self) -> impl Iterator<Item = &str> {
        self.redis_url
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
    }

    pub fn webhook_url(&self) -> Option<&str> {
        Some(self.webhook_url.as_str()).filter(|u| !u.is_empty())
    }

    pub fn poll_initial(&self) -> Duration {
        Duration::from_millis(self.poll_initial_interval_ms)
    }

    pub fn poll_max(&self) -> Duration {
        Duration::from_millis(self.poll_max_interval_ms)
    }
}

/// The keys of the defaults file: exactly the names the environment may override.
fn known_keys() -> Result<Vec<String>, ConfigError> {
    let defaults = Config::builder()
        .add_source(File::from_str(DEFAULTS_TOML, FileFormat::Toml))
        .build()
        .and_then(|c| c.try_deserialize::<HashMap<String, config::Value>>())
        .map_err(|e| ConfigError(format!("defaults file: {e}")))?;
    Ok(defaults.into_keys().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_match_the_original_system() {
        let s = Settings::from_sources(None, &env(&[])).unwrap();
        assert_eq!(s.port, 3001);
        assert_eq!(s.redis_url, "redis://127.0.0.1:6379");
        assert_eq!(s.openai_base_url, "https://api.openai.com/v1");
        assert_eq!(s.sora_model, "sora-2");
        assert_eq!(s.poll_initial_interval_ms, 5000);
        assert_eq!(s.poll_max_interval_ms, 60000);
        assert_eq!(s.job_max_age_secs, 86400);
        assert_eq!(s.webhook_url(), None);
    }

    #[test]
    fn the_api_is_closed_by_default_and_open_only_on_loopback() {
        let api_auth = |pairs: &[(&str, &str)]| {
            Settings::from_sources(None, &env(pairs))
                .unwrap()
                .api_auth()
        };
        let refused = api_auth(&[]).unwrap_err().to_string();
        assert!(refused.contains("ADMIN_API_KEY"), "{refused}");
        assert!(api_auth(&[("ADMIN_API_KEY", "k")]).unwrap());
        let refused = api_auth(&[("AUTH", "off")]).unwrap_err().to_string();
        assert!(refused.contains("HOST=127.0.0.1"), "{refused}");
        for host in ["127.0.0.1", "::1", "localhost"] {
            assert!(!api_auth(&[("AUTH", "off"), ("HOST", host)]).unwrap());
        }
        assert!(Settings::from_sources(None, &env(&[("AUTH", "maybe")])).is_err());
    }

    #[test]
    fn original_env_names_override_defaults() {
        let s = Settings::from_sources(
            None,
            &env(&[
                ("PORT", "4000"),
                ("WEBHOOK_URL", "http://client.test/hook"),
                ("WEBHOOK_SECRET", "12345"),
                ("POLL_INITIAL_INTERVAL_MS", "250"),
                ("SORA_MODEL", "sora-2-pro"),
                ("UNRELATED", "not a number"),
            ]),
        )
        .unwrap();
        assert_eq!(s.port, 4000);
        assert_eq!(s.webhook_url(), Some("http://client.test/hook"));
        assert_eq!(s.webhook_secret.expose_secret(), "12345");
        assert_eq!(s.poll_initial_interval_ms, 250);
        assert_eq!(s.sora_model, "sora-2-pro");
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = Settings::from_sources(None, &env(&[("PORT", "eighty")])).unwrap_err();
        assert!(err.to_string().contains("port"), "{err}");
        let err =
            Settings::from_sources(None, &env(&[("POLL_MAX_INTERVAL_MS", "10")])).unwrap_err();
        assert!(err.to_string().contains("poll_max_interval_ms"), "{err}");
        let err = Settings::from_sources(None, &env(&[("REDIS_URL", "localhost")])).unwrap_err();
        assert!(err.to_string().contains("redis_url"), "{err}");
    }

    #[test]
    fn several_redis_urls_mean_a_cluster() {
        let s = Settings::from_sources(
            None,
            &env(&[("REDIS_URL", "redis://a:7000, redis://b:7001")]),
        )
        .unwrap();
        assert!(s.is_redis_cluster());
        assert_eq!(
            s.redis_urls().collect::<Vec<_>>(),
            ["redis://a:7000", "redis://b:7001"]
        );
        let single = Settings::from_sources(None, &env(&[])).unwrap();
        assert!(!single.is_redis_cluster());
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = Settings::from_sources(
            None,
            &env(&[
                ("OPENAI_API_KEY", "sk-very-secret"),
                ("WEBHOOK_SECRET", "whsec-x"),
            ]),
        )
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("sk-very-secret") && !shown.contains("whsec-x"));
    }
}

#[cfg(test)]
mod documentation {
    use super::known_keys;

    /// `.env.example` and `docker-compose.yml` are how users set things: neither may forget a key.
    #[test]
    fn every_setting_is_listed_in_env_example_and_compose() {
        let env_example = include_str!("../../.env.example");
        let compose = include_str!("../../docker-compose.yml");
        for key in known_keys().unwrap() {
            let name = key.to_ascii_uppercase();
            assert!(
                env_example
                    .lines()
                    .any(|l| l.starts_with(&format!("{name}="))),
                ".env.example lacks {name}"
            );
            // The compose topology fixes these: the API's in-container address and its one
            // Redis service.
            if !["PORT", "HOST", "REDIS_URL", "REDIS_CLUSTER"].contains(&name.as_str()) {
                assert!(
                    compose.contains(&format!("{name}: ${{{name}:-")),
                    "docker-compose.yml lacks {name}"
                );
            }
        }
    }
}
