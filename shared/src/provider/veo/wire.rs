//! The Gemini API's operation and error shapes, private to the Veo adapter, and how they
//! translate into the shared [`Lifecycle`]. The contract and its sources: `docs/providers/veo.md`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::provider::http::{Dialect, ErrorText};
use crate::provider::{FailureClass, Lifecycle, Output, ProviderError, ProviderJob};

/// How long the Gemini API keeps a generated video (documented: two days), from the answer that
/// listed it.
const VIDEOS_KEPT_SECS: i64 = 2 * 24 * 3600;

/// A 429 asking to wait longer than this is the quota (a daily or per-project cap), not a rate.
const QUOTA_WAIT: Duration = Duration::from_secs(60);

/// A long-running operation (unknown fields are ignored).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(super) struct Operation {
    pub name: String,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub response: Option<Value>,
    #[serde(default)]
    pub error: Option<Status>,
}

/// `google.rpc.Status`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(super) struct Status {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub message: String,
}

impl Operation {
    /// The operation as a lifecycle, read at `now` (unix seconds).
    pub fn into_job(self, now: i64) -> ProviderJob {
        let lifecycle = if !self.done {
            // Veo says nothing between accepted and done: running, progress estimated.
            Lifecycle::Running { progress: None }
        } else if let Some(error) = self.error {
            let message = if error.message.is_empty() {
                format!("the operation failed (code {})", error.code)
            } else {
                error.message
            };
            Lifecycle::Failed {
                class: operation_error_class(error.code),
                message,
            }
        } else {
            finished(self.response.unwrap_or(Value::Null), now)
        };
        ProviderJob {
            id: self.name,
            lifecycle,
        }
    }
}

/// A done operation's response: its samples' URIs, or why there are none (a safety filter).
fn finished(response: Value, now: i64) -> Lifecycle {
    let videos = &response["generateVideoResponse"];
    let outputs: Vec<Output> = videos["generatedSamples"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|sample| sample["video"]["uri"].as_str())
        .map(|uri| Output {
            url: uri.to_owned(),
        })
        .collect();
    if !outputs.is_empty() {
        return Lifecycle::Succeeded {
            outputs,
            expires_at: Some(now + VIDEOS_KEPT_SECS),
        };
    }
    let filtered = videos["raiMediaFilteredCount"].as_u64().unwrap_or(0);
    if filtered > 0 {
        let reasons: Vec<&str> = videos["raiMediaFilteredReasons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let message = if reasons.is_empty() {
            "the video was blocked by the safety filters".to_owned()
        } else {
            format!(
                "the video was blocked by the safety filters: {}",
                reasons.join("; ")
            )
        };
        return Lifecycle::Failed {
            class: FailureClass::Moderation,
            message,
        };
    }
    Lifecycle::Failed {
        class: FailureClass::Provider,
        message: "the operation finished without a video".into(),
    }
}

/// A failed operation's `google.rpc.Code`: 3 INVALID_ARGUMENT and 9 FAILED_PRECONDITION are the
/// input; 8 RESOURCE_EXHAUSTED the quota; 7 PERMISSION_DENIED and 16 UNAUTHENTICATED our key;
/// anything else (13 INTERNAL, 14 UNAVAILABLE, …) the provider's trouble.
fn operation_error_class(code: i64) -> FailureClass {
    match code {
        3 | 9 => FailureClass::InvalidInput,
        8 => FailureClass::Quota,
        7 | 16 => FailureClass::Auth,
        _ => FailureClass::Provider,
    }
}

/// How the Gemini API's errors read: `{"error": {"code", "status", "message", "details"}}`, a
/// wait in a `RetryInfo` detail (`"retryDelay": "30s"`). A 429 asking for more than a minute is
/// the quota (*our choice* of the line between them).
pub(super) const DIALECT: Dialect = Dialect {
    error_text,
    quota_codes: &["quota"],
    wait_header: None,
};

fn error_text(body: &[u8]) -> ErrorText {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return ErrorText::default();
    };
    let error = &value["error"];
    let delay = error["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| {
            d["@type"]
                .as_str()
                .is_some_and(|t| t.ends_with("RetryInfo"))
        })
        .find_map(|d| d["retryDelay"].as_str())
        .and_then(parse_duration);
    let long_wait = delay.is_some_and(|d| d > QUOTA_WAIT);
    ErrorText {
        message: error["message"].as_str().map(str::to_owned),
        code: if long_wait {
            Some("quota".into())
        } else {
            error["status"].as_str().map(str::to_owned)
        },
        retry_after: delay.map(|d| d.min(QUOTA_WAIT)),
    }
}

/// The Gemini API refuses a wrong key with a 400 (`API_KEY_INVALID`), not a 401: it is our
/// credentials all the same.
pub(super) fn key_refusal(error: ProviderError) -> ProviderError {
    match error {
        ProviderError::Rejected { status, message }
            if status == 400 && message.contains("API key not valid") =>
        {
            ProviderError::Unauthorized { status, message }
        }
        other => other,
    }
}

/// A protobuf JSON duration: `"30s"`, `"1.5s"`.
fn parse_duration(text: &str) -> Option<Duration> {
    let seconds: f64 = text.strip_suffix('s')?.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation(json: &str) -> ProviderJob {
        serde_json::from_str::<Operation>(json)
            .unwrap()
            .into_job(1_000)
    }

    /// The documented examples (docs/providers/veo.md).
    #[test]
    fn documented_operations_read_as_lifecycles() {
        let started = operation(r#"{"name":"models/veo-3.1-generate-preview/operations/abc"}"#);
        assert_eq!(started.id, "models/veo-3.1-generate-preview/operations/abc");
        assert_eq!(started.lifecycle, Lifecycle::Running { progress: None });
        let done = operation(
            r#"{"name":"models/veo-3.1-generate-preview/operations/abc","done":true,"response":{"@type":"type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse","generateVideoResponse":{"generatedSamples":[{"video":{"uri":"https://generativelanguage.googleapis.com/v1beta/files/k2q9x:download?alt=media"}}]}}}"#,
        );
        assert_eq!(
            done.lifecycle,
            Lifecycle::Succeeded {
                outputs: vec![Output {
                    url: "https://generativelanguage.googleapis.com/v1beta/files/k2q9x:download?alt=media".into()
                }],
                expires_at: Some(1_000 + VIDEOS_KEPT_SECS),
            }
        );
    }

    #[test]
    fn a_safety_block_without_samples_is_moderation_and_errors_are_classed_by_code() {
        let blocked = operation(
            r#"{"name":"op","done":true,"response":{"generateVideoResponse":{"raiMediaFilteredCount":1,"raiMediaFilteredReasons":["The prompt could not be submitted: it may violate our policies."]}}}"#,
        );
        match blocked.lifecycle {
            Lifecycle::Failed { class, message } => {
                assert_eq!(class, FailureClass::Moderation);
                assert!(message.contains("violate our policies"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let empty = operation(r#"{"name":"op","done":true,"response":{}}"#);
        assert!(matches!(
            empty.lifecycle,
            Lifecycle::Failed {
                class: FailureClass::Provider,
                ..
            }
        ));
        let invalid = operation(
            r#"{"name":"op","done":true,"error":{"code":3,"message":"durationSeconds must be 4, 6 or 8"}}"#,
        );
        assert!(matches!(
            invalid.lifecycle,
            Lifecycle::Failed {
                class: FailureClass::InvalidInput,
                ..
            }
        ));
        let internal = operation(
            r#"{"name":"op","done":true,"error":{"code":13,"message":"Internal error"}}"#,
        );
        assert!(matches!(
            internal.lifecycle,
            Lifecycle::Failed {
                class: FailureClass::Provider,
                ..
            }
        ));
    }

    #[test]
    fn a_long_retry_delay_is_the_quota_and_a_short_one_a_rate() {
        let body = |delay: &str| {
            format!(
                r#"{{"error":{{"code":429,"status":"RESOURCE_EXHAUSTED","message":"Quota exceeded","details":[{{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"{delay}"}}]}}}}"#
            )
        };
        let short = error_text(body("20s").as_bytes());
        assert_eq!(short.code.as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(short.retry_after, Some(Duration::from_secs(20)));
        let long = error_text(body("3600s").as_bytes());
        assert_eq!(long.code.as_deref(), Some("quota"));
        assert_eq!(long.message.as_deref(), Some("Quota exceeded"));
    }
}
