//! OpenRouter's video wire types, private to the adapter, and how they translate into the shared
//! [`Lifecycle`]. The contract and its sources: `docs/providers/openrouter.md`.

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
};

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
