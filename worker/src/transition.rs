//! What one poll means for a job: a pure function from the job as claimed and what the provider
//! said to the job's next state, its next poll and whether clients must hear of it.
//!
//! When to poll next, in order of preference:
//! - **Predicted completion.** A running video's progress rate since its first `in_progress`
//!   observation predicts when it will finish. The next poll lands just before that
//!   (see [`crate::pacing`]), so a
//!   video is polled a handful of times however long it runs, and its completion is seen soon after
//!   it happens (W6 in BENCHMARKS.md: a fraction of fixed-interval polling's requests at a shorter
//!   delay). Progress webhooks become as sparse as the polls.
//! - **Backoff.** Without a rate (queued, or progress not moving) the wait starts from the initial
//!   one after every change and doubles while nothing changes, up to the maximum.
//!
//! Provider trouble (timeouts, 5xx, 429, bad credentials) never changes a job's status: it only
//! pushes the next poll back, honouring Retry-After — until the provider has failed every call
//! for `PROVIDER_FAILURE_MAX_SECS` (timeouts, 5xx, 429 without Retry-After, content that cannot
//! be fetched): then the job ends `failed` with the last error rather than retrying for a day.
//!
//! Provider status words: the OpenAI contract says `queued`, `in_progress`, `completed`,
//! `failed`; gateways in front of other models say `processing`, `running`, `pending`,
//! `succeeded`, `error` and more. Every known word is mapped ([`provider_status`]); an unknown
//! one is logged once and counts as running, so a job never waits silently for a word we lack.

use std::time::Duration;

use relay_shared::job::JobStatus;
use relay_shared::provider::{ProviderError, Video};

use crate::pacing::predicted_wait;
pub use crate::pacing::{Backoff, Sample};

/// The job as the worker claimed it.
#[derive(Clone, Debug, PartialEq)]
pub struct JobState {
    pub status: JobStatus,
    pub progress: u8,
    pub sora_id: Option<String>,
    /// Current wait between polls.
    pub interval: Duration,
    /// The first `in_progress` observation: where the progress rate is measured from.
    pub since: Option<Sample>,
    /// When the current streak of failed provider calls began (Redis ms).
    pub failing_since: Option<i64>,
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
    /// The provider says the video is done but will never deliver it (its content answers 4xx),
    /// or nobody could tell in time whether it made one: the job fails with this message.
    Undeliverable(String),
    /// Nobody can tell yet whether a lost submission created a video (the provider's list could
    /// not say, for this reason): look again later. `SUBMISSION_UNKNOWN_*` governs it; a failure
    /// of the provider's own still counts toward `PROVIDER_FAILURE_MAX_SECS`.
    Undecided(ProviderError),
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

/// What the polling policy is given: the waits, and how long the provider may fail every call.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub backoff: Backoff,
    /// `PROVIDER_FAILURE_MAX_SECS`.
    pub failure_limit: Duration,
}

/// The job after `outcome`, observed at `now_ms` (Redis time).
pub fn next(job: &JobState, outcome: Outcome, policy: Policy, now_ms: i64) -> Next {
    let backoff = policy.backoff;
    // Nothing changed: the wait grows (at least `wait`, the provider's Retry-After).
    let unchanged = |wait: Duration, failing_since: Option<i64>| {
        let interval = backoff.grow(job.interval);
        Next {
            state: JobState {
                interval,
                failing_since,
                ..job.clone()
            },
            completed_video: None,
            content_expires_at: None,
            error: None,
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
            since: job.since,
            failing_since: None,
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
        Outcome::Undeliverable(message) => final_state(JobStatus::Failed, job.progress, message),
        Outcome::CreateFailed(error)
        | Outcome::RetrieveFailed(error)
        | Outcome::Undecided(error) => {
            let wait = error.retry_after().unwrap_or_default();
            // A failure of the provider's extends the streak; the streak's length ends the job.
            let failing_since = error
                .is_provider_failure()
                .then(|| job.failing_since.unwrap_or(now_ms));
            if let Some(since) = failing_since {
                let failing_for = Duration::from_millis(now_ms.saturating_sub(since).max(0) as u64);
                if failing_for >= policy.failure_limit {
                    return final_state(
                        JobStatus::Failed,
                        job.progress,
                        format!(
                            "the provider failed every call for {} s (PROVIDER_FAILURE_MAX_SECS); the last: {error}",
                            failing_for.as_secs()
                        ),
                    );
                }
            }
            unchanged(wait, failing_since.or(job.failing_since))
        }
        Outcome::Deferred(wait) => Next {
            state: job.clone(),
            completed_video: None,
            content_expires_at: None,
            error: None,
            next_poll: Some(wait),
            changed: false,
        },
        Outcome::Video(video) => from_video(job, video, backoff, now_ms),
    }
}

/// What a provider's status word means for the job. Unknown words count as running (and are
/// logged once per word and process).
pub fn provider_status(word: &str) -> ProviderStatus {
    match word {
        "queued" | "pending" | "submitted" | "waiting" | "starting" | "in_queue" | "IN_QUEUE" => {
            ProviderStatus::Waiting
        }
        "in_progress" | "processing" | "running" | "generating" | "IN_PROGRESS" => {
            ProviderStatus::Running
        }
        "completed" | "succeeded" | "success" | "done" | "COMPLETED" => ProviderStatus::Done,
        "failed" | "error" | "FAILED" => ProviderStatus::Failed,
        // Words the contract does not list but providers use for a video that will never be
        // delivered (batch output shows `expired`).
        "expired" | "cancelled" | "canceled" => ProviderStatus::Lost,
        other => {
            log_unknown_status_once(other);
            ProviderStatus::Running
        }
    }
}

/// The kinds of provider status, as the policy needs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderStatus {
    Waiting,
    Running,
    Done,
    Failed,
    /// Will never be delivered (expired, cancelled).
    Lost,
}

fn log_unknown_status_once(word: &str) {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Mutex::default);
    if seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(word.to_owned())
    {
        tracing::warn!("the provider reported the status {word:?}, which sora-relay does not know; treating it as running");
    }
}

fn from_video(job: &JobState, video: Video, backoff: Backoff, now_ms: i64) -> Next {
    let (status, progress) = match provider_status(&video.status) {
        ProviderStatus::Waiting => (JobStatus::Queued, video.progress()),
        ProviderStatus::Running => (JobStatus::Processing, video.progress()),
        ProviderStatus::Done => (JobStatus::Completed, 100),
        ProviderStatus::Failed => (JobStatus::Failed, job.progress.max(video.progress())),
        ProviderStatus::Lost => (JobStatus::Failed, job.progress),
    };
    let sora_id = Some(video.id.clone());
    let changed = status != job.status || progress != job.progress || sora_id != job.sora_id;
    let here = Sample {
        at_ms: now_ms,
        progress,
    };
    let since = match (status, job.since) {
        (JobStatus::Processing, None) => Some(here),
        (_, since) => since,
    };
    let prediction = (status == JobStatus::Processing)
        .then_some(since)
        .flatten()
        .and_then(|since| predicted_wait(since, here, backoff));
    let interval = match prediction {
        Some(wait) => wait,
        None if changed => backoff.initial,
        None => backoff.grow(job.interval),
    };
    let error = (status == JobStatus::Failed).then(|| video.error_message());
    let completed = status == JobStatus::Completed;
    Next {
        state: JobState {
            status,
            progress,
            sora_id,
            interval,
            since,
            failing_since: None,
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

    const BACKOFF: Policy = Policy {
        backoff: Backoff {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(60),
        },
        failure_limit: Duration::from_secs(1800),
    };

    fn job(status: JobStatus, progress: u8, interval_secs: u64) -> JobState {
        JobState {
            status,
            progress,
            sora_id: Some("video_1".into()),
            interval: Duration::from_secs(interval_secs),
            since: None,
            failing_since: None,
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
                next(&j, Outcome::Video(video(provider, 10)), BACKOFF, 0)
                    .state
                    .status,
                ours
            );
        }
    }

    /// #15.8b: gateways say `processing` (and may start there); every status word a provider may
    /// use is mapped, and an unknown one counts as running.
    #[test]
    fn gateway_status_words_are_understood() {
        let j = job(JobStatus::Queued, 0, 5);
        for (word, ours) in [
            ("processing", JobStatus::Processing),
            ("running", JobStatus::Processing),
            ("pending", JobStatus::Queued),
            ("succeeded", JobStatus::Completed),
            ("error", JobStatus::Failed),
            ("something_new", JobStatus::Processing),
        ] {
            let n = next(&j, Outcome::Video(video(word, 30)), BACKOFF, 0);
            assert_eq!(n.state.status, ours, "{word}");
        }
    }

    #[test]
    fn nothing_changing_doubles_the_wait_up_to_the_maximum() {
        let mut j = job(JobStatus::Processing, 40, 5);
        let mut waits = vec![];
        for _ in 0..6 {
            let n = next(&j, Outcome::Video(video("in_progress", 40)), BACKOFF, 0);
            assert!(!n.changed);
            waits.push(n.next_poll.unwrap().as_secs());
            j = n.state;
        }
        assert_eq!(waits, [10, 20, 40, 60, 60, 60]);
    }

    #[test]
    fn a_change_resets_the_wait_and_is_announced() {
        let j = job(JobStatus::Processing, 40, 60);
        let n = next(&j, Outcome::Video(video("in_progress", 55)), BACKOFF, 0);
        assert!(n.changed);
        assert_eq!(n.next_poll, Some(Duration::from_secs(5)));
        assert_eq!(n.state.progress, 55);
    }

    #[test]
    fn a_running_job_is_next_polled_just_before_its_predicted_end() {
        let queued = job(JobStatus::Queued, 0, 5);
        let first = next(
            &queued,
            Outcome::Video(video("in_progress", 10)),
            BACKOFF,
            0,
        );
        assert_eq!(
            first.state.since,
            Some(Sample {
                at_ms: 0,
                progress: 10
            }),
            "the rate is measured from the first in_progress poll"
        );
        assert_eq!(first.next_poll, Some(BACKOFF.backoff.initial));
        let later = next(
            &first.state,
            Outcome::Video(video("in_progress", 60)),
            BACKOFF,
            50_000,
        );
        assert_eq!(later.state.since, first.state.since);
        assert_eq!(later.next_poll, Some(Duration::from_secs(36)));
        assert!(later.changed, "the progress is still announced");
    }

    #[test]
    fn completion_is_final_with_content_details() {
        let n = next(
            &job(JobStatus::Processing, 90, 5),
            Outcome::Video(video("completed", 100)),
            BACKOFF,
            0,
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
            0,
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
        let n = next(&j, Outcome::RetrieveFailed(limited), BACKOFF, 0);
        assert_eq!((n.state.status, n.changed), (JobStatus::Processing, false));
        assert_eq!(n.next_poll, Some(Duration::from_secs(30)));
        let down = ProviderError::Unavailable {
            retry_after: None,
            message: "500".into(),
        };
        let n = next(&j, Outcome::CreateFailed(down), BACKOFF, 0);
        assert_eq!(
            (n.state.status, n.next_poll),
            (JobStatus::Processing, Some(Duration::from_secs(10)))
        );
        let quota = ProviderError::QuotaExhausted {
            message: "billing".into(),
        };
        assert!(!next(&j, Outcome::CreateFailed(quota), BACKOFF, 0).changed);
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
        let n = next(&j, Outcome::CreateFailed(rejected), BACKOFF, 0);
        assert_eq!(n.state.status, JobStatus::Failed);
        assert_eq!(n.error.as_deref(), Some("Invalid value for 'size'"));
    }

    #[test]
    fn a_deferred_poll_keeps_state_and_interval() {
        let j = job(JobStatus::Queued, 0, 40);
        let n = next(
            &j,
            Outcome::Deferred(Duration::from_millis(700)),
            BACKOFF,
            0,
        );
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
            0,
        );
        assert_eq!(
            (n.state.status, n.state.progress, n.next_poll),
            (JobStatus::Timeout, 70, None)
        );
        assert!(n.changed);
    }
}
