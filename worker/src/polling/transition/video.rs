//! A provider's answer about the job's video: its status and progress (the provider's, or the
//! relay's estimate), and when to poll next (predicted completion, expected run time, backoff,
//! stretched when a callback will come).

use relay_shared::job::{Estimate, JobStatus};
use relay_shared::provider::Lifecycle;

use super::super::pacing::{estimated_progress, expected_end_wait, predicted_wait};
use super::{Answer, Backoff, JobState, Next, Sample};

pub(super) fn from_video(job: &JobState, answer: Answer, backoff: Backoff, now_ms: i64) -> Next {
    let Answer {
        video,
        lifecycle,
        expected_runtime_ms,
        kept,
    } = answer;
    // A provider's own progress ends the estimate; a submission gives it its expectation.
    let estimate = match &lifecycle {
        Lifecycle::Running { progress: Some(_) } => None,
        _ => job.estimate.map(|e| Estimate {
            expected_ms: expected_runtime_ms.or(e.expected_ms),
        }),
    };
    let expected_ms = estimate.and_then(|e| e.expected_ms);
    let (status, progress) = match &lifecycle {
        Lifecycle::Queued => (JobStatus::Queued, 0),
        Lifecycle::Running { progress: Some(p) } => (JobStatus::Processing, *p),
        // No progress from the provider: the estimate, else where it was.
        Lifecycle::Running { progress: None } => (
            JobStatus::Processing,
            expected_ms
                .map(|e| estimated_progress(job.created_ms, e, now_ms))
                .unwrap_or(0)
                .max(job.progress),
        ),
        Lifecycle::Succeeded { .. } => (JobStatus::Completed, 100),
        Lifecycle::Failed { .. } | Lifecycle::Cancelled | Lifecycle::Expired => {
            (JobStatus::Failed, job.progress)
        }
    };
    let provider_job = Some(video);
    let changed =
        status != job.status || progress != job.progress || provider_job != job.provider_job;
    let here = Sample {
        at_ms: now_ms,
        progress,
    };
    let since = match (status, job.since) {
        (JobStatus::Processing, None) => Some(here),
        (_, since) => since,
    };
    let prediction = match (status, expected_ms) {
        (JobStatus::Processing, Some(expected)) => {
            expected_end_wait(job.created_ms, expected, now_ms, job.interval, backoff)
        }
        (JobStatus::Processing, None) => {
            since.and_then(|since| predicted_wait(since, here, backoff))
        }
        _ => None,
    };
    let interval = match prediction {
        Some(wait) => wait,
        None if changed => backoff.initial,
        None => backoff.grow(job.interval),
    };
    let (error, video_url, content_expires_at) = match lifecycle {
        Lifecycle::Failed { message, .. } => (Some(message), None, None),
        Lifecycle::Cancelled => (
            Some("the provider cancelled the video".to_owned()),
            None,
            None,
        ),
        Lifecycle::Expired => (
            Some("the provider no longer has the video (expired)".to_owned()),
            None,
            None,
        ),
        Lifecycle::Succeeded {
            outputs,
            expires_at,
        } => (None, outputs.into_iter().next().map(|o| o.url), expires_at),
        Lifecycle::Queued | Lifecycle::Running { .. } => (None, None, None),
    };
    Next {
        state: JobState {
            status,
            progress,
            provider_job,
            interval,
            since,
            failing_since: None,
            estimate,
            ..job.clone()
        },
        video_url,
        content_expires_at,
        kept,
        error,
        // A callback will most likely come first: the poll is only the safety net.
        next_poll: (!status.is_terminal()).then(|| {
            interval
                .saturating_mul(job.stretch.max(1))
                .min(backoff.max.max(interval))
        }),
        changed,
    }
}
