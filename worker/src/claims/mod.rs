//! Claiming work: both loops of a worker (polls and webhook deliveries) are one claim loop over a
//! lease queue. A loop claims due items in rounds ([`round`]), as many as it has free slots,
//! hands each round to its dispatcher, and sleeps until the next item is due when there is none;
//! claims outlive slow work by renewing their leases ([`lease`]); a stopping worker lets its work
//! finish or hands its claims back ([`drain`]).

mod drain;
pub mod lease;
pub mod round;

use std::sync::Arc;
use std::time::Duration;

use relay_shared::store::{ClaimFields, Queue};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::warn;

pub use lease::Held;
pub use round::{Claimer, Round};

use crate::Worker;

/// How much later than a blocking wait's own timeout the local timer ends it.
const TIMER_SLACK: Duration = Duration::from_millis(2);

/// What a claim loop works on.
pub struct Loop {
    pub queue: Queue,
    pub fields: ClaimFields,
    /// Items in flight at once in this process.
    pub slots: usize,
}

/// What wakes an idle loop before its next item is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// New or forced jobs, announced through Redis's wake list (polls).
    Redis,
    /// This process's own new events (deliveries).
    Local,
}

impl Worker {
    /// Claims and dispatches until `shutdown`, then drains. `dispatch` gets each round with one
    /// slot per claimed item, and spawns its work on the set.
    pub(crate) async fn claim_loop(
        &self,
        spec: Loop,
        wake: Wake,
        shutdown: CancellationToken,
        mut dispatch: impl FnMut(&Worker, Round, OwnedSemaphorePermit, &mut JoinSet<()>),
    ) {
        let limit = spec.slots;
        let mut claimer = Claimer::new(spec.queue, spec.fields, self.lease());
        let slots = Arc::new(Semaphore::new(limit));
        let batch = (limit / 4).max(1);
        let mut running = JoinSet::new();
        while !shutdown.is_cancelled() {
            while running.try_join_next().is_some() {}
            let free = slots.available_permits();
            // Claim in batches: while most slots are busy, wait for more of them to free up
            // rather than paying a claim round for every single slot.
            if free < batch.min(limit) && !running.is_empty() || free == 0 {
                tokio::select! {
                    _ = running.join_next() => {},
                    () = shutdown.cancelled() => {},
                }
                continue;
            }
            let Some(round) = self.claim_or_pause(&mut claimer, free, &shutdown).await else {
                continue;
            };
            if round.items.is_empty() {
                self.sleep_until_due(round.next_due_in, &shutdown, wake)
                    .await;
                continue;
            }
            let permits = slots
                .clone()
                .try_acquire_many_owned(round.items.len() as u32)
                .expect("claimed within free slots");
            dispatch(self, round, permits, &mut running);
        }
        self.drain(running, spec.queue).await;
    }

    /// One claim round; on a Redis error, logs it, pauses briefly and returns `None`.
    async fn claim_or_pause(
        &self,
        claimer: &mut Claimer,
        want: usize,
        shutdown: &CancellationToken,
    ) -> Option<Round> {
        match claimer
            .round(&self.inner.store, want, self.next_token())
            .await
        {
            Ok(round) => Some(round),
            Err(e) => {
                warn!("redis unavailable ({e}); retrying in 1s");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {},
                    () = shutdown.cancelled() => {},
                }
                None
            }
        }
    }

    /// Sleeps until the earliest due item (capped), or until woken.
    async fn sleep_until_due(
        &self,
        next_due_in: Option<Duration>,
        shutdown: &CancellationToken,
        wake: Wake,
    ) {
        let cap = self.inner.settings.polling.idle_max;
        let wait = next_due_in.unwrap_or(cap).min(cap);
        if wait.is_zero() {
            return;
        }
        if wake == Wake::Local {
            tokio::select! {
                () = self.inner.deliveries_waiting.notified() => {},
                () = tokio::time::sleep(wait) => {},
                () = shutdown.cancelled() => {},
            }
            return;
        }
        tokio::select! {
            woken = self.inner.store.wait_for_wake(wait) => {
                if let Err(e) = woken {
                    warn!("redis unavailable while idle ({e})");
                    tokio::time::sleep(wait).await;
                }
            },
            // Redis times a blocking command out on its own clock tick (`hz`, 100 ms by default)
            // when it has nothing else to do, so an idle Redis answers late; our timer does not.
            () = tokio::time::sleep(wait + TIMER_SLACK) => {},
            () = shutdown.cancelled() => {},
        }
    }
}
