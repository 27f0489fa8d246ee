//! A stopping worker's claims: in-flight work finishes within the shutdown grace; what is left is
//! stopped and its claims handed back, due now, for another worker.

use relay_shared::store::Queue;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::Worker;

impl Worker {
    pub(super) async fn drain(&self, mut running: JoinSet<()>, queue: Queue) {
        if running.is_empty() {
            return;
        }
        let what = match queue {
            Queue::Jobs => "polls",
            Queue::Deliveries => "webhook deliveries",
            Queue::ContentDeletions => "deletions of kept videos",
        };
        info!("waiting for {} in-flight {what}", running.len());
        let grace = self.inner.settings.polling.shutdown_grace;
        let finished = tokio::time::timeout(grace, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            warn!(
                "{} {what} still running after {grace:?}: stopping them",
                running.len()
            );
            let held = self.take_claims(queue);
            running.abort_all();
            while running.join_next().await.is_some() {}
            self.hand_back(held).await;
        }
    }
}
