//! A job as a claim returned it: its poll state (from the one field `state`, or the fields of the
//! older layout), and the state to store after a poll.

use std::time::Duration;

use relay_shared::job::PollState;
use relay_shared::store::layout::field;
use relay_shared::store::{ClaimFields, Claimed, JobRef};

use super::transition::JobState;

/// The job fields a claim returns: what every poll needs, in the one field `state` (see
/// [`PollState`]), and the fields that held its parts in jobs stored before that field existed.
/// What only a submission needs is read by the submission itself, with the prompt
/// (`Store::submission`).
pub const CLAIM_FIELDS: ClaimFields = ClaimFields {
    fields: &[field::STATE],
    fallback: field::legacy::POLL_FIELDS,
};

pub(super) struct ClaimedJob {
    pub job: JobRef,
    /// The poll state the claim read.
    pub claimed: PollState,
    /// Read from the fields of a job stored before `state` existed: its commit stores `state`.
    old_layout: bool,
    /// What the polling policy works on, from `claimed`.
    pub state: JobState,
}

impl ClaimedJob {
    /// `None` when the stored state is unreadable.
    pub(super) fn parse(item: Claimed, initial_interval: Duration) -> Option<Self> {
        let (claimed, old_layout) = match item.values.as_slice() {
            [Some(text)] => (PollState::decode(text)?, false),
            [_, legacy @ ..] => (PollState::from_legacy(legacy)?, true),
            _ => return None,
        };
        let state = JobState {
            status: claimed.status,
            progress: claimed.progress,
            interval: claimed
                .interval_ms
                .map_or(initial_interval, Duration::from_millis),
            since: claimed.since,
            failing_since: claimed.failing_since,
            provider_job: claimed.provider_job.clone(),
            created_ms: claimed.created_ms,
            estimate: claimed.estimate,
            stretch: 1,
        };
        Some(Self {
            job: item.job,
            claimed,
            old_layout,
            state,
        })
    }

    /// The poll state to store after a poll that led to `next`, and whether it must be written.
    pub(super) fn stored_after(&self, next: &JobState) -> (PollState, bool) {
        let stored = PollState {
            status: next.status,
            progress: next.progress,
            interval_ms: Some(next.interval.as_millis() as u64),
            since: next.since,
            failing_since: next.failing_since,
            provider_job: next.provider_job.clone(),
            estimate: next.estimate,
            // Kept until the job is final: a poll held back carries it to the next.
            cancel_requested: self.claimed.cancel_requested && !next.status.is_terminal(),
            ..self.claimed.clone()
        };
        let changed = self.old_layout || stored != self.claimed;
        (stored, changed)
    }
}
