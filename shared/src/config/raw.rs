//! The settings as the defaults file and the environment name them: one flat list of keys, each
//! the lower-case form of its environment variable. Checked here, then grouped and typed
//! ([`super::Settings`]).

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, MAX_CONCURRENCY};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    pub(super) port: u16,
    pub(super) host: String,
    pub(super) auth: String,
    pub(super) admin_api_key: SecretString,
    pub(super) tenant_rate_per_min: u32,
    pub(super) tenant_rate_burst: u32,
    pub(super) tenant_max_active_jobs: u64,
    pub(super) script_max_chars: usize,
    pub(super) metadata_max_bytes: usize,
    pub(super) idempotency_window_secs: u64,

    pub(super) redis_url: String,
    pub(super) redis_cluster: bool,
    pub(super) redis_key_prefix: String,
    pub(super) job_partitions: u16,
    pub(super) redis_wait_replicas: u32,
    pub(super) redis_wait_timeout_ms: u64,

    pub(super) provider: String,
    pub(super) public_base_url: String,
    pub(super) poll_stretch_with_callbacks: u32,

    pub(super) openai_base_url: String,
    pub(super) openai_api_key: SecretString,
    pub(super) sora_model: String,
    pub(super) sora_default_seconds: String,
    pub(super) sora_default_size: String,
    pub(super) openrouter_api_key: SecretString,
    pub(super) openrouter_base_url: String,
    pub(super) openrouter_model: String,
    pub(super) openrouter_max_rpm: u32,
    pub(super) openrouter_max_in_flight: u32,
    pub(super) openrouter_webhook_secret: SecretString,
    pub(super) replicate_api_token: SecretString,
    pub(super) replicate_base_url: String,
    pub(super) replicate_model: String,
    pub(super) replicate_max_rpm: u32,
    pub(super) replicate_max_in_flight: u32,
    pub(super) replicate_webhook_secret: SecretString,
    pub(super) fal_key: SecretString,
    pub(super) fal_base_url: String,
    pub(super) fal_model: String,
    pub(super) fal_max_rpm: u32,
    pub(super) fal_max_in_flight: u32,
    pub(super) fal_jwks_url: String,
    pub(super) runwayml_api_secret: SecretString,
    pub(super) runway_base_url: String,
    pub(super) runway_model: String,
    pub(super) runway_max_rpm: u32,
    pub(super) runway_max_in_flight: u32,
    pub(super) gemini_api_key: SecretString,
    pub(super) gemini_base_url: String,
    pub(super) veo_model: String,
    pub(super) veo_max_rpm: u32,
    pub(super) veo_max_in_flight: u32,
    pub(super) lumaai_api_key: SecretString,
    pub(super) luma_base_url: String,
    pub(super) luma_model: String,
    pub(super) luma_max_rpm: u32,
    pub(super) luma_max_in_flight: u32,
    pub(super) provider_timeout_ms: u64,
    pub(super) sora_max_rpm: u32,
    pub(super) sora_max_in_flight: u32,
    pub(super) sora_quota_pause_secs: u64,
    pub(super) provider_failure_max_secs: u64,
    pub(super) submission_unknown_max_secs: u64,
    pub(super) submission_unknown_policy: String,

    pub(super) poll_initial_interval_ms: u64,
    pub(super) poll_max_interval_ms: u64,
    pub(super) job_max_age_secs: u64,
    pub(super) job_lease_ms: u64,
    pub(super) job_retention_secs: u64,
    pub(super) worker_shutdown_grace_ms: u64,
    pub(super) worker_concurrency: usize,
    pub(super) worker_idle_max_ms: u64,
    pub(super) metrics_port: String,
    pub(super) live_stream_length: u64,
    pub(super) events_heartbeat_secs: u64,

    pub(super) webhook_url: String,
    pub(super) webhook_allowed_nets: String,
    pub(super) webhook_secret: SecretString,
    pub(super) webhook_timeout_ms: u64,
    pub(super) webhook_retry_initial_ms: u64,
    pub(super) webhook_retry_max_ms: u64,
    pub(super) webhook_retry_window_secs: u64,
    pub(super) webhook_max_attempts: u32,
    pub(super) webhook_concurrency: usize,

    pub(super) content_store: String,
    pub(super) content_link: String,
    pub(super) content_link_ttl_secs: u64,
    pub(super) content_link_secret: SecretString,
    pub(super) content_retention_days: f64,
    pub(super) content_copy_concurrency: usize,
}

impl Raw {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
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
        for (key, url) in [
            ("openai_base_url", &self.openai_base_url),
            ("openrouter_base_url", &self.openrouter_base_url),
            ("replicate_base_url", &self.replicate_base_url),
            ("fal_base_url", &self.fal_base_url),
            ("fal_jwks_url", &self.fal_jwks_url),
            ("runway_base_url", &self.runway_base_url),
            ("gemini_base_url", &self.gemini_base_url),
            ("luma_base_url", &self.luma_base_url),
        ] {
            if reqwest::Url::parse(url).is_err() {
                return fail(key, "is not a valid URL");
            }
        }
        if !self.public_base_url.is_empty() {
            match reqwest::Url::parse(&self.public_base_url) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => {}
                _ => return fail("public_base_url", "must be an http(s) URL, or empty"),
            }
        }
        if self.poll_stretch_with_callbacks == 0 {
            return fail("poll_stretch_with_callbacks", "must be at least 1");
        }
        if !crate::provider::registry::ADAPTERS
            .iter()
            .any(|(name, _)| *name == self.provider)
        {
            let known: Vec<&str> = crate::provider::registry::ADAPTERS
                .iter()
                .map(|(name, _)| *name)
                .collect();
            return fail(
                "provider",
                &format!(
                    "{:?} is not a provider; known: {}",
                    self.provider,
                    known.join(", ")
                ),
            );
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
        if self.live_stream_length == 0 {
            return fail("live_stream_length", "must be greater than 0");
        }
        if self.events_heartbeat_secs == 0 {
            return fail("events_heartbeat_secs", "must be greater than 0");
        }
        if !self.metrics_port.is_empty()
            && !self.metrics_port.parse::<u16>().is_ok_and(|port| port > 0)
        {
            return fail("metrics_port", "must be a port number (1-65535), or empty");
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
        if let Err(why) = crate::content::StoreUrl::parse(&self.content_store) {
            return fail("content_store", &why);
        }
        if !matches!(self.content_link.as_str(), "signed" | "presigned") {
            return fail("content_link", "must be \"signed\" or \"presigned\"");
        }
        if self.content_link == "presigned"
            && matches!(
                crate::content::StoreUrl::parse(&self.content_store),
                Ok(crate::content::StoreUrl::Off | crate::content::StoreUrl::Directory(_))
            )
        {
            return fail(
                "content_link",
                "\"presigned\" needs an s3://, gs:// or az:// content_store (a directory cannot presign)",
            );
        }
        if self.content_link_ttl_secs == 0 {
            return fail("content_link_ttl_secs", "must be greater than 0");
        }
        if !(self.content_retention_days >= 0.0 && self.content_retention_days <= 36_500.0) {
            return fail(
                "content_retention_days",
                "must be a number of days from 0 (keep) to 36500; fractions allowed",
            );
        }
        if self.content_copy_concurrency == 0 {
            return fail("content_copy_concurrency", "must be greater than 0");
        }
        if self.idempotency_window_secs == 0 {
            return fail("idempotency_window_secs", "must be greater than 0");
        }
        if self.provider_failure_max_secs == 0 {
            return fail("provider_failure_max_secs", "must be greater than 0");
        }
        for (key, model) in [
            ("sora_model", &self.sora_model),
            ("openrouter_model", &self.openrouter_model),
            ("replicate_model", &self.replicate_model),
            ("fal_model", &self.fal_model),
            ("runway_model", &self.runway_model),
            ("veo_model", &self.veo_model),
            ("luma_model", &self.luma_model),
        ] {
            if model.trim().is_empty() {
                return fail(key, "must not be empty");
            }
        }
        Ok(())
    }

    pub(super) fn redis_urls(&self) -> impl Iterator<Item = &str> {
        self.redis_url
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
    }
}
