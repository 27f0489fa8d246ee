//! A routed job moving to the next target on its route: it starts over there — queued, no video,
//! no progress, the backoff from its first wait — and is due at once. Its clients hear of it
//! (`changed`), with the targets it has been at.

use std::time::Duration;

use relay_shared::config::Target;
use relay_shared::job::{Attempt, Estimate, JobStatus};

use super::{Backoff, JobState, Next};

/// Where a job goes, and why it leaves where it was.
#[derive(Clone, Debug, PartialEq)]
pub struct Move {
    pub to: Target,
    /// Every target it left, this one last.
    pub left: Vec<Attempt>,
    /// Why it left (the last attempt's outcome), as metrics name it.
    pub reason: &'static str,
    /// The new target's provider reports no progress: the relay estimates it there.
    pub estimated: bool,
}

impl Move {
    /// Every target the job has been at, the new one last (queued there): the status view's
    /// `attempts` as the move's webhook carries them.
    pub fn attempts(&self) -> Vec<Attempt> {
        let mut attempts = self.left.clone();
        attempts.push(Attempt {
            provider: self.to.provider.clone(),
            model: self.to.model.clone(),
            provider_job_id: None,
            outcome: JobStatus::Queued.as_str().to_owned(),
            error: None,
        });
        attempts
    }
}

pub(super) fn moved(job: &JobState, step: &Move, backoff: Backoff) -> Next {
    Next {
        state: JobState {
            status: JobStatus::Queued,
            progress: 0,
            provider_job: None,
            interval: backoff.initial,
            since: None,
            failing_since: None,
            estimate: step.estimated.then_some(Estimate { expected_ms: None }),
            ..job.clone()
        },
        video_url: None,
        content_expires_at: None,
        kept: None,
        error: None,
        next_poll: Some(Duration::ZERO),
        changed: true,
    }
}
