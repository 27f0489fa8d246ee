//! Retention of kept videos (`CONTENT_RETENTION_DAYS`): a third claim loop, over each partition's
//! deletion schedule (`{pN}:content_deletions`), as the polls and deliveries are over theirs. A
//! claimed entry's objects are deleted from the content store, then the entry leaves the schedule
//! and the job records the deletion, fenced by the claim. A worker that dies mid-way leaves the
//! entry to its lease: the next claim deletes again (deleting what is gone is no error).

use std::sync::Arc;

use relay_shared::content::Custody;
use relay_shared::store::{ClaimFields, Claimed, Queue};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::claims::{Loop, Wake};
use crate::Worker;

/// What a claim returns of each entry: how many outputs the job kept.
const CLAIM_FIELDS: ClaimFields = ClaimFields::new(&["outputs"]);

impl Worker {
    /// Runs until `shutdown` when videos are kept for a limited time; returns at once otherwise.
    pub(crate) async fn retention_loop(self, shutdown: CancellationToken) {
        let Some(custody) = self.inner.custody.clone() else {
            return;
        };
        if custody.retention.is_none() {
            return;
        }
        let spec = Loop {
            queue: Queue::ContentDeletions,
            fields: CLAIM_FIELDS,
            slots: self.inner.settings.content.copy_concurrency,
        };
        let custody = Arc::new(custody);
        self.claim_loop(
            spec,
            Wake::Local,
            shutdown,
            |worker, round, mut permits, running| {
                let token: Arc<str> = round.token.into();
                for item in round.items {
                    let permit = permits.split(1).expect("one slot per claimed item");
                    let tracked =
                        worker
                            .inner
                            .held
                            .track(Queue::ContentDeletions, &item.job, token.clone());
                    let (worker, token, custody) = (worker.clone(), token.clone(), custody.clone());
                    running.spawn(async move {
                        worker.delete_kept(&custody, item, &token).await;
                        drop((permit, tracked));
                    });
                }
            },
        )
        .await;
    }

    async fn delete_kept(&self, custody: &Custody, item: Claimed, token: &str) {
        let job = &item.job;
        let outputs: usize = item
            .values
            .first()
            .cloned()
            .flatten()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        for index in 0..outputs {
            let path = custody.store.path(&job.id, index);
            if let Err(e) = custody.store.delete(&path).await {
                warn!(job = %job, "could not delete kept output {index} ({e}); trying again when the lease ends");
                return;
            }
        }
        match self.inner.store.content_deleted(job, token).await {
            Ok(true) => {
                info!(job = %job, "🗑️ Deleted {outputs} kept output(s) (CONTENT_RETENTION_DAYS)")
            }
            Ok(false) => {
                warn!(job = %job, "claim lost while deleting kept outputs; another worker finishes")
            }
            Err(e) => {
                warn!(job = %job, "could not record the deletion ({e}); it will be done again")
            }
        }
    }
}
