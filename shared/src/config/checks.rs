//! The rules every setting keeps, checked before the settings are grouped and typed: a value that
//! breaks one stops the process at start-up with a message naming its key.

use secrecy::ExposeSecret;

use super::raw::Raw;
use super::{ConfigError, MAX_CONCURRENCY};

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
        if self.circuit_failures == 0 {
            return fail("circuit_failures", "must be at least 1");
        }
        if self.circuit_window_secs == 0 || self.circuit_open_secs == 0 {
            return fail(
                "circuit_open_secs",
                "circuit_window_secs and circuit_open_secs must be greater than 0",
            );
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
