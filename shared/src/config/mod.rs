//! Settings: one documented defaults file (`config/default.toml`, compiled in so a binary never
//! depends on its working directory), an optional `CONFIG_FILE`, then environment variables.
//!
//! Environment variables are the keys of the defaults file in upper case (`PORT`, `REDIS_URL`,
//! `WEBHOOK_SECRET`, ...) — the names users of the original system already have in their `.env`.
//! Only those names are read, so an unrelated variable can never break start-up. Every failure
//! names the key at fault. The flat keys (`raw`) are checked, then grouped by the component
//! they configure, with durations as [`Duration`]s and choices as enums: each component is built
//! from its group.

mod raw;

use std::collections::HashMap;
use std::time::Duration;

use config::{Config, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};

use crate::provider::Frame;
use raw::Raw;

/// The defaults file, documented key by key.
pub const DEFAULTS_TOML: &str = include_str!("../../../config/default.toml");

/// The most concurrent polls or webhook sends one worker process may run.
pub const MAX_CONCURRENCY: usize = 100_000;

/// The uniform `<PROVIDER>_...` names of `openai` settings whose keys keep the original system's
/// `SORA_...` names. Read when set and not empty; they win over the original names.
const ALIASES: &[(&str, &str)] = &[
    ("OPENAI_MODEL", "sora_model"),
    ("OPENAI_MAX_RPM", "sora_max_rpm"),
    ("OPENAI_MAX_IN_FLIGHT", "sora_max_in_flight"),
];

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

/// Every setting, by the component it configures.
#[derive(Clone, Debug)]
pub struct Settings {
    pub api: ApiSettings,
    pub redis: RedisSettings,
    /// The `openai` provider (any OpenAI-compatible `/v1/videos` endpoint).
    pub openai: ProviderSettings,
    pub openrouter: ProviderSettings,
    pub replicate: ProviderSettings,
    pub fal: ProviderSettings,
    /// What applies to every provider.
    pub providers: ProviderPolicy,
    /// The providers' callbacks to us.
    pub callbacks: CallbackSettings,
    pub polling: PollingSettings,
    pub webhooks: WebhookSettings,
}

/// The REST API's listener, access rule and request limits.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    pub port: u16,
    pub host: String,
    pub auth: Auth,
    pub admin_api_key: SecretString,
    pub tenant_rate_per_min: u32,
    pub tenant_rate_burst: u32,
    pub tenant_max_active_jobs: u64,
    pub script_max_chars: usize,
    pub metadata_max_bytes: usize,
    /// How long an `Idempotency-Key` finds its job (`IDEMPOTENCY_WINDOW_SECS`).
    pub idempotency_window: Duration,
}

/// `AUTH`: whether API calls need a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    On,
    /// Every job open to anyone who can reach the API: allowed only on loopback.
    Off,
}

#[derive(Clone, Debug)]
pub struct RedisSettings {
    /// `REDIS_URL` as given: one URL, or a cluster's comma-separated seed nodes.
    pub url: String,
    pub cluster: bool,
    pub key_prefix: String,
    pub partitions: u16,
    pub wait_replicas: u32,
    pub wait_timeout: Duration,
}

/// One provider's account: where it is, the key that enables it, its defaults and limits.
#[derive(Clone, Debug)]
pub struct ProviderSettings {
    pub base_url: String,
    /// Empty: the provider is not enabled.
    pub api_key: SecretString,
    /// For jobs that name no model (`SORA_MODEL`, `OPENROUTER_MODEL`, ...).
    pub model: String,
    /// For jobs that name no `seconds` / `size` (configurable for `openai` only).
    pub default_seconds: Option<u32>,
    pub default_frame: Option<Frame>,
    pub max_rpm: u32,
    pub max_in_flight: u32,
    pub quota_pause: Duration,
}

impl ProviderSettings {
    /// A provider is enabled when its key is set.
    pub fn is_enabled(&self) -> bool {
        !self.api_key.expose_secret().is_empty()
    }
}

/// How providers call us back (`PUBLIC_BASE_URL` and each provider's signing material).
#[derive(Clone, Debug)]
pub struct CallbackSettings {
    /// The relay's public address; `None`: no callbacks are asked for.
    pub public_base_url: Option<String>,
    /// How much longer regular polls wait for jobs whose provider will call back.
    pub poll_stretch: u32,
    pub replicate_secret: SecretString,
    pub openrouter_secret: SecretString,
    pub fal_jwks_url: String,
}

impl CallbackSettings {
    /// Where `provider` calls us back about `job`, when callbacks are on. The job id rides in the
    /// query, so a callback finds its job without an index of provider ids.
    pub fn url_for(&self, provider: &str, job: &str) -> Option<String> {
        self.public_base_url.as_ref().map(|base| {
            format!(
                "{}/api/providers/{provider}/callback?job={job}",
                base.trim_end_matches('/')
            )
        })
    }
}

#[derive(Clone, Debug)]
pub struct ProviderPolicy {
    /// `PROVIDER`: the provider of jobs that name none.
    pub default: String,
    /// One provider request's timeout.
    pub timeout: Duration,
    /// `PROVIDER_FAILURE_MAX_SECS`: how long a provider may fail every call before a job fails.
    pub failure_max: Duration,
    /// `SUBMISSION_UNKNOWN_MAX_SECS`.
    pub submission_unknown_max: Duration,
    pub submission_unknown: UnknownSubmission,
}

/// `SUBMISSION_UNKNOWN_POLICY`: what becomes of a submission nobody could settle in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownSubmission {
    /// The job fails: never pay for two videos.
    Fail,
    /// It is submitted again: never lose the job.
    Resubmit,
}

#[derive(Clone, Debug)]
pub struct PollingSettings {
    pub initial_interval: Duration,
    pub max_interval: Duration,
    pub job_max_age: Duration,
    pub job_lease: Duration,
    pub job_retention: Duration,
    pub shutdown_grace: Duration,
    /// Polls in flight at once in one worker process.
    pub concurrency: usize,
    pub idle_max: Duration,
}

#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// The operator's receiver (`WEBHOOK_URL`), if any.
    pub url: Option<String>,
    pub allowed_nets: String,
    pub secret: SecretString,
    pub timeout: Duration,
    pub retry_initial: Duration,
    pub retry_max: Duration,
    pub retry_window: Duration,
    /// 0: no limit but the window.
    pub max_attempts: u32,
    /// Webhook sends in flight at once in one worker process.
    pub concurrency: usize,
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
        for (name, key) in ALIASES {
            if let Some(value) = env.get(*name).filter(|v| !v.is_empty()) {
                builder = builder
                    .set_override(*key, value.as_str())
                    .map_err(|e| ConfigError(e.to_string()))?;
            }
        }
        let raw: Raw = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| ConfigError(e.to_string()))?;
        raw.validate()?;
        Ok(Self::from(raw))
    }
}

impl From<Raw> for Settings {
    fn from(r: Raw) -> Self {
        let ms = Duration::from_millis;
        let secs = Duration::from_secs;
        let quota_pause = secs(r.sora_quota_pause_secs);
        Settings {
            api: ApiSettings {
                port: r.port,
                host: r.host,
                auth: if r.auth == "off" { Auth::Off } else { Auth::On },
                admin_api_key: r.admin_api_key,
                tenant_rate_per_min: r.tenant_rate_per_min,
                tenant_rate_burst: r.tenant_rate_burst,
                tenant_max_active_jobs: r.tenant_max_active_jobs,
                script_max_chars: r.script_max_chars,
                metadata_max_bytes: r.metadata_max_bytes,
                idempotency_window: secs(r.idempotency_window_secs),
            },
            redis: RedisSettings {
                url: r.redis_url,
                cluster: r.redis_cluster,
                key_prefix: r.redis_key_prefix,
                partitions: r.job_partitions,
                wait_replicas: r.redis_wait_replicas,
                wait_timeout: ms(r.redis_wait_timeout_ms),
            },
            openai: ProviderSettings {
                base_url: r.openai_base_url,
                api_key: r.openai_api_key,
                model: r.sora_model,
                default_seconds: r.sora_default_seconds.parse().ok(),
                default_frame: Frame::parse_size(&r.sora_default_size),
                max_rpm: r.sora_max_rpm,
                max_in_flight: r.sora_max_in_flight,
                quota_pause,
            },
            openrouter: ProviderSettings {
                base_url: r.openrouter_base_url,
                api_key: r.openrouter_api_key,
                model: r.openrouter_model,
                default_seconds: None,
                default_frame: None,
                max_rpm: r.openrouter_max_rpm,
                max_in_flight: r.openrouter_max_in_flight,
                quota_pause,
            },
            replicate: ProviderSettings {
                base_url: r.replicate_base_url,
                api_key: r.replicate_api_token,
                model: r.replicate_model,
                default_seconds: None,
                default_frame: None,
                max_rpm: r.replicate_max_rpm,
                max_in_flight: r.replicate_max_in_flight,
                quota_pause,
            },
            fal: ProviderSettings {
                base_url: r.fal_base_url,
                api_key: r.fal_key,
                model: r.fal_model,
                default_seconds: None,
                default_frame: None,
                max_rpm: r.fal_max_rpm,
                max_in_flight: r.fal_max_in_flight,
                quota_pause,
            },
            callbacks: CallbackSettings {
                public_base_url: Some(r.public_base_url).filter(|u| !u.is_empty()),
                poll_stretch: r.poll_stretch_with_callbacks,
                replicate_secret: r.replicate_webhook_secret,
                openrouter_secret: r.openrouter_webhook_secret,
                fal_jwks_url: r.fal_jwks_url,
            },
            providers: ProviderPolicy {
                default: r.provider,
                timeout: ms(r.provider_timeout_ms),
                failure_max: secs(r.provider_failure_max_secs),
                submission_unknown_max: secs(r.submission_unknown_max_secs),
                submission_unknown: if r.submission_unknown_policy == "resubmit" {
                    UnknownSubmission::Resubmit
                } else {
                    UnknownSubmission::Fail
                },
            },
            polling: PollingSettings {
                initial_interval: ms(r.poll_initial_interval_ms),
                max_interval: ms(r.poll_max_interval_ms),
                job_max_age: secs(r.job_max_age_secs),
                job_lease: ms(r.job_lease_ms),
                job_retention: secs(r.job_retention_secs),
                shutdown_grace: ms(r.worker_shutdown_grace_ms),
                concurrency: r.worker_concurrency,
                idle_max: ms(r.worker_idle_max_ms),
            },
            webhooks: WebhookSettings {
                url: Some(r.webhook_url).filter(|u| !u.is_empty()),
                allowed_nets: r.webhook_allowed_nets,
                secret: r.webhook_secret,
                timeout: ms(r.webhook_timeout_ms),
                retry_initial: ms(r.webhook_retry_initial_ms),
                retry_max: ms(r.webhook_retry_max_ms),
                retry_window: secs(r.webhook_retry_window_secs),
                max_attempts: r.webhook_max_attempts,
                concurrency: r.webhook_concurrency,
            },
        }
    }
}

impl Settings {
    /// Every provider's account, by the name jobs give it.
    pub fn accounts(&self) -> [(&'static str, &ProviderSettings); 4] {
        [
            ("openai", &self.openai),
            ("openrouter", &self.openrouter),
            ("replicate", &self.replicate),
            ("fal", &self.fal),
        ]
    }

    pub fn account(&self, provider: &str) -> Option<&ProviderSettings> {
        self.accounts()
            .into_iter()
            .find(|(name, _)| *name == provider)
            .map(|(_, account)| account)
    }

    /// The enabled providers (those with a key), `PROVIDER` first; an error naming them when
    /// `PROVIDER` is not one of them. Both processes check this at start-up.
    pub fn enabled_providers(&self) -> Result<Vec<&'static str>, ConfigError> {
        let enabled: Vec<&'static str> = self
            .accounts()
            .into_iter()
            .filter(|(_, account)| account.is_enabled())
            .map(|(name, _)| name)
            .collect();
        let Some(default) = enabled
            .iter()
            .copied()
            .find(|name| *name == self.providers.default)
        else {
            return Err(ConfigError(format!(
                "provider: PROVIDER={} is not enabled (set its key{}); enabled: {}",
                self.providers.default,
                key_name(&self.providers.default).map_or(String::new(), |k| format!(", {k}")),
                if enabled.is_empty() {
                    "none".to_owned()
                } else {
                    enabled.join(", ")
                }
            )));
        };
        let mut ordered = vec![default];
        ordered.extend(enabled.into_iter().filter(|name| *name != default));
        Ok(ordered)
    }
}

/// The variable holding a provider's key.
fn key_name(provider: &str) -> Option<&'static str> {
    Some(match provider {
        "openai" => "OPENAI_API_KEY",
        "openrouter" => "OPENROUTER_API_KEY",
        "replicate" => "REPLICATE_API_TOKEN",
        "fal" => "FAL_KEY",
        _ => return None,
    })
}

impl ApiSettings {
    /// The API's access rule (see `auth` in config/default.toml): open mode only on loopback, and
    /// an administrator's key whenever auth is on. `Ok(true)` when calls need a key.
    pub fn requires_keys(&self) -> Result<bool, ConfigError> {
        match self.auth {
            Auth::On if self.admin_api_key.expose_secret().is_empty() => Err(ConfigError(
                "admin_api_key: ADMIN_API_KEY must be set while AUTH is on (it creates the tenants' keys)".into(),
            )),
            Auth::On => Ok(true),
            Auth::Off if self.listens_on_loopback() => Ok(false),
            Auth::Off => Err(ConfigError(format!(
                "auth: AUTH=off opens every job to anyone who can reach the API, so it is allowed only \
                 on loopback; set HOST=127.0.0.1 (now {:?}) or turn AUTH on",
                self.host
            ))),
        }
    }

    fn listens_on_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

impl RedisSettings {
    /// Whether Redis is a cluster: `redis_cluster`, or several comma-separated seed URLs.
    pub fn is_cluster(&self) -> bool {
        self.cluster || self.urls().count() > 1
    }

    /// The Redis URL, or for a cluster each of its comma-separated seed nodes.
    pub fn urls(&self) -> impl Iterator<Item = &str> {
        self.url.split(',').map(str::trim).filter(|u| !u.is_empty())
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
mod tests;
