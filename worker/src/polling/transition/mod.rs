//! What one poll means for a job: a pure function from the job as claimed and what the provider
//! said to the job's next state, its next poll and whether clients must hear of it.
//!
//! When to poll next, in order of preference:
//! - **Predicted completion.** A running video's progress rate since its first `in_progress`
//!   observation predicts when it will finish. The next poll lands just before that
//!   (see [`super::pacing`]), so a
//!   video is polled a handful of times however long it runs, and its completion is seen soon after
//!   it happens (W6 in BENCHMARKS.md: a fraction of fixed-interval polling's requests at a shorter
//!   delay). Progress webhooks become as sparse as the polls.
//! - **Backoff.** Without a rate (queued, or progress not moving) the wait starts from the initial
//!   one after every change and doubles while nothing changes, up to the maximum.
//!
//! - **Expected run time.** A provider that reports no progress gets an estimate: the share of its
//!   model's recent run time (from job creation to completion) that has passed. The next poll
//!   lands just before the expected end, or sooner when the backoff would poll sooner (run times
//!   spread widely: a job shorter than its model's mean must not wait for it).
//! - **Callbacks.** A provider that will call back gets its polls stretched
//!   (`POLL_STRETCH_WITH_CALLBACKS`, never beyond `POLL_MAX_INTERVAL_MS`): they are the safety net.
//!
//! Provider trouble (timeouts, 5xx, 429, bad credentials) never changes a job's status: it only
//! pushes the next poll back, honouring Retry-After — until the provider has failed every call
//! for `PROVIDER_FAILURE_MAX_SECS` (timeouts, 5xx, 429 without Retry-After, content that cannot
//! be fetched): then the job ends `failed` with the last error rather than retrying for a day.
//!
//! Custody (`CONTENT_STORE`): a finished video is `completed` only once kept; a copy that fails
//! is tried again with backoff while the provider still has the video ([`keeping`]).
//!
//! What the provider said arrives as a normalized [`Lifecycle`]: each adapter translates its own
//! words, so nothing here knows any provider's vocabulary.

use std::time::Duration;

use relay_shared::content::Kept;
use relay_shared::job::{Estimate, JobStatus, ProviderRef};
use relay_shared::provider::{Lifecycle, ProviderError};

pub use super::pacing::{Backoff, Sample};

/// The job as the worker claimed it.
#[derive(Clone, Debug, PartialEq)]
pub struct JobState {
    pub status: JobStatus,
    pub progress: u8,
    /// The job's video at its provider, once submitted.
    pub provider_job: Option<ProviderRef>,
    /// Current wait between polls.
    pub interval: Duration,
    /// The first `in_progress` observation: where the progress rate is measured from.
    pub since: Option<Sample>,
    /// When the current streak of failed provider calls began (Redis ms).
    pub failing_since: Option<i64>,
    /// When the job was accepted (Redis ms): what an estimated progress counts from.
    pub created_ms: i64,
    /// `Some` while the relay estimates the job's progress (its provider reports none).
    pub estimate: Option<Estimate>,
    /// How many times longer the waits between polls are because the provider will call back
    /// (1: it will not).
    pub stretch: u32,
}

/// What happened when the job was polled.
#[derive(Debug)]
pub enum Outcome {
    /// The provider answered with the video (after a create or a retrieve).
    Video(Answer),
    /// The create call failed.
    CreateFailed(ProviderError),
    /// The retrieve call failed.
    RetrieveFailed(ProviderError),
    /// The job outlived the maximum age; the provider was not asked.
    Expired { max_age: Duration },
    /// Cancelled on request; `note` says what became of its video at the provider, when that
    /// is worth saying (it could not be stopped there).
    Cancelled { note: Option<String> },
    /// Our own limits held the call back (request budget, pause, in-flight cap): try again after
    /// the wait, without counting it as a poll that saw no change.
    Deferred(Duration),
    /// The provider says the video is done but will never deliver it (its content answers 4xx),
    /// or nobody could tell in time whether it made one: the job fails with this message.
    Undeliverable(String),
    /// The provider made the video but it could not be kept yet (`CONTENT_STORE`): the copy is
    /// tried again with backoff while the provider still has it (`expires_at`, unix seconds).
    NotKept {
        message: String,
        expires_at: Option<i64>,
    },
    /// The job leaves its target for the next on its route (`super::failover`): it starts over
    /// there, queued.
    Moved(Move),
    /// Nobody can tell yet whether a lost submission created a video (the provider's list could
    /// not say, for this reason): look again later. `SUBMISSION_UNKNOWN_*` governs it; a failure
    /// of the provider's own still counts toward `PROVIDER_FAILURE_MAX_SECS`.
    Undecided(ProviderError),
}

pub use moving::Move;

/// What a provider said of the job's video.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub video: ProviderRef,
    pub lifecycle: Lifecycle,
    /// At a submission: how long the provider's model takes lately (ms), for the estimate.
    pub expected_runtime_ms: Option<u64>,
    /// At a completion under custody: the outputs as kept.
    pub kept: Option<Vec<Kept>>,
}

impl Answer {
    pub fn new(video: ProviderRef, lifecycle: Lifecycle) -> Self {
        Self {
            video,
            lifecycle,
            expected_runtime_ms: None,
            kept: None,
        }
    }
}

/// The job after the poll.
#[derive(Clone, Debug, PartialEq)]
pub struct Next {
    pub state: JobState,
    /// Where the finished video is fetched, once completed.
    pub video_url: Option<String>,
    pub content_expires_at: Option<i64>,
    /// The outputs kept at its completion (`CONTENT_STORE`).
    pub kept: Option<Vec<Kept>>,
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
            video_url: None,
            content_expires_at: None,
            kept: None,
            error: None,
            next_poll: Some(wait.max(interval)),
            changed: false,
        }
    };
    let final_state = |status: JobStatus, progress: u8, error: String| Next {
        state: JobState {
            status,
            progress,
            failing_since: None,
            ..job.clone()
        },
        video_url: None,
        content_expires_at: None,
        kept: None,
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
        Outcome::Cancelled { note } => final_state(
            JobStatus::Cancelled,
            job.progress,
            match note {
                Some(note) => format!("cancelled on request; {note}"),
                None => "cancelled on request".to_owned(),
            },
        ),
        Outcome::CreateFailed(ProviderError::Rejected { message, .. }) => {
            final_state(JobStatus::Failed, job.progress, message)
        }
        Outcome::CreateFailed(error @ ProviderError::Retired { .. }) => {
            final_state(JobStatus::Failed, job.progress, error.to_string())
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
            video_url: None,
            content_expires_at: None,
            kept: None,
            error: None,
            next_poll: Some(wait),
            changed: false,
        },
        Outcome::NotKept {
            message,
            expires_at,
        } => keeping::not_kept(job, &message, expires_at, policy, now_ms),
        Outcome::Video(answer) => video::from_video(job, answer, backoff, now_ms),
        Outcome::Moved(step) => moving::moved(job, &step, backoff),
    }
}

mod keeping;
mod moving;
#[cfg(test)]
mod tests;
mod video;
