//! fal's queue wire types, private to the adapter, and how they translate into the shared
//! [`Lifecycle`]. The contract and its sources: `docs/providers/fal.md`.

use serde::Deserialize;
use serde_json::Value;

use crate::provider::http::{Dialect, ErrorText};
use crate::provider::{FailureClass, Lifecycle, Output};

/// The answer to a submission (`POST /{app}`).
#[derive(Clone, Debug, Deserialize)]
pub(super) struct Submitted {
    pub request_id: String,
    #[serde(default)]
    pub status_url: Option<String>,
}

/// A request's status (`GET …/requests/{id}/status`): HTTP 202 while waiting or running, 200 once
/// `COMPLETED` — which a failed request is too, with `error` and `error_type`.
#[derive(Clone, Debug, Deserialize)]
pub(super) struct Status {
    /// `IN_QUEUE`, `IN_PROGRESS`, `COMPLETED`.
    pub status: String,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default)]
    pub error_type: Option<String>,
}

/// How fal's answers read: `{"detail": <text or a list of {loc, msg, type}>, "error_type"}`.
pub(super) const DIALECT: Dialect = Dialect {
    error_text,
    quota_codes: &[],
    wait_header: None,
};

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    detail: Option<Value>,
    #[serde(default)]
    error_type: Option<String>,
}

fn error_text(body: &[u8]) -> ErrorText {
    let Ok(error) = serde_json::from_slice::<ErrorBody>(body) else {
        return ErrorText::default();
    };
    ErrorText {
        message: error.detail.as_ref().map(detail_text),
        code: error.error_type,
        retry_after: None,
    }
}

/// A `detail` as one line: the text, or each validation error's `msg` (with where it applies).
pub(super) fn detail_text(detail: &Value) -> String {
    match detail {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                let msg = item.get("msg").and_then(Value::as_str).unwrap_or("invalid");
                match item.get("loc").and_then(Value::as_array) {
                    Some(loc) => {
                        let path: Vec<String> = loc
                            .iter()
                            .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                            .collect();
                        format!("{}: {msg}", path.join("."))
                    }
                    None => msg.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

impl Status {
    /// Where the request is; `None` once it is `COMPLETED` without an error: its result says.
    pub fn lifecycle(&self) -> Option<Lifecycle> {
        match self.status.as_str() {
            "IN_QUEUE" => Some(Lifecycle::Queued),
            "COMPLETED" => self.failure(),
            // `IN_PROGRESS`, and any status fal adds.
            _ => Some(Lifecycle::Running { progress: None }),
        }
    }

    fn failure(&self) -> Option<Lifecycle> {
        let message = match self.error.as_ref()? {
            Value::Null => return None,
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Some(Lifecycle::Failed {
            class: failure_class(self.error_type.as_deref(), &message),
            message,
        })
    }
}

/// fal's `error_type` names a refusal for safety (`content_policy_violation`); a request fal
/// could not validate is the input's fault; anything else is the model's.
pub(super) fn failure_class(error_type: Option<&str>, message: &str) -> FailureClass {
    let lower = message.to_ascii_lowercase();
    match error_type {
        Some(t) if t.contains("content_policy") => FailureClass::Moderation,
        _ if lower.contains("content policy") || lower.contains("nsfw") => FailureClass::Moderation,
        Some(t) if t.contains("validation") || t.starts_with("invalid") => {
            FailureClass::InvalidInput
        }
        _ => FailureClass::Provider,
    }
}

/// Every video URL in a result: `video.url` for most video models, or any `url` found in it.
pub(super) fn outputs(result: &Value) -> Vec<Output> {
    fn urls(value: &Value, into: &mut Vec<Output>) {
        match value {
            Value::Object(fields) => {
                if let Some(Value::String(url)) = fields.get("url") {
                    if url.starts_with("http") {
                        into.push(Output { url: url.clone() });
                        return;
                    }
                }
                fields.values().for_each(|v| urls(v, into));
            }
            Value::Array(items) => items.iter().for_each(|v| urls(v, into)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    match result.get("video") {
        Some(video) => urls(video, &mut found),
        None => urls(result, &mut found),
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The documented examples: a status in progress, and completed.
    #[test]
    fn decodes_the_documented_statuses() {
        let running: Status = serde_json::from_str(r#"{"status":"IN_PROGRESS","request_id":"80e7","response_url":"https://queue.fal.run/fal-ai/kling-video/requests/80e7","logs":[]}"#).unwrap();
        assert_eq!(
            running.lifecycle(),
            Some(Lifecycle::Running { progress: None })
        );
        let queued: Status =
            serde_json::from_str(r#"{"status":"IN_QUEUE","queue_position":3}"#).unwrap();
        assert_eq!(queued.lifecycle(), Some(Lifecycle::Queued));
        let done: Status = serde_json::from_str(
            r#"{"status":"COMPLETED","request_id":"80e7","metrics":{"inference_time":84.3}}"#,
        )
        .unwrap();
        assert_eq!(done.lifecycle(), None, "the result says the rest");
        let failed: Status = serde_json::from_str(r#"{"status":"COMPLETED","error":"Prompt flagged","error_type":"content_policy_violation"}"#).unwrap();
        assert_eq!(
            failed.lifecycle(),
            Some(Lifecycle::Failed {
                class: FailureClass::Moderation,
                message: "Prompt flagged".into()
            })
        );
    }

    #[test]
    fn results_give_their_video_urls() {
        let result = json!({"video": {"url": "https://v3.fal.media/files/fox.mp4", "content_type": "video/mp4"}, "seed": 7});
        assert_eq!(
            outputs(&result),
            [Output {
                url: "https://v3.fal.media/files/fox.mp4".into()
            }]
        );
        let many = json!({"videos": [{"url": "https://a/1.mp4"}, {"url": "https://a/2.mp4"}]});
        assert_eq!(outputs(&many).len(), 2);
        assert!(outputs(&json!({"seed": 1})).is_empty());
    }

    #[test]
    fn errors_read_their_detail() {
        let text = error_text(br#"{"detail":[{"loc":["body","duration"],"msg":"unexpected value; permitted: '5', '10'","type":"value_error"}]}"#);
        assert_eq!(
            text.message.as_deref(),
            Some("body.duration: unexpected value; permitted: '5', '10'")
        );
        let text =
            error_text(br#"{"detail":"Not enough credits","error_type":"insufficient_balance"}"#);
        assert_eq!(text.message.as_deref(), Some("Not enough credits"));
        assert_eq!(text.code.as_deref(), Some("insufficient_balance"));
    }
}
