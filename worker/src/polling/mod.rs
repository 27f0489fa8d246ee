//! Polling: driving each claimed job one step at its provider. A poll ([`job`]) submits a job
//! that has no video yet ([`submission`], recovering one whose answer was lost: [`recovery`]) or
//! reads its video's state, confirms a completion's content ([`completion`]), decides the job's
//! next state and next poll ([`transition`], [`pacing`]), and hands the result to the group
//! committer ([`commit`]). Every provider call passes the provider's gate first ([`gate`]); a
//! routed job may move along its route ([`failover`]).

mod cancel;
mod claimed;
mod commit;
mod completion;
mod failover;
mod gate;
pub(crate) mod health;
mod job;
mod keeping;
mod log;
mod pacing;
mod recovery;
mod runtimes;
mod submission;
pub mod transition;

use std::sync::Arc;

use relay_shared::provider::{Provider, Providers};
use relay_shared::store::{Queue, Store};
use tokio_util::sync::CancellationToken;
use tracing::info;

/// The job fields a claim returns, and their older layout (for tools that call the store as a
/// worker does).
pub use claimed::CLAIM_FIELDS;
pub use commit::Committer;
pub use gate::{InFlightTimes, ProviderGate};

use crate::claims::{Loop, Wake};
use crate::Worker;

/// A configured provider, the gate its calls pass, and its models' recent run times.
pub struct GatedProvider {
    pub provider: Provider,
    pub gate: ProviderGate,
    pub runtimes: runtimes::RuntimeCache,
}

/// Every configured provider, each with its gate.
pub fn gate_all(providers: &Providers, times: InFlightTimes, store: &Store) -> Vec<GatedProvider> {
    providers
        .iter()
        .map(|provider| GatedProvider {
            gate: ProviderGate::new(provider.name, provider.limits, times, store.clone()),
            provider: provider.clone(),
            runtimes: runtimes::RuntimeCache::default(),
        })
        .collect()
}

impl Worker {
    pub(crate) async fn poll_loop(self, shutdown: CancellationToken) {
        let spec = Loop {
            queue: Queue::Jobs,
            fields: CLAIM_FIELDS,
            slots: self.inner.settings.polling.concurrency,
        };
        self.claim_loop(
            spec,
            Wake::Redis,
            shutdown,
            |worker, round, mut permits, running| {
                info!("🔄 Polling {} job(s)...", round.items.len());
                let token: Arc<str> = round.token.into();
                for item in round.items {
                    let permit = permits.split(1).expect("one slot per claimed item");
                    let tracked = worker
                        .inner
                        .held
                        .track(Queue::Jobs, &item.job, token.clone());
                    let (worker, token) = (worker.clone(), token.clone());
                    running.spawn(async move {
                        worker.poll_job(item, &token, round.now_ms).await;
                        drop((permit, tracked));
                    });
                }
            },
        )
        .await;
    }

    /// The configured provider called `name`, with its gate.
    pub(crate) fn provider(&self, name: &str) -> Option<&GatedProvider> {
        self.inner
            .providers
            .iter()
            .find(|p| p.provider.name == name)
    }
}
