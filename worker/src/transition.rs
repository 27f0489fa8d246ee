//! What one poll means for a job: a pure function from the job as claimed and what the provider
//! said to the job's next state, its next poll and whether clients must hear of it.
//!
//! Polling backs off exponentially while nothing changes and starts again from the initial wait
//! after every change. Provider trouble (timeouts, 5xx, 429, bad credentials) never changes a
//! job's status: it only pushes the next poll back, honouring Retry-After.

use std::time::Duration;

use relay_shared::job::JobStatus;
use relay_shared::provider::{ProviderError, Video};

/// The job as the worker claimed it.
#[derive(Clone, Debug, PartialEq)]
pub struct JobState {
    pub status: JobStatus,
    pub progress: u8,
    pub sora_id: Option<String>,
    /// Current wait between polls.
    pub interval: Duration,
}

/// What happened when the job was polled.
#[derive(Debug)]
pub enum Outcome {
    /// The provider answered with the video (after a create or a retrieve).
    Video(Video),
    /// The create call failed.
    CreateFailed(ProviderError),
    /// The retrieve call failed.
    RetrieveFailed(ProviderError),
    /// The job outlived the maximum age; the provider was not asked.
    Expired { max_age: Duration },
    /// Our own limits held the call back (request budget, pause, in-flight cap): try again after
    /// the wait, without counting it as a poll that saw no change.
    Deferred(Duration),
}

/// The job after the poll.
#[derive(Clone, Debug, PartialEq)]
pub struct Next {
    pub state: JobState,
    pub completed_video: Option<String>,
    pub content_expires_at: Option<i64>,
    pub error: Option<String>,
    /// `None` once the job is final.
    pub next_poll: Option<Duration>,
    /// Status, progress or provider id changed: clients get a webhook.
    pub changed: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    fn grow(&self, current: Duration) -> Duration {
        current.max(self.initial).saturating_mul(2).min(self.max)
    }
}

pub fn next(job: &JobState, outcome: Outcome, backoff: Backoff) -> Next {
    let unchanged = |wait: Duration, error: Option<String>| {
        let interval = backoff.grow(job.interval);
        Next {
            state: JobState {
                interval,
                ..job.clone()
            },
            completed_video: None,
            content_expires_at: None,
            error,
            next_poll: Some(wait.max(interval)),
            changed: false,
        }
    };
    let final_state = |status: JobStatus, progress: u8, error: String| Next {
        state: JobState {
            status,
            progress,
            interval: job.interval,
            sora_id: job.sora_id.clone(),
        },
        completed_video: None,
        content_expires_at: None,
        error: Some(error),
        next_poll: None,
        changed: true,
    };
    match outcome {
        Outcome::Expired { max_age } => final_state(
            JobStatus::Timeout,
            job.progress,
            format!(
                "job did not finish within {} s (JOB_MAX_AGE_SECS)",
                max_age.as_secs()
            ),
        ),
        Outcome::CreateFailed(ProviderError::Rejected { message, .. }) => {
            final_state(JobStatus::Failed, job.progress, message)
        }
        Outcome::RetrieveFailed(ProviderError::Rejected {
            status: 404,
            message,
        }) => final_state(
            JobStatus::Failed,
            job.progress,
            format!("the provider no longer knows this video: {message}"),
        ),
        Outcome::CreateFailed(error) | Outcome::RetrieveFailed(error) => {
            let wait = match &error {
                ProviderError::RateLimited { retry_after, .. }
                | ProviderError::Unavailable { retry_after, .. } => retry_after.unwrap_or_default(),
                _ => Duration::ZERO,
            };
            unchanged(wait, None)
        }
        Outcome::Deferred(wait) => Next {
            state: job.clone(),
            completed_video: None,
            content_expires_at: None,
            error: None,
            next_poll: Some(wait),
            changed: false,
        },
        Outcome::Video(video) => from_video(job, video, backoff),
    }
}

fn from_video(job: &JobState, video: Video, backoff: Backoff) -> Next {
    let (status, progress) = match video.status.as_str() {
        "queued" => (JobStatus::Queued, video.progress()),
        "in_progress" => (JobStatus::Processing, video.progress()),
        "completed" => (JobStatus::Completed, 100),
        "failed" => (JobStatus::Failed, job.progress.max(video.progress())),
        // Statuses the contract does not list but providers use for a video that will never be
        // delivered (batch output shows `expired`).
        "expired" | "cancelled" | "canceled" => (JobStatus::Failed, job.progress),
        // Anything else: keep polling and keep what we know.
        _ => (job.status, job.progress),
    };
    let sora_id = Some(video.id.clone());
    let changed = status != job.status || progress != job.progress || sora_id != job.sora_id;
    let interval = if changed {
        backoff.initial
    } else {
        backoff.grow(job.interval)
    };
    let error = (status == JobStatus::Failed).then(|| video.error_message());
    let completed = status == JobStatus::Completed;
    Next {
        state: JobState {
            status,
            progress,
            sora_id,
            interval,
        },
        completed_video: completed.then(|| video.id.clone()),
        content_expires_at: if completed { video.expires_at } else { None },
        error,
        next_poll: (!status.is_terminal()).then_some(interval),
        changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKOFF: Backoff = Backoff {
        initial: Duration::from_secs(5),
        max: Duration::from_secs(60),
    };

    fn job(status: JobStatus, progress: u8, interval_secs: u64) -> JobState {
        JobState {
            status,
            progress,
            sora_id: Some("video_1".into()),
            interval: Duration::from_secs(interval_secs),
        }
    }

    fn video(status: &str, progress: i64) -> Video {
        serde_json::from_value(serde_json::json!({
            "id": "video_1", "status": status, "progress": progress, "expires_at": 99,
            "error": if status == "failed" { serde_json::json!({"code": "x", "message": "blocked"}) } else { serde_json::Value::Null },
        }))
        .unwrap()
    }

    #[test]
    fn provider_statuses_map_to_job_statuses() {
        let j = job(JobStatus::Queued, 0, 5);
        let cases = [
            ("queued", JobStatus::Queued),
            ("in_progress", JobStatus::Processing),
            ("completed", JobStatus::Completed),
            ("failed", JobStatus::Failed),
            ("expired", JobStatus::Failed),
        ];
        for (provider, ours) in cases {
            assert_eq!(
                next(&j, Outcome::Video(video(provider, 10)), BACKOFF)
                    .state
                    .status,
                ours
            );
        }
    }

    #[test]
    fn nothing_changing_doubles_the_wait_up_to_the_maximum() {
        let mut j = job(JobStatus::Processing, 40, 5);
        let mut waits = vec![];
        for _ in 0..6 {
            let n = next(&j, Outcome::Video(video("in_progress", 40)), BACKOFF);
            assert!(!n.changed);
            waits.push(n.next_poll.unwrap().as_secs());
            j = n.state;
        }
        assert_eq!(waits, [10, 20, 40, 60, 60, 60]);
    }

    #[test]
    fn a_change_resets_the_wait_and_is_announced() {
        let j = job(JobStatus::Processing, 40, 60);
        let n = next(&j, Outcome::Video(video("in_progress", 55)), BACKOFF);
        assert!(n.changed);
        assert_eq!(n.next_poll, Some(Duration::from_secs(5)));
        assert_eq!(n.state.progress, 55);
    }

    #[test]
    fn completion_is_final_with_content_details() {
        let n = next(
            &job(JobStatus::Processing, 90, 5),
            Outcome::Video(video("completed", 100)),
            BACKOFF,
        );
        assert_eq!(
            (n.state.status, n.state.progress, n.next_poll),
            (JobStatus::Completed, 100, None)
        );
        assert_eq!(n.completed_video.as_deref(), Some("video_1"));
        assert_eq!(n.content_expires_at, Some(99));
    }

    #[test]
    fn provider_failure_keeps_its_message() {
        let n = next(
            &job(JobStatus::Processing, 50, 5),
            Outcome::Video(video("failed", 0)),
            BACKOFF,
        );
        assert_eq!((n.state.status, n.state.progress), (JobStatus::Failed, 50));
        assert_eq!(n.error.as_deref(), Some("blocked"));
        assert_eq!(n.next_poll, None);
    }

    #[test]
    fn provider_trouble_backs_off_without_changing_status() {
        let j = job(JobStatus::Processing, 30, 5);
        let limited = ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
            message: "slow".into(),
        };
        let n = next(&j, Outcome::RetrieveFailed(limited), BACKOFF);
        assert_eq!((n.state.status, n.changed), (JobStatus::Processing, false));
        assert_eq!(n.next_poll, Some(Duration::from_secs(30)));
        let down = ProviderError::Unavailable {
            retry_after: None,
            message: "500".into(),
        };
        let n = next(&j, Outcome::CreateFailed(down), BACKOFF);
        assert_eq!(
            (n.state.status, n.next_poll),
            (JobStatus::Processing, Some(Duration::from_secs(10)))
        );
        let quota = ProviderError::QuotaExhausted {
            message: "billing".into(),
        };
        assert!(!next(&j, Outcome::CreateFailed(quota), BACKOFF).changed);
    }

    #[test]
    fn a_rejected_create_fails_the_job_with_the_providers_message() {
        let j = JobState {
            sora_id: None,
            ..job(JobStatus::Queued, 0, 5)
        };
        let rejected = ProviderError::Rejected {
            status: 400,
            message: "Invalid value for 'size'".into(),
        };
        let n = next(&j, Outcome::CreateFailed(rejected), BACKOFF);
        assert_eq!(n.state.status, JobStatus::Failed);
        assert_eq!(n.error.as_deref(), Some("Invalid value for 'size'"));
    }

    #[test]
    fn a_deferred_poll_keeps_state_and_interval() {
        let j = job(JobStatus::Queued, 0, 40);
        let n = next(&j, Outcome::Deferred(Duration::from_millis(700)), BACKOFF);
        assert_eq!((n.state.clone(), n.changed), (j, false));
        assert_eq!(n.next_poll, Some(Duration::from_millis(700)));
    }

    #[test]
    fn an_expired_job_times_out() {
        let n = next(
            &job(JobStatus::Processing, 70, 5),
            Outcome::Expired {
                max_age: Duration::from_secs(86400),
            },
            BACKOFF,
        );
        assert_eq!(
            (n.state.status, n.state.progress, n.next_poll),
            (JobStatus::Timeout, 70, None)
        );
        assert!(n.changed);
    }
}
