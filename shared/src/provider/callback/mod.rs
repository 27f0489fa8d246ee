//! Providers' callbacks to us, verified by each provider's own signature scheme. A verified
//! callback is only a hint: it names a video that may have changed, and the job is polled at once
//! to learn what did. Nothing in a callback's body is ever taken as the video's state, so a forged
//! or replayed callback can at most cause one early poll, and only with a valid signature.
//!
//! - Replicate signs with Standard Webhooks (`webhook-id`, `webhook-timestamp`,
//!   `webhook-signature`; HMAC-SHA256 keyed by the account's `whsec_` secret): `replicate.rs`.
//! - OpenRouter signs `"<t>," + body` with HMAC-SHA256 in `X-OpenRouter-Signature: t=…,v1=…`:
//!   `openrouter.rs`.
//! - fal signs `request_id\nuser_id\ntimestamp\nhex(sha256(body))` with Ed25519, its public keys
//!   published as a JWKS: `fal.rs`.
//! - Luma signs nothing: its callbacks are believed only at the job's unguessable path, whose
//!   token the relay derived from `CALLBACK_TOKEN_SECRET`: `token.rs`.
//!
//! Every signature scheme rejects a timestamp more than [`TOLERANCE`] away from now.

mod fal;
mod openrouter;
mod replicate;
pub mod token;

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::config::CallbackSettings;

pub use fal::FalKeys;

/// How far a callback's timestamp may be from now (as Standard Webhooks and fal's docs allow).
pub const TOLERANCE: Duration = Duration::from_secs(300);

/// What a verified callback says: which video it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// The provider's id of the video, as the callback names it.
    pub video_id: String,
}

impl Hint {
    /// Whether the callback is about the video stored as `stored` (a provider id, or for fal the
    /// request's path under its app, whose last segment is the request id).
    pub fn names(&self, stored: &str) -> bool {
        stored == self.video_id || stored.rsplit('/').next() == Some(self.video_id.as_str())
    }
}

/// Why a callback is not believed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    /// No such provider here, or it cannot call back.
    #[error("{0} does not call back here")]
    UnknownProvider(String),
    /// The provider's signing secret is not configured: no callback of it can be believed.
    #[error("callbacks from {0} are not accepted: its signing secret is not configured")]
    NotConfigured(&'static str),
    #[error("the signature is missing or malformed: {0}")]
    Malformed(String),
    #[error("the timestamp is more than 5 minutes from now")]
    Stale,
    #[error("the signature does not verify")]
    BadSignature,
    /// The keys to verify with could not be had (fal's JWKS did not answer): the provider should
    /// try again later.
    #[error("the provider's signing keys cannot be fetched now")]
    KeysUnavailable,
}

/// The verifiers of every provider that calls back.
pub struct Callbacks {
    replicate: Option<standardwebhooks::Webhook>,
    openrouter: Option<Vec<u8>>,
    fal: FalKeys,
    /// `CALLBACK_TOKEN_SECRET`, for the providers that do not sign.
    token_secret: Option<Vec<u8>>,
}

/// Where a callback arrived: the job its URL names (`?job=`) and its path's token, if any.
#[derive(Clone, Copy, Debug, Default)]
pub struct Address<'a> {
    pub job: Option<&'a str>,
    pub token: Option<&'a str>,
}

impl Callbacks {
    pub fn from_settings(settings: &CallbackSettings, timeout: Duration) -> anyhow::Result<Self> {
        use secrecy::ExposeSecret;
        let replicate = match settings.replicate_secret.expose_secret() {
            "" => None,
            secret => Some(standardwebhooks::Webhook::new(secret).map_err(|e| {
                anyhow::anyhow!("REPLICATE_WEBHOOK_SECRET is not a whsec_ secret: {e}")
            })?),
        };
        let openrouter = match settings.openrouter_secret.expose_secret() {
            "" => None,
            secret => Some(secret.as_bytes().to_vec()),
        };
        let token_secret = match settings.token_secret.expose_secret() {
            "" => None,
            secret => Some(secret.as_bytes().to_vec()),
        };
        Ok(Self {
            replicate,
            openrouter,
            fal: FalKeys::new(&settings.fal_jwks_url, timeout)?,
            token_secret,
        })
    }

    /// Verifies a callback from `provider` at `address` with its raw body: what it is about, or
    /// why it is not believed. Only fal's may reach the network (its keys, cached). A tokened path
    /// is only for the providers that do not sign.
    pub async fn verify(
        &self,
        provider: &str,
        address: Address<'_>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Hint, Refused> {
        if address.token.is_some() && !token::UNSIGNED.contains(&provider) {
            return Err(Refused::UnknownProvider(format!(
                "{provider} (at a tokened path)"
            )));
        }
        match provider {
            "replicate" => {
                let webhook = self
                    .replicate
                    .as_ref()
                    .ok_or(Refused::NotConfigured("replicate"))?;
                replicate::verify(webhook, headers, body)
            }
            "openrouter" => {
                let secret = self
                    .openrouter
                    .as_deref()
                    .ok_or(Refused::NotConfigured("openrouter"))?;
                openrouter::verify(secret, headers, body, now_secs())
            }
            "fal" => self.fal.verify(headers, body, now_secs()).await,
            "luma" => {
                let secret = self
                    .token_secret
                    .as_deref()
                    .ok_or(Refused::NotConfigured("luma"))?;
                let (Some(job), Some(given)) = (address.job, address.token) else {
                    return Err(Refused::Malformed(
                        "unsigned callbacks are taken only at the job's own callback path".into(),
                    ));
                };
                token::verify(secret, provider, job, given)?;
                Ok(Hint {
                    video_id: id_at(body, &["id"])?,
                })
            }
            other => Err(Refused::UnknownProvider(other.to_owned())),
        }
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A header as text.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, Refused> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Refused::Malformed(format!("no {name} header")))
}

/// A unix-seconds timestamp within [`TOLERANCE`] of `now`.
fn fresh(timestamp: &str, now: i64) -> Result<i64, Refused> {
    let t: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| Refused::Malformed("the timestamp is not unix seconds".into()))?;
    if t.abs_diff(now) > TOLERANCE.as_secs() {
        return Err(Refused::Stale);
    }
    Ok(t)
}

/// A string at `path` in a JSON body.
fn id_at(body: &[u8], path: &[&str]) -> Result<String, Refused> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| Refused::Malformed("the body is not JSON".into()))?;
    let mut at = &value;
    for key in path {
        at = at
            .get(key)
            .ok_or_else(|| Refused::Malformed(format!("the body has no {}", path.join("."))))?;
    }
    at.as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| Refused::Malformed(format!("{} is not a string", path.join("."))))
}
