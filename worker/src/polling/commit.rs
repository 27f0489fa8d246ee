//! Group commit: poll results that are ready at the same moment reach Redis together.
//!
//! Every poll ends in a commit — the job's new state, its next due time, the status counters and
//! the webhook event, atomically, in one Lua script. One script call per poll made Redis the
//! bottleneck (see W1 in BENCHMARKS.md): the cost of a call is mostly the call, not its writes.
//! So each finished poll hands its commit to this process's committer, which sends everything
//! waiting — grouped by partition, one call per partition, the partitions concurrently — and,
//! while that batch is in flight, collects the next one. Before a batch goes, the committer yields
//! once to the scheduler, so that polls finishing at the same moment join it. An idle worker
//! commits at once (a batch of one); a busy one commits many polls per round trip. Nothing waits
//! on a timer.
//!
//! A commit lost with its process (queued here, or in flight) is like any unfinished poll: the
//! job's lease runs out and it is polled again.

use std::collections::BTreeMap;

use relay_shared::store::{Committed, PollCommit, Store, StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

/// Most commits in one script call, so that no call holds Redis for long.
const MAX_BATCH: usize = 256;

/// Why a commit was not stored.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The committer's task has ended (the runtime is shutting down): nothing was sent.
    #[error("the committer stopped")]
    Stopped,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Committer {
    waiting: mpsc::UnboundedSender<Pending>,
}

struct Pending {
    commit: PollCommit,
    reply: oneshot::Sender<StoreResult<Committed>>,
}

impl Committer {
    /// Starts the committer task on the current tokio runtime; it ends when the committer is dropped.
    pub fn start(store: Store) -> Self {
        let (waiting, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(store, queue));
        Self { waiting }
    }

    /// Commits one poll's outcome with whatever other commits are ready at the same time.
    pub async fn commit(&self, commit: PollCommit) -> Result<Committed, CommitError> {
        let (reply, answer) = oneshot::channel();
        self.waiting
            .send(Pending { commit, reply })
            .map_err(|_| CommitError::Stopped)?;
        Ok(answer.await.map_err(|_| CommitError::Stopped)??)
    }
}

async fn run(store: Store, mut queue: mpsc::UnboundedReceiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        // Polls that finish at the same moment are runnable now: let them hand in their commits
        // before the batch goes (no timer; one turn of the scheduler).
        tokio::task::yield_now().await;
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        let mut by_partition: BTreeMap<u16, (Vec<PollCommit>, Vec<_>)> = BTreeMap::new();
        for pending in batch.drain(..) {
            let (commits, replies) = by_partition
                .entry(pending.commit.job.partition)
                .or_default();
            commits.push(pending.commit);
            replies.push(pending.reply);
        }
        let calls = by_partition
            .into_iter()
            .map(|(partition, (commits, replies))| {
                let store = &store;
                async move {
                    match store.commit_polls(partition, &commits).await {
                        Ok(results) => {
                            for (reply, result) in replies.into_iter().zip(results) {
                                let _ = reply.send(Ok(result));
                            }
                        }
                        Err(e) => {
                            for reply in replies {
                                let _ = reply.send(Err(e.clone()));
                            }
                        }
                    }
                }
            });
        futures_util::future::join_all(calls).await;
    }
}
