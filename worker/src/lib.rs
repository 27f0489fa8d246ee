//! `relay-worker`: claims due jobs from the Redis schedule, drives them at their video providers
//! and delivers their webhooks. Run any number of workers; they coordinate only through Redis.
//!
//! The rooms: `claims` (the claim loop both kinds of work share: rounds, leases, drain),
//! `polling` (one job's step at its provider, the transition policy, each provider's gate, the
//! group committer), `delivery` (one webhook attempt, the sender, signing keys) and
//! `housekeeping`. Claim loops share one process: polling (bounded by `worker_concurrency`),
//! webhook delivery (bounded by `webhook_concurrency`) and, when kept videos expire, their
//! deletion (`retention`), each on its own lease queue, so a slow receiver never slows polling. Idle loops sleep until the earliest due item, and are woken early
//! by new or forced jobs (a blocking pop on the wake list) or by this process's own new events.

mod claims;
mod delivery;
mod housekeeping;
mod polling;
mod retention;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use relay_shared::content::Custody;
use relay_shared::provider::{Provider, Providers, VideoProvider};
use relay_shared::store::{Queue, Store};
use relay_shared::Settings;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use claims::{Claimer, Held};
use delivery::TenantSigningKeys;
pub use delivery::WebhookSender;
use polling::transition::{Backoff, Policy};
/// The job fields a claim returns, and their older layout (for tools that call the store as a
/// worker does).
pub use polling::CLAIM_FIELDS;
use polling::{Committer, GatedProvider, InFlightTimes};

/// Most items one `run_once` claims of each kind.
const RUN_ONCE_LIMIT: usize = 100_000;

#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    store: Store,
    /// Every configured provider with its gate; jobs name theirs.
    providers: Vec<GatedProvider>,
    policy: Policy,
    webhooks: WebhookSender,
    signing_keys: TenantSigningKeys,
    worker_id: String,
    claims: AtomicU64,
    deliveries_waiting: tokio::sync::Notify,
    /// The claims this process holds, to hand back if it stops mid-work.
    held: Arc<Held>,
    /// Started on first use, on the runtime that polls.
    committer: OnceLock<Committer>,
    /// Where finished videos are kept (`CONTENT_STORE`); `None`: they are not.
    custody: Option<Custody>,
    /// Copies into the content store in flight (`CONTENT_COPY_CONCURRENCY`).
    copies: tokio::sync::Semaphore,
}

/// What one `run_once` did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub polled: usize,
    pub delivered: usize,
}

impl Worker {
    /// A worker driving jobs at every provider the settings configure.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let providers = Providers::from_settings(&settings)?;
        Self::with_providers(settings, providers)
    }

    /// A worker whose only provider is the default one (`PROVIDER`, with its defaults and limits
    /// from the settings, its key not needed) served by `adapter`: a test's or benchmark's own
    /// provider.
    pub fn with_provider(
        settings: Settings,
        adapter: Arc<dyn VideoProvider>,
    ) -> anyhow::Result<Self> {
        let (name, account) = settings
            .accounts()
            .into_iter()
            .find(|(name, _)| *name == settings.providers.default)
            .context("PROVIDER names no provider")?;
        let provider = Provider::configured(name, account, adapter);
        Self::with_providers(settings, Providers::single(provider))
    }

    /// A worker driving jobs at these providers.
    pub fn with_providers(settings: Settings, providers: Providers) -> anyhow::Result<Self> {
        let store = Store::connect(&settings)?;
        let webhooks = WebhookSender::from_settings(&settings.webhooks)
            .context("building the webhook sender")?;
        let polling = &settings.polling;
        let policy = Policy {
            backoff: Backoff {
                initial: polling.initial_interval,
                max: polling.max_interval,
            },
            failure_limit: settings.providers.failure_max,
        };
        let in_flight_times = InFlightTimes::from_settings(polling);
        let worker_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let custody = Custody::from_settings(&settings).map_err(anyhow::Error::msg)?;
        let copies = tokio::sync::Semaphore::new(settings.content.copy_concurrency);
        Ok(Self {
            inner: Arc::new(Inner {
                providers: polling::gate_all(&providers, in_flight_times, &store),
                signing_keys: TenantSigningKeys::new(store.clone()),
                settings,
                store,
                policy,
                webhooks,
                worker_id,
                claims: AtomicU64::new(0),
                deliveries_waiting: tokio::sync::Notify::new(),
                held: Arc::default(),
                committer: OnceLock::new(),
                custody,
                copies,
            }),
        })
    }

    /// Overrides the polling waits of the settings, which must be positive; zero re-schedules
    /// every poll due at once (benchmarks: the W1 workload). Call before cloning the worker.
    pub fn with_poll_waits(mut self, initial: Duration, max: Duration) -> Self {
        let inner = Arc::get_mut(&mut self.inner).expect("with_poll_waits before cloning");
        inner.policy.backoff = Backoff { initial, max };
        self
    }

    pub fn id(&self) -> &str {
        &self.inner.worker_id
    }

    /// A claim token no other claim ever had.
    fn next_token(&self) -> String {
        let n = self.inner.claims.fetch_add(1, Ordering::Relaxed);
        format!("{}.{n}", self.inner.worker_id)
    }

    fn committer(&self) -> &Committer {
        self.inner
            .committer
            .get_or_init(|| Committer::start(self.inner.store.clone()))
    }

    fn lease(&self) -> Duration {
        self.inner.settings.polling.job_lease
    }

    /// Polls every job due now once, then delivers every webhook due now. For tests and tools
    /// that drive the worker step by step instead of letting it loop.
    pub async fn run_once(&self) -> anyhow::Result<Pass> {
        let store = &self.inner.store;
        let want = RUN_ONCE_LIMIT;
        let mut jobs = Claimer::new(Queue::Jobs, CLAIM_FIELDS, self.lease());
        let round = jobs.round(store, want, self.next_token()).await?;
        let polled = round.items.len();
        futures_util::future::join_all(
            round
                .items
                .into_iter()
                .map(|item| self.poll_job(item, &round.token, round.now_ms)),
        )
        .await;
        let mut deliveries = Claimer::new(Queue::Deliveries, delivery::CLAIM_FIELDS, self.lease());
        let round = deliveries.round(store, want, self.next_token()).await?;
        let delivered = self
            .deliver_batch(round.items, &round.token, round.now_ms, None)
            .await;
        Ok(Pass { polled, delivered })
    }

    /// Runs both loops until `shutdown` is cancelled, then lets in-flight work finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let s = &self.inner.settings;
        info!("🔍 Starting the polling service (worker {})...", self.id());
        let providers: Vec<String> = self
            .inner
            .providers
            .iter()
            .map(|p| {
                let name = p.provider.name;
                let url = s
                    .account(name)
                    .map_or(String::new(), |a| relay_shared::redact::url(&a.base_url));
                format!("{name} at {url}")
            })
            .collect();
        info!(
            "✅ Video polling service started (interval: {}ms, max {}ms, concurrency {}); providers enabled: {} (default {})",
            s.polling.initial_interval.as_millis(), s.polling.max_interval.as_millis(), s.polling.concurrency, providers.join(", "), s.providers.default
        );
        if self.inner.custody.is_some() {
            let retention = s
                .content
                .retention
                .map_or("kept until deleted".to_owned(), |r| {
                    format!("deleted after {:.2} days", r.as_secs_f64() / 86_400.0)
                });
            info!(
                "📦 Finished videos are kept in {:?} ({retention}; links: {:?})",
                s.content.store, s.content.link
            );
        }
        match &s.webhooks.url {
            Some(url) => info!("📮 Webhooks go to {}", relay_shared::redact::url(url)),
            None => warn!("WEBHOOK_URL is not set: no webhooks will be sent"),
        }
        let checked = self.clone();
        tokio::spawn(async move {
            polling::health::check_keys(&checked.inner.store, &checked.inner.providers).await
        });
        let polls = tokio::spawn(self.clone().poll_loop(shutdown.clone()));
        let deliveries = tokio::spawn(self.clone().delivery_loop(shutdown.clone()));
        let retention = tokio::spawn(self.clone().retention_loop(shutdown.clone()));
        let housekeeping = tokio::spawn(self.clone().housekeeping_loop(shutdown));
        let (polls, deliveries, retention, housekeeping) =
            tokio::join!(polls, deliveries, retention, housekeeping);
        polls?;
        deliveries?;
        retention?;
        housekeeping?;
        info!("👋 worker {} stopped", self.id());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use relay_shared::provider::openai::OpenAiVideos;
    use relay_shared::provider::HttpAdapter;

    use super::*;

    /// Benchmarks and tests bring their own adapter: the default provider's key is not needed
    /// (W1 and W2 build their workers so, without one).
    #[tokio::test]
    async fn a_worker_with_its_own_adapter_needs_no_provider_key() {
        let env = HashMap::from([("PROVIDER".to_owned(), "fal".to_owned())]);
        let settings = Settings::from_sources(None, &env).unwrap();
        assert!(settings.enabled_providers().is_err(), "no key is set");
        let adapter = OpenAiVideos::new(
            "http://127.0.0.1:9/v1",
            String::new().into(),
            Duration::from_secs(1),
        )
        .unwrap();
        let worker = Worker::with_provider(settings, Arc::new(adapter)).unwrap();
        let names: Vec<&str> = worker
            .inner
            .providers
            .iter()
            .map(|p| p.provider.name)
            .collect();
        assert_eq!(names, ["fal"]);
    }
}
