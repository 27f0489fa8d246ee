//! Replicate's wire types, private to the adapter, and how they translate into the shared
//! [`Lifecycle`]. The contract and its sources: `docs/providers/replicate.md`.

use std::time::Duration;

use chrono::DateTime;
use serde::Deserialize;
use serde_json::Value;

use crate::provider::http::{Dialect, ErrorText};
use crate::provider::{FailureClass, Lifecycle, Output, ProviderJob};

/// How long Replicate keeps an API prediction's outputs after it completes.
const OUTPUT_LIFETIME_SECS: i64 = 3600;

/// A prediction (unknown fields are ignored).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(super) struct Prediction {
    pub id: String,
    /// `starting`, `processing`, `succeeded`, `failed`, `canceled`, `aborted`.
    pub status: String,
    #[serde(default)]
    pub input: Option<Value>,
    #[serde(default)]
    pub output: Option<Value>,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default)]
    pub logs: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub completed_at: Option<String>,
    /// The outputs were deleted (an hour after completion for API predictions).
    #[serde(default)]
    pub data_removed: bool,
}

/// A page of `GET /predictions`, newest first.
#[derive(Deserialize)]
pub(super) struct PredictionList {
    pub results: Vec<Prediction>,
    /// The next page's URL (with its cursor), if any.
    #[serde(default)]
    pub next: Option<String>,
}

/// How Replicate's answers read: errors are RFC 7807 problems (`{"type", "title", "status",
/// "detail"}`); a 429 may say its wait only in its detail ("Expected available in 4 seconds").
pub(super) const DIALECT: Dialect = Dialect {
    error_text,
    quota_codes: &[],
    wait_header: None,
};

#[derive(Deserialize)]
struct Problem {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

fn error_text(body: &[u8]) -> ErrorText {
    let Ok(problem) = serde_json::from_slice::<Problem>(body) else {
        return ErrorText::default();
    };
    let retry_after = problem.detail.as_deref().and_then(wait_in_detail);
    ErrorText {
        message: problem.detail.or(problem.title),
        code: None,
        retry_after,
    }
}

/// The wait in "… Expected available in 4 seconds." (capped at a minute, as header waits are).
fn wait_in_detail(detail: &str) -> Option<Duration> {
    let rest = detail.split("available in ").nth(1)?;
    let secs: f64 = rest.split_whitespace().next()?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(60.0)))
}

impl Prediction {
    pub fn into_job(self) -> ProviderJob {
        let lifecycle = match self.status.as_str() {
            "starting" => Lifecycle::Queued,
            "processing" => Lifecycle::Running {
                progress: self.logs.as_deref().and_then(progress_in_logs),
            },
            "succeeded" if self.data_removed => Lifecycle::Expired,
            "succeeded" => Lifecycle::Succeeded {
                outputs: self.outputs(),
                expires_at: self
                    .completed_at
                    .as_deref()
                    .and_then(unix_secs)
                    .map(|t| t + OUTPUT_LIFETIME_SECS),
            },
            "failed" => {
                let message = self.error_message();
                Lifecycle::Failed {
                    class: failure_class(&message),
                    message,
                }
            }
            "aborted" => Lifecycle::Failed {
                class: FailureClass::Provider,
                message: "the prediction was aborted before it ran".into(),
            },
            "canceled" => Lifecycle::Cancelled,
            // Replicate documents no other status; one it adds is taken as running.
            _ => Lifecycle::Running { progress: None },
        };
        ProviderJob {
            id: self.id,
            lifecycle,
        }
    }

    /// The prompt this prediction was made from, if its input has one.
    pub fn prompt(&self) -> Option<&str> {
        self.input.as_ref()?.get("prompt")?.as_str()
    }

    pub fn created_secs(&self) -> Option<i64> {
        self.created_at.as_deref().and_then(unix_secs)
    }

    /// Every output URL: the output is a URL, a list of them, or an object holding them.
    fn outputs(&self) -> Vec<Output> {
        fn urls(value: &Value, into: &mut Vec<Output>) {
            match value {
                Value::String(s) if s.starts_with("http") => into.push(Output { url: s.clone() }),
                Value::Array(items) => items.iter().for_each(|v| urls(v, into)),
                Value::Object(fields) => fields.values().for_each(|v| urls(v, into)),
                _ => {}
            }
        }
        let mut outputs = Vec::new();
        if let Some(output) = &self.output {
            urls(output, &mut outputs);
        }
        outputs
    }

    fn error_message(&self) -> String {
        match &self.error {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Null) | None => "the prediction failed".into(),
            Some(other) => other.to_string(),
        }
    }
}

/// The last percentage a progress bar printed in the logs (`" 42%|████      | 21/50"`), as the
/// official client reads it.
fn progress_in_logs(logs: &str) -> Option<u8> {
    logs.lines().rev().find_map(|line| {
        let (before, _) = line.split_once("%|")?;
        let digits = before.trim_start();
        let value: u32 = digits.parse().ok()?;
        Some(value.min(100) as u8)
    })
}

/// Replicate's failure messages name no code: a refusal for safety is told by its words.
fn failure_class(message: &str) -> FailureClass {
    let lower = message.to_ascii_lowercase();
    let moderation = ["nsfw", "sensitive", "safety", "flagged", "content policy"];
    if moderation.iter().any(|w| lower.contains(w)) {
        FailureClass::Moderation
    } else {
        FailureClass::Provider
    }
}

fn unix_secs(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(json: &str) -> ProviderJob {
        serde_json::from_str::<Prediction>(json).unwrap().into_job()
    }

    /// The documented examples: a prediction in progress and the same one succeeded.
    #[test]
    fn decodes_the_documented_predictions() {
        let running = job(
            r#"{"id":"gm3qorzdhgbfurvjtvhg6dckhu","model":"minimax/video-01","version":"hidden","input":{"prompt":"a red fox"},"logs":" 42%|████ | 21/50","output":null,"error":null,"status":"processing","created_at":"2026-10-01T10:00:00.000Z","urls":{"get":"https://api.replicate.com/v1/predictions/gm3qorzdhgbfurvjtvhg6dckhu","cancel":"https://api.replicate.com/v1/predictions/gm3qorzdhgbfurvjtvhg6dckhu/cancel"}}"#,
        );
        assert_eq!(running.id, "gm3qorzdhgbfurvjtvhg6dckhu");
        assert_eq!(running.lifecycle, Lifecycle::Running { progress: Some(42) });
        let done = job(
            r#"{"id":"gm3qorzdhgbfurvjtvhg6dckhu","model":"minimax/video-01","version":"hidden","input":{"prompt":"a red fox"},"logs":"100%|██████████| 50/50","output":"https://replicate.delivery/xezq/output.mp4","error":null,"status":"succeeded","created_at":"2026-10-01T10:00:00.000Z","completed_at":"2026-10-01T10:01:37.100Z","metrics":{"predict_time":97.1}}"#,
        );
        assert_eq!(
            done.lifecycle,
            Lifecycle::Succeeded {
                outputs: vec![Output {
                    url: "https://replicate.delivery/xezq/output.mp4".into()
                }],
                expires_at: Some(1_790_848_897 + OUTPUT_LIFETIME_SECS),
            }
        );
    }

    #[test]
    fn every_status_has_its_stage() {
        let with = |status: &str, extra: &str| {
            job(&format!(r#"{{"id":"p","status":"{status}"{extra}}}"#)).lifecycle
        };
        assert_eq!(with("starting", ""), Lifecycle::Queued);
        assert_eq!(
            with("processing", r#","logs":"loading weights""#),
            Lifecycle::Running { progress: None }
        );
        assert_eq!(with("canceled", ""), Lifecycle::Cancelled);
        assert_eq!(
            with(
                "succeeded",
                r#","output":["https://a/1.mp4"],"data_removed":true"#
            ),
            Lifecycle::Expired
        );
        assert!(matches!(
            with("aborted", ""),
            Lifecycle::Failed {
                class: FailureClass::Provider,
                ..
            }
        ));
        assert_eq!(
            with(
                "failed",
                r#","error":"NSFW content detected. Try another prompt.""#
            ),
            Lifecycle::Failed {
                class: FailureClass::Moderation,
                message: "NSFW content detected. Try another prompt.".into()
            }
        );
        assert_eq!(
            with("failed", r#","error":"CUDA out of memory""#),
            Lifecycle::Failed {
                class: FailureClass::Provider,
                message: "CUDA out of memory".into()
            }
        );
    }

    #[test]
    fn outputs_are_found_in_lists_and_objects() {
        let done = |output: &str| match job(&format!(
            r#"{{"id":"p","status":"succeeded","output":{output}}}"#
        ))
        .lifecycle
        {
            Lifecycle::Succeeded { outputs, .. } => {
                outputs.into_iter().map(|o| o.url).collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            done(r#"["https://a/1.mp4","https://a/2.mp4"]"#),
            ["https://a/1.mp4", "https://a/2.mp4"]
        );
        assert_eq!(
            done(r#"{"video":"https://a/v.mp4","seed":7}"#),
            ["https://a/v.mp4"]
        );
    }

    #[test]
    fn a_throttled_answer_says_its_wait_in_its_detail() {
        let text = error_text(br#"{"type":"about:blank","title":"Request was throttled.","status":429,"detail":"Request was throttled. Expected available in 4 seconds."}"#);
        assert_eq!(text.retry_after, Some(Duration::from_secs(4)));
        assert_eq!(
            text.message.as_deref(),
            Some("Request was throttled. Expected available in 4 seconds.")
        );
        assert_eq!(error_text(b"<html>").message, None);
    }
}
