//! A poll's outcome, written back under its claim: the job's new state, its next due time, the
//! status counters and the webhook event, atomically, for many jobs of a partition in one
//! script call (`commit_polls.lua`). And what only a submission reads ([`submission`]).

mod submission;

use std::sync::Arc;
use std::time::Duration;

pub use submission::{Routing, Settle, Submission};

use super::layout::field;
use super::{scripts, JobRef, Store, StoreError, StoreResult};
use crate::job::{JobStatus, PollState};

/// The outcome of one poll, to be committed under the claim token.
#[derive(Clone, Debug)]
pub struct PollCommit {
    pub job: JobRef,
    pub token: Arc<str>,
    /// Wait before the next poll; `None` when the job is final and leaves the schedule.
    pub next_poll: Option<Duration>,
    /// The status the claim read: only the claim holder changes it, so it is the stored one.
    pub claimed_status: JobStatus,
    /// The job's poll state after this poll.
    pub state: PollState,
    /// `state` differs from the stored one: only then is it written.
    pub state_changed: bool,
    /// Status, progress or provider id changed.
    pub changed: bool,
    /// Its event must reach clients even though the status did not change (a routed job's move):
    /// a later event never supersedes it, as a status change is never superseded.
    pub milestone: bool,
    pub webhook_body: Option<String>,
    /// Other fields to write.
    pub fields: Vec<(&'static str, String)>,
}

/// What a commit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Committed {
    /// Stored; with the webhook event's sequence number when one was enqueued.
    Stored { event_seq: Option<u64> },
    /// The claim was lost (lease ran out and another worker took the job): nothing written.
    Fenced,
}

impl Store {
    /// Commits one poll's outcome atomically with its counters and webhook event.
    pub async fn commit_poll(&self, commit: &PollCommit) -> StoreResult<Committed> {
        let mut committed = self
            .commit_polls(commit.job.partition, std::slice::from_ref(commit))
            .await?;
        committed
            .pop()
            .ok_or_else(|| StoreError::Corrupt("empty commit reply".into()))
    }

    /// Commits the outcomes of several polls of one partition's jobs (every `commit.job` in
    /// `partition`) in one script call, each atomically with its counters and webhook event; one
    /// result per commit, in order.
    pub async fn commit_polls(
        &self,
        partition: u16,
        commits: &[PollCommit],
    ) -> StoreResult<Vec<Committed>> {
        let keys = &self.keys;
        let mut invocation = scripts::COMMIT_POLLS.prepare_invoke();
        invocation
            .key(keys.schedule(partition))
            .key(keys.stats(partition))
            .key(keys.deliveries(partition))
            .key(keys.live(partition))
            .arg(keys.job_prefix(partition))
            .arg(keys.outbox_prefix(partition))
            .arg(keys.events_prefix(partition))
            .arg(self.retention_secs)
            .arg(self.job_lifetime_secs)
            .arg(keys.tenant_stats_prefix(partition))
            .arg(self.live_stream_length);
        for commit in commits {
            invocation
                .arg(&commit.job.id)
                .arg(&*commit.token)
                .arg(commit.next_poll.map_or(-1, |d| d.as_millis() as i64))
                .arg(commit.claimed_status.as_str())
                .arg(commit.state.status.as_str())
                .arg(match (commit.milestone, commit.changed) {
                    (true, _) => "2",
                    (false, true) => "1",
                    (false, false) => "0",
                })
                .arg(commit.webhook_body.as_deref().unwrap_or(""))
                .arg(commit.fields.len() + usize::from(commit.state_changed));
            if commit.state_changed {
                invocation.arg(field::STATE).arg(commit.state.encode());
            }
            for (name, value) in &commit.fields {
                invocation.arg(*name).arg(value);
            }
        }
        let mut conn = self.conn().await?;
        let seqs: Vec<i64> = invocation.invoke_async(&mut conn).await?;
        if seqs.len() != commits.len() {
            return Err(StoreError::Corrupt(
                "commit reply of the wrong length".into(),
            ));
        }
        Ok(seqs
            .into_iter()
            .map(|seq| match seq {
                -1 => Committed::Fenced,
                0 => Committed::Stored { event_seq: None },
                n => Committed::Stored {
                    event_seq: Some(n as u64),
                },
            })
            .collect())
    }
}
