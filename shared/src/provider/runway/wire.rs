//! Runway's wire types, private to the adapter, and how they translate into the shared
//! [`Lifecycle`]. The contract and its sources: `docs/providers/runway.md`.

use serde::Deserialize;
use serde_json::Value;

use crate::provider::http::{Dialect, ErrorText};
use crate::provider::{FailureClass, Lifecycle, Output, ProviderJob};

/// How long Runway keeps a task's outputs at least (24–48 h documented): the lower bound, from
/// the answer that listed them (their URLs are signed anew on every read of the task).
const OUTPUTS_KEPT_SECS: i64 = 24 * 3600;

/// The create answer.
#[derive(Debug, Deserialize)]
pub(super) struct Created {
    pub id: String,
}

impl Created {
    pub fn into_job(self) -> ProviderJob {
        ProviderJob {
            id: self.id,
            lifecycle: Lifecycle::Queued,
        }
    }
}

/// A task (unknown fields are ignored).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(super) struct Task {
    pub id: String,
    /// `PENDING`, `THROTTLED`, `RUNNING`, `SUCCEEDED`, `FAILED`, `CANCELLED`.
    pub status: String,
    /// 0–1 while `RUNNING`.
    #[serde(default)]
    pub progress: Option<f64>,
    #[serde(default)]
    pub output: Option<Vec<String>>,
    #[serde(default)]
    pub failure: Option<String>,
    /// `SAFETY.INPUT.TEXT`, `INPUT_PREPROCESSING.*`, `INTERNAL.*`, …
    #[serde(default)]
    pub failure_code: Option<String>,
}

impl Task {
    /// The task as a lifecycle, read at `now` (unix seconds).
    pub fn into_job(self, now: i64) -> ProviderJob {
        let lifecycle = match self.status.as_str() {
            // Waiting for a slot of the account's concurrency: waiting, not failing.
            "PENDING" | "THROTTLED" => Lifecycle::Queued,
            "SUCCEEDED" => {
                let outputs: Vec<Output> = self
                    .output
                    .unwrap_or_default()
                    .into_iter()
                    .map(|url| Output { url })
                    .collect();
                if outputs.is_empty() {
                    Lifecycle::Failed {
                        class: FailureClass::Provider,
                        message: "the task succeeded without an output".into(),
                    }
                } else {
                    Lifecycle::Succeeded {
                        outputs,
                        expires_at: Some(now + OUTPUTS_KEPT_SECS),
                    }
                }
            }
            "FAILED" => {
                let message = self
                    .failure
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "the task failed".into());
                let code = self.failure_code.unwrap_or_default();
                let message = if code.is_empty() {
                    message
                } else {
                    format!("{message} ({code})")
                };
                Lifecycle::Failed {
                    class: failure_class(&message),
                    message,
                }
            }
            "CANCELLED" => Lifecycle::Cancelled,
            // `RUNNING`, and any status Runway adds: running.
            _ => Lifecycle::Running {
                progress: self
                    .progress
                    .filter(|p| p.is_finite())
                    .map(|p| (p.clamp(0.0, 1.0) * 100.0).round() as u8),
            },
        };
        ProviderJob {
            id: self.id,
            lifecycle,
        }
    }
}

/// The class of a failed task, from its failure code (carried in the message): `SAFETY.*` is
/// moderation, `INPUT_PREPROCESSING.*` the input; anything else Runway's own trouble.
fn failure_class(message: &str) -> FailureClass {
    if message.contains("SAFETY.") {
        FailureClass::Moderation
    } else if message.contains("INPUT_PREPROCESSING.") {
        FailureClass::InvalidInput
    } else {
        FailureClass::Provider
    }
}

/// How Runway's errors read: `{"error": "…", "issues": [...], "docUrl"}` (400), `{"error"}`
/// elsewhere. *Our choice*: a 429 whose message speaks of the daily limit is the quota (another
/// provider can help; this one will not before tomorrow); any other 429 a rate limit.
pub(super) const DIALECT: Dialect = Dialect {
    error_text,
    quota_codes: &["daily_limit"],
    wait_header: None,
};

fn error_text(body: &[u8]) -> ErrorText {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return ErrorText::default();
    };
    let mut message = value["error"].as_str().map(str::to_owned);
    if let (Some(text), Some(issues)) = (&mut message, value["issues"].as_array()) {
        let details: Vec<String> = issues
            .iter()
            .filter_map(|issue| issue["message"].as_str().map(str::to_owned))
            .collect();
        if !details.is_empty() {
            text.push_str(&format!(": {}", details.join("; ")));
        }
    }
    let daily = message
        .as_deref()
        .is_some_and(|m| m.to_ascii_lowercase().contains("daily"));
    ErrorText {
        message,
        code: daily.then(|| "daily_limit".to_owned()),
        retry_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(json: &str) -> ProviderJob {
        serde_json::from_str::<Task>(json).unwrap().into_job(1_000)
    }

    /// The documented examples (docs/providers/runway.md).
    #[test]
    fn documented_tasks_read_as_lifecycles() {
        let running = task(
            r#"{"id":"17f2","createdAt":"2026-10-01T10:00:00.000Z","status":"RUNNING","progress":0.42}"#,
        );
        assert_eq!(running.lifecycle, Lifecycle::Running { progress: Some(42) });
        let done = task(
            r#"{"id":"17f2","createdAt":"2026-10-01T10:00:00.000Z","status":"SUCCEEDED","output":["https://dnznrvs05pmza.cloudfront.net/a.mp4?_jwt=x"]}"#,
        );
        assert_eq!(
            done.lifecycle,
            Lifecycle::Succeeded {
                outputs: vec![Output {
                    url: "https://dnznrvs05pmza.cloudfront.net/a.mp4?_jwt=x".into()
                }],
                expires_at: Some(1_000 + OUTPUTS_KEPT_SECS),
            }
        );
        let refused = task(
            r#"{"id":"17f2","createdAt":"2026-10-01T10:00:00.000Z","status":"FAILED","failure":"Prompt rejected by moderation","failureCode":"SAFETY.INPUT.TEXT"}"#,
        );
        assert_eq!(
            refused.lifecycle,
            Lifecycle::Failed {
                class: FailureClass::Moderation,
                message: "Prompt rejected by moderation (SAFETY.INPUT.TEXT)".into(),
            }
        );
    }

    #[test]
    fn throttled_is_waiting_and_other_states_read_as_documented() {
        for waiting in ["PENDING", "THROTTLED"] {
            let job = task(&format!(r#"{{"id":"t","status":"{waiting}"}}"#));
            assert_eq!(job.lifecycle, Lifecycle::Queued, "{waiting}");
        }
        assert_eq!(
            task(r#"{"id":"t","status":"CANCELLED"}"#).lifecycle,
            Lifecycle::Cancelled
        );
        assert_eq!(
            task(r#"{"id":"t","status":"RUNNING"}"#).lifecycle,
            Lifecycle::Running { progress: None }
        );
        let bad_input = task(
            r#"{"id":"t","status":"FAILED","failure":"bad image","failureCode":"INPUT_PREPROCESSING.SAFETY.TEXT"}"#,
        );
        assert!(matches!(
            bad_input.lifecycle,
            Lifecycle::Failed {
                class: FailureClass::Moderation,
                ..
            }
        ));
        let internal = task(
            r#"{"id":"t","status":"FAILED","failure":"An unexpected error occurred","failureCode":"INTERNAL.BAD_OUTPUT.CODE01"}"#,
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
    fn errors_name_their_issues_and_a_daily_cap_is_the_quota() {
        let text = error_text(br#"{"error":"Validation of body failed","issues":[{"message":"promptText is too long"}],"docUrl":"https://docs.dev.runwayml.com/errors/"}"#);
        assert_eq!(
            text.message.as_deref(),
            Some("Validation of body failed: promptText is too long")
        );
        assert_eq!(text.code, None);
        let daily = error_text(br#"{"error":"You have exceeded your daily task limit."}"#);
        assert_eq!(daily.code.as_deref(), Some("daily_limit"));
    }
}
