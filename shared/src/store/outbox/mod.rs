//! Each job's outbox of undelivered webhook events, as the delivery loop works it: the head
//! event of a claimed outbox, and the outcome of one attempt at it (`finish_delivery.lua`:
//! delivered, retry later, or dead letter). What operators ask of deliveries: [`history`]; what goes wrong now: [`trouble`].

mod history;
mod trouble;

use std::time::Duration;

pub use history::{DeliveryHistory, Requeued};
pub use trouble::{DeadLetter, FailingEndpoint};

use super::{scripts, JobRef, Store, StoreError, StoreResult};
use crate::webhook::AttemptEntry;

/// What became of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered,
    Retry {
        after: Duration,
        /// The receiver asked for this wait (`Retry-After`): it holds for whatever event of the
        /// job comes next, where a wait of our own backoff belongs to the event that failed.
        asked_by_receiver: bool,
    },
    /// Given up: the event moves to the dead letters.
    Dead {
        error: String,
    },
}

impl Store {
    /// The head event of each claimed outbox: its body and creation time (Redis ms).
    pub async fn outbox_events(
        &self,
        heads: &[(&JobRef, u64)],
    ) -> StoreResult<Vec<Option<(String, i64)>>> {
        let conn = self.conn().await?;
        let reads = heads.iter().map(|&(job, seq)| {
            let key = self.keys.outbox(job.partition, &job.id);
            let mut conn = conn.clone();
            async move {
                let (body, created): (Option<String>, Option<i64>) = redis::cmd("HMGET")
                    .arg(key)
                    .arg(format!("e:{seq}"))
                    .arg(format!("c:{seq}"))
                    .query_async(&mut conn)
                    .await?;
                Ok::<_, StoreError>(body.map(|b| (b, created.unwrap_or(0))))
            }
        });
        futures_util::future::try_join_all(reads).await
    }

    /// Records the outcome of one attempt to deliver a job's head event. False when the claim
    /// was lost. `after_failures`: the outbox's earlier attempts failed (its `attempts`, or its
    /// `failed` mark), so a delivery now ends its endpoint's failing streak; a delivery that
    /// follows no failure skips that write (the hot path).
    pub async fn finish_delivery(
        &self,
        job: &JobRef,
        token: &str,
        seq: u64,
        outcome: &DeliveryOutcome,
        entry: Option<&AttemptEntry>,
        after_failures: bool,
    ) -> StoreResult<bool> {
        let log_entry = entry.map(AttemptEntry::to_json).unwrap_or_default();
        // Shown as logs show it: a receiver's URL may carry its credentials.
        let delivered = matches!(outcome, DeliveryOutcome::Delivered);
        let endpoint = entry
            .and_then(|e| e.url.as_deref())
            .filter(|_| after_failures || !delivered)
            .map(crate::redact::url)
            .unwrap_or_default();
        let failure = entry.map(AttemptEntry::failure).unwrap_or_default();
        let (partition, job_id) = (job.partition, job.id.as_str());
        let (set, outbox) = (
            self.keys.deliveries(partition),
            self.keys.outbox(partition, job_id),
        );
        let (verdict, delay, error, hold) = match outcome {
            DeliveryOutcome::Delivered => ("ok", 0, "", false),
            DeliveryOutcome::Retry {
                after,
                asked_by_receiver,
            } => ("retry", after.as_millis() as u64, "", *asked_by_receiver),
            DeliveryOutcome::Dead { error } => ("dead", 0, error.as_str(), false),
        };
        let mut conn = self.conn().await?;
        let done: i64 = scripts::FINISH_DELIVERY
            .key(set)
            .key(outbox)
            .key(self.keys.dead_letters(partition))
            .key(self.keys.stats(partition))
            .key(self.keys.attempt_log(partition, job_id))
            .key(self.keys.failing_endpoints(partition))
            .arg(job_id)
            .arg(token)
            .arg(seq)
            .arg(verdict)
            .arg(delay)
            .arg(self.keys.dead_letter_prefix(partition))
            .arg(error)
            .arg(self.job_lifetime_secs)
            .arg(log_entry)
            .arg(if hold { "1" } else { "0" })
            .arg(&endpoint)
            .arg(failure)
            .arg(self.keys.tenant_stats_prefix(partition))
            .arg(self.keys.tenant_dead_letters_prefix(partition))
            .invoke_async(&mut conn)
            .await?;
        Ok(done == 1)
    }
}
