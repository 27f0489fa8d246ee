//! The job counters by status (`GET /api/sora/stats`), as the scripts keep them per partition.

use serde::{Deserialize, Serialize};

use super::JobStatus;

/// Counts of jobs by status, summed over partitions. Read back (by tests and tools) strictly: a key
/// it does not know is an error.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    pub total_jobs: i64,
    pub queued_jobs: i64,
    pub processing_jobs: i64,
    pub completed_jobs: i64,
    pub failed_jobs: i64,
    pub timeout_jobs: i64,
    /// Webhook events given up after every retry.
    pub webhook_dead_letters: i64,
    /// Jobs whose submission's outcome nobody can tell now (see the status view's `submission`).
    pub submissions_unknown: i64,
    /// Jobs cancelled on request. Added at the end of the body.
    #[serde(default)]
    pub cancelled_jobs: i64,
}

impl Stats {
    /// The count of jobs in `status`.
    pub fn jobs(&self, status: JobStatus) -> i64 {
        match status {
            JobStatus::Queued => self.queued_jobs,
            JobStatus::Processing => self.processing_jobs,
            JobStatus::Completed => self.completed_jobs,
            JobStatus::Failed => self.failed_jobs,
            JobStatus::Timeout => self.timeout_jobs,
            JobStatus::Cancelled => self.cancelled_jobs,
        }
    }

    pub fn add(&mut self, counter: &str, n: i64) {
        match counter {
            "total" => self.total_jobs += n,
            "queued" => self.queued_jobs += n,
            "processing" => self.processing_jobs += n,
            "completed" => self.completed_jobs += n,
            "failed" => self.failed_jobs += n,
            "timeout" => self.timeout_jobs += n,
            "cancelled" => self.cancelled_jobs += n,
            "dead_letters" => self.webhook_dead_letters += n,
            "submissions_unknown" => self.submissions_unknown += n,
            _ => {}
        }
    }
}
