//! Luma's generation and error shapes, private to the adapter, and how they translate into the
//! shared [`Lifecycle`]. The contract and its sources: `docs/providers/luma.md`.

use serde::Deserialize;
use serde_json::Value;

use crate::provider::http::{Dialect, ErrorText};
use crate::provider::{FailureClass, Lifecycle, Output, ProviderJob};

/// A generation (unknown fields are ignored).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(super) struct Generation {
    pub id: String,
    /// `queued`, `dreaming`, `completed`, `failed`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub failure_reason: Option<String>,
    #[serde(default)]
    pub assets: Option<Assets>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub(super) struct Assets {
    #[serde(default)]
    pub video: Option<String>,
}

impl Generation {
    pub fn into_job(self) -> ProviderJob {
        let lifecycle = match self.state.as_str() {
            "queued" => Lifecycle::Queued,
            "completed" => match self.assets.and_then(|a| a.video) {
                // How long Luma keeps a video is not documented: no expiry is assumed.
                Some(url) => Lifecycle::Succeeded {
                    outputs: vec![Output { url }],
                    expires_at: None,
                },
                None => Lifecycle::Failed {
                    class: FailureClass::Provider,
                    message: "the generation completed without a video".into(),
                },
            },
            "failed" => {
                let message = self
                    .failure_reason
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| "the generation failed".into());
                Lifecycle::Failed {
                    class: failure_class(&message),
                    message,
                }
            }
            // `dreaming`, and any state Luma adds: running.
            _ => Lifecycle::Running { progress: None },
        };
        ProviderJob {
            id: self.id,
            lifecycle,
        }
    }
}

/// *Our choice*, Luma giving a reason in words only: one that speaks of moderation, safety or a
/// policy is class `moderation`, any other `provider`.
fn failure_class(reason: &str) -> FailureClass {
    let lower = reason.to_ascii_lowercase();
    if ["moderation", "safety", "policy", "not allowed"]
        .iter()
        .any(|w| lower.contains(w))
    {
        FailureClass::Moderation
    } else {
        FailureClass::Provider
    }
}

/// How Luma's errors read: `{"detail": "…"}` (FastAPI's shape; a validation error's `detail` is a
/// list of `{msg}`). Out of credits is a 402 (the quota).
pub(super) const DIALECT: Dialect = Dialect {
    error_text,
    quota_codes: &[],
    wait_header: None,
};

fn error_text(body: &[u8]) -> ErrorText {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return ErrorText::default();
    };
    let message = match &value["detail"] {
        Value::String(text) => Some(text.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|item| item["msg"].as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => None,
    };
    ErrorText {
        message,
        code: None,
        retry_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generation(json: &str) -> ProviderJob {
        serde_json::from_str::<Generation>(json).unwrap().into_job()
    }

    /// The documented examples (docs/providers/luma.md).
    #[test]
    fn documented_generations_read_as_lifecycles() {
        let dreaming = generation(
            r#"{"id":"d196","generation_type":"video","state":"dreaming","failure_reason":null,"created_at":"2026-10-01T10:00:00.000Z","model":"ray-2","assets":{"video":null}}"#,
        );
        assert_eq!(dreaming.lifecycle, Lifecycle::Running { progress: None });
        let done = generation(
            r#"{"id":"d196","generation_type":"video","state":"completed","failure_reason":null,"model":"ray-2","assets":{"video":"https://storage.cdn-luma.com/d196/video.mp4"}}"#,
        );
        assert_eq!(
            done.lifecycle,
            Lifecycle::Succeeded {
                outputs: vec![Output {
                    url: "https://storage.cdn-luma.com/d196/video.mp4".into()
                }],
                expires_at: None,
            }
        );
        assert_eq!(
            generation(r#"{"id":"q","state":"queued"}"#).lifecycle,
            Lifecycle::Queued
        );
    }

    #[test]
    fn failures_and_errors_read_in_lumas_words() {
        let refused = generation(
            r#"{"id":"f","state":"failed","failure_reason":"Prompt failed moderation"}"#,
        );
        assert!(matches!(
            refused.lifecycle,
            Lifecycle::Failed {
                class: FailureClass::Moderation,
                ..
            }
        ));
        let broke = generation(r#"{"id":"f","state":"failed","failure_reason":"Internal error"}"#);
        assert!(matches!(
            broke.lifecycle,
            Lifecycle::Failed {
                class: FailureClass::Provider,
                ..
            }
        ));
        let invalid = error_text(br#"{"detail":[{"loc":["body","duration"],"msg":"duration must be 5s or 9s","type":"value_error"}]}"#);
        assert_eq!(
            invalid.message.as_deref(),
            Some("duration must be 5s or 9s")
        );
        assert_eq!(
            error_text(br#"{"detail":"Insufficient credits"}"#)
                .message
                .as_deref(),
            Some("Insufficient credits")
        );
    }
}
