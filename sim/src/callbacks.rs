//! Callbacks the simulated providers send when a video starts or ends, each signed with its
//! provider's own scheme, and the record of every one sent (`GET /sim/callbacks`) so tests can
//! measure them and replay them. Signing is written here from the providers' documentation and
//! the crates made for it, apart from the relay's verifiers, so that a test of one against the
//! other proves something.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::SimConfig;
use crate::state::{now_ms, SimState};

/// Attempts per callback (the first and its retries), and the first retry's wait (doubling).
const ATTEMPTS: u32 = 5;
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// The simulated providers' signing keys.
pub struct Signers {
    replicate: standardwebhooks::Webhook,
    openrouter: Vec<u8>,
    fal: SigningKey,
}

/// One callback as sent: where, with which headers and body, and what the receiver answered.
#[derive(Clone, Debug, Serialize)]
pub struct SentCallback {
    pub provider: &'static str,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// The receiver's answer (`None`: no answer).
    pub status: Option<u16>,
    /// When the request started (wall clock, ms).
    pub sent_ms: u64,
    /// How long the receiver took to answer (ms).
    pub answered_in_ms: u64,
}

/// Whose scheme signs a callback.
#[derive(Clone, Copy, Debug)]
pub enum Scheme {
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    Replicate,
    /// `X-OpenRouter-Signature: t=…,v1=hex(HMAC-SHA256(secret, "t," + body))`.
    OpenRouter,
    /// `X-Fal-Webhook-*`: Ed25519 over `request_id\nuser_id\ntimestamp\nhex(sha256(body))`.
    Fal,
    /// No signature at all (Luma): the callback URL is the only secret.
    Unsigned,
}

/// The user id fal puts in its callbacks' headers.
const FAL_USER_ID: &str = "sim-user";

impl Signers {
    pub fn from_config(config: &SimConfig) -> anyhow::Result<Self> {
        let seed: [u8; 32] = hex::decode(&config.fal_signing_seed)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("SIM_FAL_SIGNING_SEED must be 64 hex digits"))?;
        Ok(Self {
            replicate: standardwebhooks::Webhook::new(&config.replicate_webhook_secret)
                .map_err(|e| anyhow::anyhow!("SIM_REPLICATE_WEBHOOK_SECRET: {e}"))?,
            openrouter: config.openrouter_webhook_secret.as_bytes().to_vec(),
            fal: SigningKey::from_bytes(&seed),
        })
    }

    /// fal's JWKS: the public half of its signing key.
    pub fn fal_jwks(&self) -> serde_json::Value {
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(self.fal.verifying_key().as_bytes());
        serde_json::json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "sim", "use": "sig"}]})
    }

    /// The signed headers for `body`, now. `id` is the message id (Replicate), the idempotency
    /// key (OpenRouter) or the request id (fal).
    fn headers(&self, scheme: Scheme, id: &str, body: &[u8]) -> Vec<(String, String)> {
        let now = (now_ms() / 1000) as i64;
        match scheme {
            Scheme::Replicate => {
                let signature = self
                    .replicate
                    .sign(id, now, body)
                    .expect("callback bodies are UTF-8 JSON");
                vec![
                    ("webhook-id".into(), id.into()),
                    ("webhook-timestamp".into(), now.to_string()),
                    ("webhook-signature".into(), signature),
                ]
            }
            Scheme::OpenRouter => {
                let mut mac = Hmac::<Sha256>::new_from_slice(&self.openrouter)
                    .expect("HMAC takes a key of any length");
                mac.update(format!("{now},").as_bytes());
                mac.update(body);
                let v1 = hex::encode(mac.finalize().into_bytes());
                vec![
                    ("x-openrouter-signature".into(), format!("t={now},v1={v1}")),
                    ("x-openrouter-idempotency-key".into(), id.into()),
                ]
            }
            Scheme::Fal => {
                let message = format!(
                    "{id}\n{FAL_USER_ID}\n{now}\n{}",
                    hex::encode(Sha256::digest(body))
                );
                let signature = hex::encode(self.fal.sign(message.as_bytes()).to_bytes());
                vec![
                    ("x-fal-webhook-request-id".into(), id.into()),
                    ("x-fal-webhook-user-id".into(), FAL_USER_ID.into()),
                    ("x-fal-webhook-timestamp".into(), now.to_string()),
                    ("x-fal-webhook-signature".into(), signature),
                ]
            }
            Scheme::Unsigned => Vec::new(),
        }
    }
}

/// Sends a callback at `at_ms` (now if past): the body made then by `body` (`None`: nothing to
/// send), signed then, retried while the receiver does not answer 2xx.
pub fn send_at(
    state: Arc<SimState>,
    at_ms: u64,
    provider: &'static str,
    scheme: Scheme,
    url: String,
    id: String,
    body: impl FnOnce(&SimState) -> Option<Vec<u8>> + Send + 'static,
) {
    tokio::spawn(async move {
        let wait = at_ms.saturating_sub(now_ms());
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let Some(body) = body(&state) else {
            return;
        };
        let mut retry = FIRST_RETRY;
        for attempt in 1..=ATTEMPTS {
            let headers = state.signers.headers(scheme, &id, &body);
            let mut request = state
                .http
                .post(&url)
                .header("content-type", "application/json")
                .body(body.clone());
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            let sent_ms = now_ms();
            let started = std::time::Instant::now();
            let status = request.send().await.ok().map(|r| r.status().as_u16());
            state.record_callback(SentCallback {
                provider,
                url: url.clone(),
                headers: headers.into_iter().collect(),
                body: String::from_utf8_lossy(&body).into_owned(),
                status,
                sent_ms,
                answered_in_ms: started.elapsed().as_millis() as u64,
            });
            if status.is_some_and(|s| (200..300).contains(&s)) || attempt == ATTEMPTS {
                return;
            }
            tokio::time::sleep(retry).await;
            retry *= 2;
        }
    });
}
