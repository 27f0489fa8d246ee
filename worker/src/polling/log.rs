//! The log lines of a job's transition: the status and progress it moved between, and a line of
//! its own for each final status.

use relay_shared::job::JobStatus;
use tracing::info;

use super::claimed::ClaimedJob;
use super::transition::JobState;

pub(super) fn transition(job: &ClaimedJob, next: &JobState, error: Option<&str>) {
    let video = next
        .provider_job
        .as_ref()
        .map_or_else(|| "-".to_owned(), |v| v.encode());
    if (job.state.status, job.state.progress) == (next.status, next.progress) {
        return; // only the provider id is new: "Submitted to provider" said it
    }
    info!(
        job = %job.job,
        "   Status: {} → {} (Progress: {}% → {}%) [{video}]",
        job.state.status, next.status, job.state.progress, next.progress
    );
    match next.status {
        JobStatus::Completed => info!(job = %job.job, "✅ Video job completed: {video}"),
        JobStatus::Failed => {
            info!(job = %job.job, "❌ Video job failed: {video} - {}", error.unwrap_or("unknown error"))
        }
        JobStatus::Timeout => info!(job = %job.job, "⏱️ Video job timed out: {video}"),
        _ => {}
    }
}
