//! Claim rounds: take up to `want` due items of one kind from the partitions in turn, starting at
//! a rotating cursor so that every partition gets served, with one script call per partition and
//! batch of at most [`MAX_BATCH`] items.

use std::time::Duration;

use relay_shared::store::{ClaimFields, Claimed, Queue, Store, StoreResult};
use relay_shared::telemetry::metrics;

/// What one round claimed, and (when it found nothing) how long until something is due.
pub struct Round {
    pub token: String,
    /// Redis time at the last claim call of the round.
    pub now_ms: i64,
    pub items: Vec<Claimed>,
    /// Until the earliest due item over all partitions; `None` when every queue is empty.
    pub next_due_in: Option<Duration>,
}

/// Most items one claim call takes: a script holds Redis while it runs, and one that claims
/// thousands of items would stall every other client for that long.
pub const MAX_BATCH: usize = 1000;

pub struct Claimer {
    pub queue: Queue,
    pub fields: ClaimFields,
    pub lease: Duration,
    cursor: u16,
}

impl Claimer {
    pub fn new(queue: Queue, fields: ClaimFields, lease: Duration) -> Self {
        Self {
            queue,
            fields,
            lease,
            cursor: 0,
        }
    }

    pub async fn round(&mut self, store: &Store, want: usize, token: String) -> StoreResult<Round> {
        let partitions = store.keys().partitions();
        let start = self.cursor;
        self.cursor = (self.cursor + 1) % partitions;
        let mut round = Round {
            token,
            now_ms: 0,
            items: Vec::new(),
            next_due_in: None,
        };
        for step in 0..partitions {
            let partition = (start + step) % partitions;
            // A partition is claimed in bounded batches (each one script call that holds Redis
            // briefly) until it has no more due items or the round has what it wants.
            loop {
                let left = want - round.items.len();
                if left == 0 {
                    break;
                }
                let batch = left.min(MAX_BATCH);
                let claim = store
                    .claim(
                        self.queue,
                        partition,
                        batch,
                        self.lease,
                        &round.token,
                        self.fields,
                    )
                    .await?;
                round.now_ms = claim.now_ms;
                if let Some(due) = claim.next_due_ms {
                    let wait =
                        Duration::from_millis(due.saturating_sub(claim.now_ms).max(0) as u64);
                    round.next_due_in = Some(round.next_due_in.map_or(wait, |w| w.min(wait)));
                }
                metrics::claimed(self.queue.name(), claim.items.iter().map(|item| item.late));
                let full = claim.items.len() == batch;
                round.items.extend(claim.items);
                if !full {
                    break;
                }
            }
        }
        Ok(round)
    }
}
