//! One line of a job's delivery attempt log (`GET /api/videos/{jobId}/deliveries`): written by
//! the worker after every attempt, read back by the API. Stored as JSON in the job's `log` list;
//! the keys are the API's.

use serde::{Deserialize, Serialize};

/// One attempt at delivering one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptEntry {
    /// The event's sequence number.
    pub sequence: u64,
    /// When the attempt ended (ISO-8601).
    pub at: String,
    /// Where it went (empty when there was nowhere; hidden from a tenant when it is the
    /// operator's).
    pub url: Option<String>,
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    /// The start of the receiver's answer (hidden from a tenant when it is the operator's).
    pub response: Option<String>,
    pub outcome: AttemptOutcome,
    /// Whose endpoint it was; absent in entries written before entries said so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<Whose>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AttemptOutcome {
    Delivered,
    /// Failed; tried again later.
    Retry,
    /// Given up: a dead letter.
    Dead,
}

/// Whose endpoint an attempt went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Whose {
    /// The deployment's `WEBHOOK_URL`: its URL and answers are not a tenant's to see.
    Operator,
    /// The job's own webhook URL.
    Own,
    /// No endpoint was configured.
    None,
}

impl AttemptEntry {
    /// What went wrong, in a few words: the error, else the status the receiver answered.
    pub fn failure(&self) -> String {
        match (&self.error, self.status_code) {
            (Some(error), _) => error.clone(),
            (None, Some(status)) => format!("answered {status}"),
            (None, None) => String::new(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an attempt entry serializes")
    }

    /// `None` for a line that is not an entry.
    pub fn parse(line: &str) -> Option<Self> {
        serde_json::from_str(line).ok()
    }

    /// Whether the attempt went to the operator's endpoint (entries written before they said so
    /// are matched by the operator's URL).
    pub fn at_operator(&self, operator_url: Option<&str>) -> bool {
        match self.destination {
            Some(whose) => whose == Whose::Operator,
            None => operator_url.is_some_and(|url| self.url.as_deref() == Some(url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entries_as_earlier_workers_wrote_them() {
        let old = r#"{"sequence":2,"at":"2026-12-01T10:00:00.000Z","url":"https://hooks.example/x","statusCode":500,"durationMs":31,"error":"HTTP 500","response":"oops","outcome":"retry"}"#;
        let entry = AttemptEntry::parse(old).unwrap();
        assert_eq!(
            (entry.sequence, entry.outcome, entry.destination),
            (2, AttemptOutcome::Retry, None)
        );
        assert!(entry.at_operator(Some("https://hooks.example/x")));
        assert!(!entry.at_operator(Some("https://elsewhere.example")));
        let new = AttemptEntry {
            destination: Some(Whose::Own),
            ..entry
        };
        let line = new.to_json();
        assert!(
            line.ends_with(r#""outcome":"retry","destination":"own"}"#),
            "{line}"
        );
        assert_eq!(AttemptEntry::parse(&line), Some(new));
        assert_eq!(AttemptEntry::parse("not json"), None);
    }
}
