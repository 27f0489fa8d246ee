//! The OpenAI Videos API's wire types, private to the adapter, and how they translate into the
//! shared [`Lifecycle`]. The contract and its sources: `docs/providers/openai.md`.

use serde::Deserialize;

use crate::provider::http::{Dialect, ErrorText};
use crate::provider::{FailureClass, Lifecycle, Output, ProviderJob};

/// The Video object (unknown fields are ignored).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(super) struct Video {
    pub id: String,
    /// `queued`, `in_progress`, `completed`, `failed`, or a word a gateway uses (see
    /// [`status_word`]).
    pub status: String,
    #[serde(default)]
    pub progress: Option<f64>,
    #[serde(default)]
    pub error: Option<VideoError>,
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub prompt: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(super) struct VideoError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// A page of `GET /videos`.
#[derive(Deserialize)]
pub(super) struct VideoList {
    pub data: Vec<Video>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub last_id: Option<String>,
}

/// How the API's answers read: errors are `{"error": {"message", "type", "param", "code"}}`, and a
/// 429 `insufficient_quota` is the account's quota.
pub(super) const DIALECT: Dialect = Dialect {
    error_text,
    quota_codes: &["insufficient_quota"],
    wait_header: None,
};

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

fn error_text(body: &[u8]) -> ErrorText {
    match serde_json::from_slice::<ErrorEnvelope>(body) {
        Ok(ErrorEnvelope { error }) => ErrorText {
            message: error.message,
            code: error.code.or(error.kind),
            retry_after: None,
        },
        Err(_) => ErrorText::default(),
    }
}

impl Video {
    /// The shared view; `content_url` is where a finished video is downloaded.
    pub fn into_job(self, content_url: String) -> ProviderJob {
        let progress = self
            .progress
            .filter(|p| p.is_finite())
            .map(|p| p.clamp(0.0, 100.0) as u8);
        let lifecycle = match status_word(&self.status) {
            Word::Waiting => Lifecycle::Queued,
            Word::Running => Lifecycle::Running { progress },
            Word::Done => Lifecycle::Succeeded {
                outputs: vec![Output { url: content_url }],
                expires_at: self.expires_at,
            },
            Word::Failed => {
                let (class, message) = self.failure();
                Lifecycle::Failed { class, message }
            }
            Word::Cancelled => Lifecycle::Cancelled,
            Word::Expired => Lifecycle::Expired,
        };
        ProviderJob {
            id: self.id,
            lifecycle,
        }
    }

    /// The failure's class and message. Video error codes are undocumented; codes that name
    /// moderation or a policy are taken as moderation, anything else as the provider's own.
    fn failure(&self) -> (FailureClass, String) {
        let code = self.error.as_ref().and_then(|e| e.code.as_deref());
        let class = match code {
            Some(c)
                if ["moderation", "policy", "safety"]
                    .iter()
                    .any(|w| c.contains(w)) =>
            {
                FailureClass::Moderation
            }
            _ => FailureClass::Provider,
        };
        let message = self
            .error
            .as_ref()
            .and_then(|e| e.message.clone().or_else(|| e.code.clone()))
            .unwrap_or_else(|| format!("provider reported status {:?}", self.status));
        (class, message)
    }
}

/// The kinds of status word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Word {
    Waiting,
    Running,
    Done,
    Failed,
    Cancelled,
    Expired,
}

/// What a status word means. The contract says `queued`, `in_progress`, `completed`, `failed`;
/// OpenAI-compatible gateways in front of other models say `processing`, `running`, `pending`,
/// `succeeded`, `error` and more. An unknown word is logged once and counts as running, so a job
/// never waits silently for a word we lack.
fn status_word(word: &str) -> Word {
    match word {
        "queued" | "pending" | "submitted" | "waiting" | "starting" | "in_queue" | "IN_QUEUE" => {
            Word::Waiting
        }
        "in_progress" | "processing" | "running" | "generating" | "IN_PROGRESS" => Word::Running,
        "completed" | "succeeded" | "success" | "done" | "COMPLETED" => Word::Done,
        "failed" | "error" | "FAILED" => Word::Failed,
        // Words the contract does not list but providers use for a video that will never be
        // delivered (batch output shows `expired`).
        "cancelled" | "canceled" => Word::Cancelled,
        "expired" => Word::Expired,
        other => {
            log_unknown_status_once(other);
            Word::Running
        }
    }
}

fn log_unknown_status_once(word: &str) {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Mutex::default);
    if seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(word.to_owned())
    {
        tracing::warn!("the provider reported the status {word:?}, which sora-relay does not know; treating it as running");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifecycle(json: &str) -> Lifecycle {
        let video: Video = serde_json::from_str(json).unwrap();
        video.into_job("https://content".into()).lifecycle
    }

    /// The documented example objects (queued, completed) and a failed one.
    #[test]
    fn decodes_the_documented_video_objects() {
        assert_eq!(
            lifecycle(
                r#"{"id":"video_691608967fe8819399e710799dae2ae708872b008b63ff61","object":"video","created_at":1763051670,"status":"queued","completed_at":null,"error":null,"expires_at":null,"model":"sora-2","progress":0,"prompt":"aurora","remixed_from_video_id":null,"seconds":"4","size":"1280x720"}"#
            ),
            Lifecycle::Queued
        );
        assert_eq!(
            lifecycle(
                r#"{"id":"video_691611812ca88190bfb123716dcc953a089a232f54b02b21","object":"video","created_at":1763053953,"status":"completed","completed_at":1763054021,"error":null,"expires_at":1763057621,"model":"sora-2","progress":100,"prompt":"aurora","remixed_from_video_id":null,"seconds":"4","size":"1280x720","new_field":{"x":1}}"#
            ),
            Lifecycle::Succeeded {
                outputs: vec![Output {
                    url: "https://content".into()
                }],
                expires_at: Some(1763057621)
            }
        );
        assert_eq!(
            lifecycle(r#"{"id":"v","status":"in_progress","progress":42}"#),
            Lifecycle::Running { progress: Some(42) }
        );
        assert_eq!(
            lifecycle(r#"{"id":"v","status":"in_progress","progress":140.5}"#),
            Lifecycle::Running {
                progress: Some(100)
            }
        );
        assert_eq!(
            lifecycle(
                r#"{"id":"v","status":"failed","error":{"code":"moderation_blocked","message":"blocked"}}"#
            ),
            Lifecycle::Failed {
                class: FailureClass::Moderation,
                message: "blocked".into()
            }
        );
        assert_eq!(
            lifecycle(r#"{"id":"v","status":"failed"}"#),
            Lifecycle::Failed {
                class: FailureClass::Provider,
                message: "provider reported status \"failed\"".into()
            }
        );
    }

    /// #15.8b: gateways say `processing` (and may start there); every status word a provider may
    /// use maps to a lifecycle stage, and an unknown one counts as running.
    #[test]
    fn gateway_status_words_are_understood() {
        for (word, want) in [
            ("pending", Word::Waiting),
            ("IN_QUEUE", Word::Waiting),
            ("processing", Word::Running),
            ("generating", Word::Running),
            ("succeeded", Word::Done),
            ("COMPLETED", Word::Done),
            ("error", Word::Failed),
            ("canceled", Word::Cancelled),
            ("expired", Word::Expired),
            ("dreaming-of-sheep", Word::Running),
        ] {
            assert_eq!(status_word(word), want, "{word}");
        }
    }
}
