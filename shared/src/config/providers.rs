//! The providers' settings: each provider's account (the key that enables it, its base URL,
//! default model and limits), what applies to every provider, and how providers call us back.
//! Which providers are enabled, and the check that `PROVIDER` is one of them, live here too.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::{ConfigError, Settings};
use crate::provider::callback::token;
use crate::provider::Frame;

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
    /// `CALLBACK_TOKEN_SECRET`: derives the per-job callback paths of providers that do not sign
    /// their callbacks (empty: those providers are only polled).
    pub token_secret: SecretString,
}

impl CallbackSettings {
    /// Whether `provider` (one that can call back) is asked to: a public address, and for a
    /// provider that does not sign, the secret its paths are derived from.
    pub fn asked_of(&self, provider: &str) -> bool {
        self.public_base_url.is_some()
            && (!token::UNSIGNED.contains(&provider)
                || !self.token_secret.expose_secret().is_empty())
    }

    /// Where `provider` calls us back about `job`, when callbacks are on. The job id rides in the
    /// query, so a callback finds its job without an index of provider ids. A provider that does
    /// not sign its callbacks gets the job's own unguessable path (a capability URL: never
    /// logged), or no callbacks without `CALLBACK_TOKEN_SECRET`.
    pub fn url_for(&self, provider: &str, job: &str) -> Option<String> {
        if !self.asked_of(provider) {
            return None;
        }
        let base = self.public_base_url.as_deref()?.trim_end_matches('/');
        if !token::UNSIGNED.contains(&provider) {
            return Some(format!(
                "{base}/api/providers/{provider}/callback?job={job}"
            ));
        }
        let token = token::for_job(self.token_secret.expose_secret().as_bytes(), provider, job);
        Some(format!(
            "{base}/api/providers/{provider}/callback/{token}?job={job}"
        ))
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
    pub circuit: CircuitSettings,
}

/// Per-target circuit breakers (`CIRCUIT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CircuitSettings {
    /// Failed creates in a row that open a target's circuit.
    pub failures: u32,
    /// A failure more than this after the one before starts the count again.
    pub window: Duration,
    /// How long an open circuit stays shut before one job probes it.
    pub open: Duration,
}

/// `SUBMISSION_UNKNOWN_POLICY`: what becomes of a submission nobody could settle in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownSubmission {
    /// The job fails: never pay for two videos.
    Fail,
    /// It is submitted again: never lose the job.
    Resubmit,
}

impl Settings {
    /// Every provider's account, by the name jobs give it.
    pub fn accounts(&self) -> [(&'static str, &ProviderSettings); 7] {
        [
            ("openai", &self.openai),
            ("openrouter", &self.openrouter),
            ("replicate", &self.replicate),
            ("fal", &self.fal),
            ("runway", &self.runway),
            ("veo", &self.veo),
            ("luma", &self.luma),
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
        for (route, targets) in self.routes.iter() {
            if let Some(off) = targets
                .iter()
                .find(|t| !enabled.contains(&t.provider.as_str()))
            {
                return Err(ConfigError(format!(
                    "routes: route {route:?} names {off}, but {} is not enabled (set its key{}); enabled: {}",
                    off.provider,
                    key_name(&off.provider).map_or(String::new(), |k| format!(", {k}")),
                    enabled.join(", ")
                )));
            }
        }
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
        "runway" => "RUNWAYML_API_SECRET",
        "veo" => "GEMINI_API_KEY",
        "luma" => "LUMAAI_API_KEY",
        _ => return None,
    })
}
