//! The providers a deployment can use, built from the settings by one function
//! ([`Providers::from_settings`]); each with its adapter, default model, request defaults and
//! limits. Jobs name their provider; a job stored before jobs named one belongs to `openai`.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use super::metered::Metered;
use super::{Frame, VideoProvider};
use crate::config::ProviderSettings;
use crate::Settings;

/// The provider of jobs that name none: the only one there was before jobs named one.
pub const DEFAULT: &str = "openai";

/// How each known provider's adapter is built from its account (and the settings every provider
/// shares). Adding a provider is a module, one line here and its account in the settings.
type Build = fn(&ProviderSettings, &Settings) -> anyhow::Result<Arc<dyn VideoProvider>>;
pub const ADAPTERS: &[(&str, Build)] = &[
    ("openai", connect::<super::openai::OpenAiVideos>),
    ("openrouter", connect::<super::openrouter::OpenRouterVideos>),
    (
        "replicate",
        connect::<super::replicate::ReplicatePredictions>,
    ),
    ("fal", connect::<super::fal::FalQueue>),
    ("runway", connect::<super::runway::RunwayTasks>),
    ("veo", connect::<super::veo::VeoOperations>),
    ("luma", connect::<super::luma::LumaGenerations>),
];

/// An adapter reached over HTTP at a base URL with a key: how each is made.
pub trait HttpAdapter: VideoProvider + Sized {
    fn new(base_url: &str, key: SecretString, timeout: Duration) -> reqwest::Result<Self>;
}

/// Builds an [`HttpAdapter`] from its account, with the shared request timeout.
fn connect<A: HttpAdapter>(
    account: &ProviderSettings,
    settings: &Settings,
) -> anyhow::Result<Arc<dyn VideoProvider>> {
    let adapter = A::new(
        &account.base_url,
        account.api_key.clone(),
        settings.providers.timeout,
    )?;
    Ok(Arc::new(adapter))
}

/// One configured provider.
#[derive(Clone)]
pub struct Provider {
    /// As jobs and settings name it: `openai`.
    pub name: &'static str,
    pub adapter: Arc<dyn VideoProvider>,
    /// For jobs that name no model.
    pub default_model: String,
    /// What a job leaves out, the deployment's defaults fill (gateways often need both).
    pub default_seconds: Option<u32>,
    pub default_frame: Option<Frame>,
    pub limits: ProviderLimits,
}

/// A provider's limits, shared by every worker through Redis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderLimits {
    /// Requests per minute to this provider (0: no limit).
    pub max_rpm: u32,
    /// Videos running at this provider at once (0: no cap).
    pub max_in_flight: u32,
    /// How long submissions pause after the provider says the quota is exhausted.
    pub quota_pause: Duration,
}

impl Provider {
    /// `name` with its account's defaults and limits, served by `adapter` (its calls measured).
    pub fn configured(
        name: &'static str,
        account: &ProviderSettings,
        adapter: Arc<dyn VideoProvider>,
    ) -> Self {
        Self {
            name,
            adapter: Metered::wrap(name, adapter),
            default_model: account.model.clone(),
            default_seconds: account.default_seconds,
            default_frame: account.default_frame,
            limits: ProviderLimits {
                max_rpm: account.max_rpm,
                max_in_flight: account.max_in_flight,
                quota_pause: account.quota_pause,
            },
        }
    }

    /// A provider with no defaults and no limits (tests and benchmarks).
    pub fn unlimited(name: &'static str, adapter: Arc<dyn VideoProvider>, model: &str) -> Self {
        Self {
            name,
            adapter: Metered::wrap(name, adapter),
            default_model: model.to_owned(),
            default_seconds: None,
            default_frame: None,
            limits: ProviderLimits {
                max_rpm: 0,
                max_in_flight: 0,
                quota_pause: Duration::from_secs(300),
            },
        }
    }
}

/// The configured providers, the default first.
#[derive(Clone)]
pub struct Providers {
    all: Vec<Provider>,
}

impl Providers {
    /// Every enabled provider, `PROVIDER` first; an error when `PROVIDER` is not enabled.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let mut all = Vec::new();
        for name in settings.enabled_providers()? {
            let (name, build) = ADAPTERS
                .iter()
                .find(|(known, _)| *known == name)
                .ok_or_else(|| anyhow::anyhow!("no adapter for the provider {name}"))?;
            let account = settings
                .account(name)
                .ok_or_else(|| anyhow::anyhow!("no settings for the provider {name}"))?;
            let adapter = build(account, settings)
                .map_err(|e| anyhow::anyhow!("building the {name} provider: {e:#}"))?;
            all.push(Provider::configured(name, account, adapter));
        }
        Self::new(all)
    }

    /// These providers; the first is the default. An error when there is none or two share a name.
    pub fn new(all: Vec<Provider>) -> anyhow::Result<Self> {
        anyhow::ensure!(!all.is_empty(), "no provider is configured");
        for (i, p) in all.iter().enumerate() {
            anyhow::ensure!(
                !all[..i].iter().any(|q| q.name == p.name),
                "the provider {} is configured twice",
                p.name
            );
        }
        Ok(Self { all })
    }

    /// One provider, the default.
    pub fn single(provider: Provider) -> Self {
        Self {
            all: vec![provider],
        }
    }

    pub fn get(&self, name: &str) -> Option<&Provider> {
        self.all.iter().find(|p| p.name == name)
    }

    /// The provider of jobs that name none.
    pub fn default_provider(&self) -> &Provider {
        &self.all[0]
    }

    pub fn iter(&self) -> impl Iterator<Item = &Provider> {
        self.all.iter()
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.all.iter().map(|p| p.name).collect()
    }
}
