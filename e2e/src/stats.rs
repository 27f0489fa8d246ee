//! `GET /api/sora/stats` as a client reads it: every key the wire carries, and no other (a key
//! added or renamed on the server fails the tests that read it, as it would break a strict
//! client).

use serde::Deserialize;

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    pub total_jobs: i64,
    pub queued_jobs: i64,
    pub processing_jobs: i64,
    pub completed_jobs: i64,
    pub failed_jobs: i64,
    pub timeout_jobs: i64,
    pub webhook_dead_letters: i64,
    pub submissions_unknown: i64,
}

impl Stats {
    /// Reads a stats body; panics (failing the test) on anything else.
    pub fn from_body(body: serde_json::Value) -> Self {
        serde_json::from_value(body.clone())
            .unwrap_or_else(|e| panic!("not a stats body ({e}): {body}"))
    }

    /// The count of jobs in `status` (`queued`, `processing`, `completed`, `failed`, `timeout`).
    pub fn jobs(&self, status: &str) -> i64 {
        match status {
            "queued" => self.queued_jobs,
            "processing" => self.processing_jobs,
            "completed" => self.completed_jobs,
            "failed" => self.failed_jobs,
            "timeout" => self.timeout_jobs,
            other => panic!("no such status: {other}"),
        }
    }
}
