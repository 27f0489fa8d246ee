//! Webhook events: the payload clients of the original system parse, and its signatures.
//!
//! Two schemes sign every attempt. The original one: `x-signature` = hex HMAC-SHA256 of the body
//! under the secret's bytes, with `x-timestamp`. And Standard Webhooks: `webhook-id` (stable across
//! retries), `webhook-timestamp` (each attempt) and `webhook-signature` = `v1,<base64 HMAC-SHA256 of
//! "id.timestamp.body">`, one per secret while keys rotate. A `whsec_…` secret is base64-decoded as
//! the Standard Webhooks spec says; any other secret is used as its bytes.
//!
//! The body is compact JSON, integers only, with keys in the order the original documentation
//! shows them. A receiver that parses it and re-serialises it (`JSON.stringify(req.body)`, as the
//! original client example does before computing the HMAC) therefore gets the very same bytes,
//! and the signature checks out.
//!
//! What became of each attempt is an [`AttemptEntry`] in the job's attempt log.

mod attempt;

pub use attempt::{AttemptEntry, AttemptOutcome, Whose};

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::job::{JobStatus, ProgressSource};

type HmacSha256 = Hmac<Sha256>;

/// Header carrying hex HMAC-SHA256(secret, body).
pub const SIGNATURE_HEADER: &str = "x-signature";
/// Header carrying the unix time (seconds) at which the attempt was signed.
pub const TIMESTAMP_HEADER: &str = "x-timestamp";
/// Standard Webhooks headers.
pub const ID_HEADER: &str = "webhook-id";
pub const STANDARD_TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const STANDARD_SIGNATURE_HEADER: &str = "webhook-signature";

/// The secrets webhooks are signed with: `WEBHOOK_SECRET`, one or more separated by spaces or
/// commas during a rotation. The first also keys the original `x-signature`.
pub struct SigningKeys {
    first_raw: Vec<u8>,
    keys: Vec<standardwebhooks::Webhook>,
}

impl SigningKeys {
    /// `None` for an empty setting; an error names what is wrong, never the secret.
    pub fn parse(setting: &str) -> Result<Option<Self>, String> {
        let secrets: Vec<&str> = setting
            .split([' ', ',', '\n', '\t'])
            .filter(|s| !s.is_empty())
            .collect();
        let Some(first) = secrets.first() else {
            return Ok(None);
        };
        let keys = secrets
            .iter()
            .enumerate()
            .map(|(n, secret)| match secret.strip_prefix("whsec_") {
                Some(_) => standardwebhooks::Webhook::new(secret)
                    .map_err(|_| format!("secret #{} starts with whsec_ but is not base64", n + 1)),
                None => standardwebhooks::Webhook::from_bytes(secret.as_bytes().to_vec())
                    .map_err(|e| e.to_string()),
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(Self {
            first_raw: first.as_bytes().to_vec(),
            keys,
        }))
    }

    /// The original scheme's `x-signature`.
    pub fn original(&self, body: &[u8]) -> String {
        sign(&self.first_raw, body)
    }

    /// `webhook-signature`: one `v1,<base64>` per secret, space-separated.
    pub fn standard(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        self.keys
            .iter()
            .filter_map(|key| key.sign(id, timestamp, body).ok())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The `webhook-id` of a job's event: the same for every attempt of it.
pub fn event_id(job_id: &str, seq: u64) -> String {
    format!("evt_{job_id}_{seq}")
}

/// One status or progress change, as the receiver sees it.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent<'a> {
    pub job_id: &'a str,
    /// The provider's id for the job's video. Named `soraJobId` on the wire, as the original
    /// clients read it, whichever provider made the video.
    #[serde(rename = "soraJobId")]
    pub provider_job_id: Option<&'a str>,
    pub status: JobStatus,
    pub progress: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// ISO-8601, UTC.
    pub timestamp: String,
    /// Whether `progress` is the provider's or the relay's estimate. Added at the end of the body.
    pub progress_source: ProgressSource,
    /// The kept video's SHA-256 (hex), size and type, once completed under custody
    /// (`CONTENT_STORE`); added at the end of the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_sha256: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<&'a str>,
    /// When a routed job moves to the next target on its route: every target it has been at, the
    /// new one last (as the status view's `attempts`). Added at the end of the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<&'a [crate::job::Attempt]>,
}

impl WebhookEvent<'_> {
    pub fn to_body(&self) -> String {
        serde_json::to_string(self).expect("a webhook event always serialises")
    }
}

/// Hex HMAC-SHA256 of `body` under `secret`: the `x-signature` header.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks Standard Webhooks headers with `secret` (`whsec_…` or raw), the timestamp within five
/// minutes, in constant time: what a receiver in Rust calls.
pub fn verify_standard(
    secret: &str,
    body: &[u8],
    id: &str,
    timestamp: &str,
    signatures: &str,
) -> bool {
    let Ok(Some(keys)) = SigningKeys::parse(secret) else {
        return false;
    };
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in [
        (ID_HEADER, id),
        (STANDARD_TIMESTAMP_HEADER, timestamp),
        (STANDARD_SIGNATURE_HEADER, signatures),
    ] {
        match value.parse() {
            Ok(value) => {
                headers.insert(name, value);
            }
            Err(_) => return false,
        }
    }
    keys.keys[0].verify(body, &headers).is_ok()
}

/// Checks an `x-signature` header against `body` in constant time.
pub fn verify(secret: &[u8], body: &[u8], signature_hex: &str) -> bool {
    let Ok(given) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests;
