//! Webhook events: the payload clients of the original system parse, and its signature.
//!
//! The body is compact JSON, integers only, with keys in the order the original documentation
//! shows them. A receiver that parses it and re-serialises it (`JSON.stringify(req.body)`, as the
//! original client example does before computing the HMAC) therefore gets the very same bytes,
//! and the signature checks out.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::job::JobStatus;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying hex HMAC-SHA256(secret, body).
pub const SIGNATURE_HEADER: &str = "x-signature";
/// Header carrying the unix time (seconds) at which the attempt was signed.
pub const TIMESTAMP_HEADER: &str = "x-timestamp";

/// One status or progress change, as the receiver sees it.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent<'a> {
    pub job_id: &'a str,
    pub sora_job_id: Option<&'a str>,
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
mod tests {
    use super::*;

    fn completed() -> WebhookEvent<'static> {
        WebhookEvent {
            job_id: "job-123",
            sora_job_id: Some("video_abc123"),
            status: JobStatus::Completed,
            progress: 100,
            video_url: Some("https://api.openai.com/v1/videos/video_abc123/content"),
            content_expires_at: Some(1234567890),
            error: None,
            timestamp: "2024-01-25T10:05:00.000Z".into(),
        }
    }

    #[test]
    fn body_has_the_documented_keys_in_order() {
        assert_eq!(
            completed().to_body(),
            r#"{"jobId":"job-123","soraJobId":"video_abc123","status":"completed","progress":100,"videoUrl":"https://api.openai.com/v1/videos/video_abc123/content","contentExpiresAt":1234567890,"timestamp":"2024-01-25T10:05:00.000Z"}"#
        );
        let queued = WebhookEvent {
            sora_job_id: None,
            status: JobStatus::Queued,
            progress: 0,
            video_url: None,
            content_expires_at: None,
            ..completed()
        };
        assert_eq!(
            queued.to_body(),
            r#"{"jobId":"job-123","soraJobId":null,"status":"queued","progress":0,"timestamp":"2024-01-25T10:05:00.000Z"}"#
        );
    }

    #[test]
    fn reserialising_the_parsed_body_gives_the_same_bytes() {
        // What `JSON.stringify(req.body)` does after `express.json()`: parse, keep key order, write
        // compactly. Awkward characters in the error message must survive the round trip too.
        let event = WebhookEvent {
            status: JobStatus::Failed,
            error: Some("Sora said \"no\" \u{1}\n/ünïcødé \u{2028} 🎬"),
            video_url: None,
            content_expires_at: None,
            ..completed()
        };
        let body = event.to_body();
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), body);
    }

    #[test]
    fn signature_is_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let sig = sign(b"secret", b"{}");
        assert!(verify(b"secret", b"{}", &sig));
        assert!(!verify(b"secret", b"{ }", &sig));
        assert!(!verify(b"other", b"{}", &sig));
        assert!(!verify(b"secret", b"{}", "not hex"));
    }
}
