//! Webhook delivery: the second claim loop of a worker. Each job has an outbox of undelivered
//! events; a claimed outbox sends its head event ([`attempt`]), signed with the tenant's keys or
//! the deployment's ([`signing`]), through the guarded HTTP client ([`sender`]), and the outcome
//! is recorded under the claim.

mod attempt;
mod entry;
mod sender;
mod signing;

use std::sync::Arc;

use relay_shared::store::Queue;
use tokio_util::sync::CancellationToken;

pub use attempt::CLAIM_FIELDS;
pub use sender::WebhookSender;
pub use signing::TenantSigningKeys;

use crate::claims::{Loop, Wake};
use crate::Worker;

impl Worker {
    pub(crate) async fn delivery_loop(self, shutdown: CancellationToken) {
        // One slot per webhook being sent: WEBHOOK_CONCURRENCY bounds the sends of this process,
        // however they are batched.
        let spec = Loop {
            queue: Queue::Deliveries,
            fields: CLAIM_FIELDS,
            slots: self.inner.settings.webhooks.concurrency,
        };
        self.claim_loop(
            spec,
            Wake::Local,
            shutdown,
            |worker, round, permits, running| {
                let token: Arc<str> = round.token.into();
                let tracked: Vec<_> = round
                    .items
                    .iter()
                    .map(|item| {
                        worker
                            .inner
                            .held
                            .track(Queue::Deliveries, &item.job, token.clone())
                    })
                    .collect();
                let worker = worker.clone();
                running.spawn(async move {
                    worker
                        .deliver_batch(round.items, &token, round.now_ms, Some(permits))
                        .await;
                    drop(tracked);
                });
            },
        )
        .await;
    }
}
