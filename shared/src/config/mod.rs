//! Settings: one documented defaults file (`config/default.toml`, compiled in so a binary never
//! depends on its working directory), an optional `CONFIG_FILE`, then environment variables.
//!
//! Environment variables are the keys of the defaults file in upper case (`PORT`, `REDIS_URL`,
//! `WEBHOOK_SECRET`, ...) — the names users of the original system already have in their `.env`.
//! Only those names are read, so an unrelated variable can never break start-up. Every failure
//! names the key at fault. The flat keys (`raw`) are checked, then grouped by the component
//! they configure, with durations as [`Duration`]s and choices as enums: each component is built
//! from its group.

mod checks;
mod from_raw;
mod providers;
mod raw;
mod routes;

use std::collections::HashMap;
use std::time::Duration;

use config::{Config, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};

pub use providers::{
    CallbackSettings, CircuitSettings, ProviderPolicy, ProviderSettings, UnknownSubmission,
};
use raw::Raw;
pub use routes::{Routes, Target};

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
    pub runway: ProviderSettings,
    pub veo: ProviderSettings,
    pub luma: ProviderSettings,
    /// What applies to every provider.
    pub providers: ProviderPolicy,
    /// `ROUTES` and `DEFAULT_ROUTE`.
    pub routes: Routes,
    /// The providers' callbacks to us.
    pub callbacks: CallbackSettings,
    pub live: LiveSettings,
    pub polling: PollingSettings,
    pub webhooks: WebhookSettings,
    /// Custody of finished videos.
    pub content: ContentSettings,
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
    /// Where the worker serves its Prometheus metrics; `None`: nowhere.
    pub metrics_port: Option<u16>,
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

/// The live event streams (`live_stream_length`, `events_heartbeat_secs`).
#[derive(Clone, Debug)]
pub struct LiveSettings {
    /// Events kept in each partition's live stream (approximately), from which a tenant-wide event
    /// stream resumes.
    pub stream_length: u64,
    /// How often an idle event stream sends a comment line, so proxies keep it open.
    pub heartbeat: Duration,
}

/// Custody of finished videos: where they are kept, how clients without a key reach them, and
/// for how long.
#[derive(Clone, Debug)]
pub struct ContentSettings {
    /// `CONTENT_STORE`.
    pub store: crate::content::StoreUrl,
    pub link: LinkKind,
    /// How long a link in `videoUrl` is valid.
    pub link_ttl: Duration,
    /// The key of signed links; empty: links are not signed.
    pub link_secret: SecretString,
    /// Kept videos are deleted this long after they were stored; `None`: kept until deleted.
    pub retention: Option<Duration>,
    /// Copies one worker runs at once.
    pub copy_concurrency: usize,
}

/// `CONTENT_LINK`: what `videoUrl` holds for kept content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// The API's content URL, HMAC-signed with `CONTENT_LINK_SECRET`.
    Signed,
    /// The object store's presigned URL.
    Presigned,
}

impl ContentSettings {
    /// Whether finished videos are kept.
    pub fn keeps_content(&self) -> bool {
        self.store != crate::content::StoreUrl::Off
    }
}

impl Settings {
    /// Where clients reach the API: `PUBLIC_BASE_URL`, else this machine's port (for local runs).
    pub fn public_base_url(&self) -> String {
        match &self.callbacks.public_base_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://localhost:{}", self.api.port),
        }
    }

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
        let routes = Routes::parse(&raw.routes, &raw.default_route)?;
        Ok(Self {
            routes,
            ..Self::from(raw)
        })
    }
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
