use clap::Args;
use serde::{Deserialize, Serialize};

/// How the simulated provider behaves. Every flag also reads an environment variable.
#[derive(Args, Clone, Debug)]
pub struct SimConfig {
    /// Bearer key clients must send; empty accepts any key.
    #[arg(long, env = "SIM_API_KEY", default_value = "sk-sim")]
    pub api_key: String,
    /// Time a new video spends `queued`, in ms.
    #[arg(long, env = "SIM_QUEUED_MS", default_value_t = 1000)]
    pub queued_ms: u64,
    /// Time a video spends `in_progress`, in ms (the shortest, when --running-ms-max is set).
    #[arg(long, env = "SIM_RUNNING_MS", default_value_t = 5000)]
    pub running_ms: u64,
    /// Longest running time; each video draws its own between --running-ms and this.
    #[arg(long, env = "SIM_RUNNING_MS_MAX")]
    pub running_ms_max: Option<u64>,
    /// Share of videos that fail halfway (0..1). A prompt containing `sim:fail` always fails.
    #[arg(long, env = "SIM_FAILURE_RATE", default_value_t = 0.0)]
    pub failure_rate: f64,
    /// Share of requests answered 429 rate_limit_exceeded (0..1).
    #[arg(long, env = "SIM_RATE_429", default_value_t = 0.0)]
    pub rate_429: f64,
    /// The retry-after header sent with injected 429s, in seconds.
    #[arg(long, env = "SIM_RETRY_AFTER_SECS", default_value_t = 1)]
    pub retry_after_secs: u64,
    /// Share of requests answered 500 server_error (0..1).
    #[arg(long, env = "SIM_RATE_5XX", default_value_t = 0.0)]
    pub rate_5xx: f64,
    /// Share of requests answered 429 insufficient_quota (0..1).
    #[arg(long, env = "SIM_RATE_QUOTA", default_value_t = 0.0)]
    pub rate_quota: f64,
    /// Latency added to every API request, in ms.
    #[arg(long, env = "SIM_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Models accepted, comma-separated (dated snapshots `<model>-YYYY-MM-DD` are accepted too).
    #[arg(
        long,
        env = "SIM_MODELS",
        default_value = "sora-2,sora-2-pro",
        value_delimiter = ','
    )]
    pub models: Vec<String>,
    /// Secret for checking `x-signature` on webhooks posted to the sink at `/sim/webhooks`.
    #[arg(long, env = "SIM_WEBHOOK_SECRET", default_value = "")]
    pub webhook_secret: String,
    /// Replicate's signing secret for its callbacks (`whsec_` + base64), as
    /// `GET /replicate/v1/webhooks/default/secret` tells it.
    #[arg(
        long,
        env = "SIM_REPLICATE_WEBHOOK_SECRET",
        default_value = DEFAULT_REPLICATE_SECRET
    )]
    pub replicate_webhook_secret: String,
    /// OpenRouter's signing secret for its callbacks (a plain string).
    #[arg(
        long,
        env = "SIM_OPENROUTER_WEBHOOK_SECRET",
        default_value = DEFAULT_OPENROUTER_SECRET
    )]
    pub openrouter_webhook_secret: String,
    /// The seed (64 hex digits) of fal's Ed25519 signing key; its public half is served as a JWKS
    /// at `/fal/.well-known/jwks.json`.
    #[arg(long, env = "SIM_FAL_SIGNING_SEED", default_value = DEFAULT_FAL_SEED)]
    pub fal_signing_seed: String,
}

/// The simulator's signing material unless told otherwise: not secret, only for local runs.
pub const DEFAULT_REPLICATE_SECRET: &str = "whsec_c29yYS1zaW0gcmVwbGljYXRlIHNpZ25pbmcga2V5IQ==";
pub const DEFAULT_OPENROUTER_SECRET: &str = "sora-sim-openrouter-signing-secret";
pub const DEFAULT_FAL_SEED: &str =
    "5f3a1c0e9b8d7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a090807";

/// The faults in force; `POST /sim/faults` changes them while the simulator runs.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Faults {
    #[serde(default)]
    pub rate_429: f64,
    #[serde(default)]
    pub retry_after_secs: u64,
    #[serde(default)]
    pub rate_5xx: f64,
    #[serde(default)]
    pub rate_quota: f64,
    #[serde(default)]
    pub latency_ms: u64,
    /// The list endpoint answers 400 "LLM Provider NOT provided", as a LiteLLM proxy routing
    /// `/v1/videos` to another provider does.
    #[serde(default)]
    pub list_broken: bool,
    /// The list endpoint ignores `after` and answers the first page (with `has_more`) every time,
    /// as some gateways do.
    #[serde(default)]
    pub list_ignores_after: bool,
    /// The injected faults (429, quota, 5xx) meet only requests whose path starts with this
    /// (`/fal/`: one provider of several the simulator serves); none: every request.
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// The injected faults meet only `POST`s (creates): running videos are still read.
    #[serde(default)]
    pub posts_only: bool,
}

impl SimConfig {
    pub fn faults(&self) -> Faults {
        Faults {
            rate_429: self.rate_429,
            retry_after_secs: self.retry_after_secs,
            rate_5xx: self.rate_5xx,
            rate_quota: self.rate_quota,
            latency_ms: self.latency_ms,
            ..Faults::default()
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            api_key: "sk-sim".into(),
            queued_ms: 1000,
            running_ms: 5000,
            running_ms_max: None,
            failure_rate: 0.0,
            rate_429: 0.0,
            retry_after_secs: 1,
            rate_5xx: 0.0,
            rate_quota: 0.0,
            latency_ms: 0,
            models: vec!["sora-2".into(), "sora-2-pro".into()],
            webhook_secret: String::new(),
            replicate_webhook_secret: DEFAULT_REPLICATE_SECRET.into(),
            openrouter_webhook_secret: DEFAULT_OPENROUTER_SECRET.into(),
            fal_signing_seed: DEFAULT_FAL_SEED.into(),
        }
    }
}
