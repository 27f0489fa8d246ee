//! OpenRouter's video wire types, private to the adapter, and how they translate into the shared
//! [`Lifecycle`]. The contract and its sources: `docs/providers/openrouter.md`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::provider::http::{Dialect, ErrorText};
use crate::provider::{FailureClass, Lifecycle, Output, ProviderJob};

/// A video generation job (unknown fields are ignored).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(super) struct VideoJob {
    pub id: String,
    /// `pending`, `in_progress`, `completed`, `failed`, `cancelled`, `expired`.
    pub status: String,
    #[serde(default)]
    pub unsigned_urls: Vec<String>,
    #[serde(default)]
    pub error: Option<Value>,
    /// Unix seconds after which the outputs are gone (in the Python SDK's model).
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// How OpenRouter's answers read: errors are `{"error": {"code", "message", "metadata"}}`, a rate
/// limit naming itself in `metadata.error_type`. Running out of credits is a 402 (the quota).
pub(super) const DIALECT: Dialect = Dialect {
    error_text,
    quota_codes: &[],
    wait_header: Some(rate_limit_reset),
};

/// The wait until `X-RateLimit-Reset`, when a 429 sends no `Retry-After`. *Our choice*, its unit
/// not being documented: a value past 10^12 is a unix time in ms, past 10^9 one in seconds,
/// anything smaller seconds from now; capped at a minute, as header waits are.
fn rate_limit_reset(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value: f64 = headers
        .get("x-ratelimit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let now_ms = chrono::Utc::now().timestamp_millis() as f64;
    let wait_ms = if value > 1e12 {
        value - now_ms
    } else if value > 1e9 {
        value * 1000.0 - now_ms
    } else {
        value * 1000.0
    };
    (wait_ms.is_finite()).then(|| Duration::from_millis(wait_ms.clamp(0.0, 60_000.0) as u64))
}

#[derive(Deserialize)]
struct Envelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    metadata: Option<Value>,
}

fn error_text(body: &[u8]) -> ErrorText {
    let Ok(envelope) = serde_json::from_slice::<Envelope>(body) else {
        return ErrorText::default();
    };
    let code = envelope
        .error
        .metadata
        .as_ref()
        .and_then(|m| m.get("error_type"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    ErrorText {
        message: envelope.error.message,
        code,
        retry_after: None,
    }
}

impl VideoJob {
    /// `content_url(index)` is where output `index` is downloaded when the job lists no URLs.
    pub fn into_job(self, content_url: impl Fn(usize) -> String) -> ProviderJob {
        let lifecycle = match self.status.as_str() {
            "pending" => Lifecycle::Queued,
            "completed" => {
                let mut outputs: Vec<Output> = self
                    .unsigned_urls
                    .iter()
                    .map(|url| Output { url: url.clone() })
                    .collect();
                if outputs.is_empty() {
                    outputs.push(Output {
                        url: content_url(0),
                    });
                }
                Lifecycle::Succeeded {
                    outputs,
                    expires_at: self.expires_at,
                }
            }
            "failed" => {
                let message = match &self.error {
                    Some(Value::String(s)) if !s.is_empty() => s.clone(),
                    Some(Value::Null) | None => "the video generation failed".into(),
                    Some(other) => other.to_string(),
                };
                Lifecycle::Failed {
                    class: failure_class(&message),
                    message,
                }
            }
            "cancelled" => Lifecycle::Cancelled,
            "expired" => Lifecycle::Expired,
            // `in_progress`, and any status OpenRouter adds: running, as its docs ask.
            _ => Lifecycle::Running { progress: None },
        };
        ProviderJob {
            id: self.id,
            lifecycle,
        }
    }
}

/// OpenRouter relays its upstream's words: a refusal for safety is told by them ("Content
/// policy violation").
fn failure_class(message: &str) -> FailureClass {
    let lower = message.to_ascii_lowercase();
    let moderation = ["content policy", "moderation", "safety", "nsfw", "flagged"];
    if moderation.iter().any(|w| lower.contains(w)) {
        FailureClass::Moderation
    } else {
        FailureClass::Provider
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(json: &str) -> ProviderJob {
        serde_json::from_str::<VideoJob>(json)
            .unwrap()
            .into_job(|i| format!("https://openrouter.ai/api/v1/videos/abc123/content?index={i}"))
    }

    /// The documented examples: the create answer, a completed job and a failed one.
    #[test]
    fn decodes_the_documented_jobs() {
        let created = job(
            r#"{"id":"abc123","polling_url":"https://openrouter.ai/api/v1/videos/abc123","status":"pending"}"#,
        );
        assert_eq!(created.id, "abc123");
        assert_eq!(created.lifecycle, Lifecycle::Queued);
        let done = job(
            r#"{"id":"abc123","generation_id":"gen-1234567890-abcdef","polling_url":"https://openrouter.ai/api/v1/videos/abc123","status":"completed","unsigned_urls":["https://openrouter.ai/api/v1/videos/abc123/content?index=0"],"usage":{"cost":0.25,"is_byok":false}}"#,
        );
        assert_eq!(
            done.lifecycle,
            Lifecycle::Succeeded {
                outputs: vec![Output {
                    url: "https://openrouter.ai/api/v1/videos/abc123/content?index=0".into()
                }],
                expires_at: None,
            }
        );
        let failed = job(
            r#"{"id":"abc123","polling_url":"https://openrouter.ai/api/v1/videos/abc123","status":"failed","error":"Content policy violation"}"#,
        );
        assert_eq!(
            failed.lifecycle,
            Lifecycle::Failed {
                class: FailureClass::Moderation,
                message: "Content policy violation".into()
            }
        );
    }

    #[test]
    fn every_status_has_its_place() {
        let with = |status: &str| job(&format!(r#"{{"id":"a","status":"{status}"}}"#)).lifecycle;
        assert_eq!(with("in_progress"), Lifecycle::Running { progress: None });
        assert_eq!(with("cancelled"), Lifecycle::Cancelled);
        assert_eq!(with("expired"), Lifecycle::Expired);
        assert_eq!(with("rendering"), Lifecycle::Running { progress: None });
        // Completed without URLs: the content endpoint.
        assert_eq!(
            with("completed"),
            Lifecycle::Succeeded {
                outputs: vec![Output {
                    url: "https://openrouter.ai/api/v1/videos/abc123/content?index=0".into()
                }],
                expires_at: None
            }
        );
        let failed = job(r#"{"id":"a","status":"failed","error":"upstream timed out"}"#);
        assert!(matches!(
            failed.lifecycle,
            Lifecycle::Failed {
                class: FailureClass::Provider,
                ..
            }
        ));
    }

    #[test]
    fn a_rate_limit_reset_reads_as_a_wait() {
        use reqwest::header::{HeaderMap, HeaderValue};
        let wait = |value: String| {
            let mut h = HeaderMap::new();
            h.insert("x-ratelimit-reset", HeaderValue::from_str(&value).unwrap());
            rate_limit_reset(&h).unwrap()
        };
        let now_ms = chrono::Utc::now().timestamp_millis();
        let in_ms = wait((now_ms + 5_000).to_string());
        assert!(
            in_ms > Duration::from_secs(3) && in_ms <= Duration::from_secs(5),
            "{in_ms:?}"
        );
        let in_secs = wait((now_ms / 1000 + 10).to_string());
        assert!(
            in_secs > Duration::from_secs(8) && in_secs <= Duration::from_secs(10),
            "{in_secs:?}"
        );
        assert_eq!(wait("7".into()), Duration::from_secs(7));
        assert_eq!(wait((now_ms - 1_000).to_string()), Duration::ZERO, "past");
        assert_eq!(wait("1e15".into()), Duration::from_secs(60), "capped");
        assert_eq!(rate_limit_reset(&HeaderMap::new()), None);
    }

    #[test]
    fn errors_read_their_envelope() {
        let text = error_text(
            br#"{"error":{"code":429,"message":"Rate limit exceeded","metadata":{"error_type":"rate_limit_exceeded"}}}"#,
        );
        assert_eq!(text.message.as_deref(), Some("Rate limit exceeded"));
        assert_eq!(text.code.as_deref(), Some("rate_limit_exceeded"));
        assert_eq!(
            error_text(br#"{"error":{"code":402,"message":"Insufficient credits"}}"#)
                .message
                .as_deref(),
            Some("Insufficient credits")
        );
        assert_eq!(error_text(b"<html>"), ErrorText::default());
    }
}
