//! `relay-worker`: claims due jobs from the Redis schedule, drives them at the video provider and
//! delivers their webhooks. Run any number of workers; they coordinate only through Redis.
//!
//! Two loops share one process: polling (bounded by `worker_concurrency`) and webhook delivery
//! (bounded by `webhook_concurrency`), each claiming batches from its own lease queue, so a slow
//! receiver never slows polling. Idle loops sleep until the earliest due item, and are woken early
//! by new or forced jobs (a blocking pop on the wake list) or by this process's own new events.

mod claiming;
mod commit;
mod completion;
mod deliver;
mod housekeeping;
mod lease;
mod limits;
mod pacing;
mod poll;
mod recovery;
mod sender;
mod tenants;
pub mod transition;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use relay_shared::provider::openai::OpenAiVideos;
use relay_shared::provider::VideoProvider;
use relay_shared::store::{Queue, Store};
use relay_shared::Settings;
use secrecy::ExposeSecret;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use claiming::{Claimer, Round};
use lease::InFlight;
/// The job fields a claim returns, and their older layout (for tools that call the store as a
/// worker does).
pub use poll::CLAIM_FIELDS;
pub use sender::WebhookSender;
use transition::{Backoff, Policy};

/// How much later than a blocking wait's own timeout the local timer ends it.
const TIMER_SLACK: Duration = Duration::from_millis(2);

/// Most items one `run_once` claims of each kind.
const RUN_ONCE_LIMIT: usize = 100_000;

#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    store: Store,
    provider: Arc<dyn VideoProvider>,
    webhooks: WebhookSender,
    policy: Policy,
    worker_id: String,
    claims: AtomicU64,
    deliveries_waiting: Notify,
    in_flight: Arc<InFlight>,
    clear_until: limits::ClearUntil,
    /// Started on first use, on the runtime that polls.
    committer: OnceLock<commit::Committer>,
    tenant_keys: tenants::TenantKeys,
}

/// What one `run_once` did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub polled: usize,
    pub delivered: usize,
}

impl Worker {
    /// A worker speaking the OpenAI Videos API at `settings.openai_base_url`.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let provider = OpenAiVideos::new(
            &settings.openai_base_url,
            settings.openai_api_key.clone(),
            Duration::from_millis(settings.provider_timeout_ms),
        )
        .context("building the provider HTTP client")?;
        Self::with_provider(settings, Arc::new(provider))
    }

    /// A worker driving jobs at any provider.
    pub fn with_provider(
        settings: Settings,
        provider: Arc<dyn VideoProvider>,
    ) -> anyhow::Result<Self> {
        let store = Store::connect(&settings)?;
        let webhooks = WebhookSender::new(
            settings.webhook_secret.expose_secret(),
            &settings.webhook_allowed_nets,
            Duration::from_millis(settings.webhook_timeout_ms),
        )
        .context("building the webhook sender")?;
        let policy = Policy {
            backoff: Backoff {
                initial: settings.poll_initial(),
                max: settings.poll_max(),
            },
            failure_limit: Duration::from_secs(settings.provider_failure_max_secs),
        };
        let worker_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                store,
                provider,
                webhooks,
                policy,
                worker_id,
                claims: AtomicU64::new(0),
                deliveries_waiting: Notify::new(),
                in_flight: Arc::default(),
                clear_until: limits::ClearUntil::default(),
                committer: OnceLock::new(),
                tenant_keys: tenants::TenantKeys::default(),
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

    fn committer(&self) -> &commit::Committer {
        self.inner
            .committer
            .get_or_init(|| commit::Committer::start(self.inner.store.clone()))
    }

    fn lease(&self) -> Duration {
        Duration::from_millis(self.inner.settings.job_lease_ms)
    }

    /// Polls every job due now once, then delivers every webhook due now. For tests and tools
    /// that drive the worker step by step instead of letting it loop.
    pub async fn run_once(&self) -> anyhow::Result<Pass> {
        let store = &self.inner.store;
        let want = RUN_ONCE_LIMIT;
        let mut jobs = Claimer::new(Queue::Jobs, poll::CLAIM_FIELDS, self.lease());
        let round = jobs.round(store, want, self.next_token()).await?;
        let polled = round.items.len();
        futures_util::future::join_all(
            round
                .items
                .into_iter()
                .map(|(p, item)| self.poll_job(p, item, &round.token, round.now_ms)),
        )
        .await;
        let mut deliveries = Claimer::new(Queue::Deliveries, deliver::CLAIM_FIELDS, self.lease());
        let round = deliveries.round(store, want, self.next_token()).await?;
        let delivered = self
            .deliver_batch(round.items, &round.token, round.now_ms, None)
            .await;
        Ok(Pass { polled, delivered })
    }

    /// Runs both loops until `shutdown` is cancelled, then lets in-flight work finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let s = &self.inner.settings;
        info!(
            "🔍 Starting Sora API polling service (worker {})...",
            self.id()
        );
        info!(
            "✅ Sora polling service started (interval: {}ms, max {}ms, concurrency {}, provider {})",
            s.poll_initial_interval_ms, s.poll_max_interval_ms, s.worker_concurrency, relay_shared::redact::url(&s.openai_base_url)
        );
        match s.webhook_url() {
            Some(url) => info!("📮 Webhooks go to {}", relay_shared::redact::url(url)),
            None => warn!("WEBHOOK_URL is not set: no webhooks will be sent"),
        }
        let polls = tokio::spawn(self.clone().poll_loop(shutdown.clone()));
        let deliveries = tokio::spawn(self.clone().delivery_loop(shutdown.clone()));
        let housekeeping = tokio::spawn(self.clone().housekeeping_loop(shutdown));
        let (polls, deliveries, housekeeping) = tokio::join!(polls, deliveries, housekeeping);
        polls?;
        deliveries?;
        housekeeping?;
        info!("👋 worker {} stopped", self.id());
        Ok(())
    }

    async fn poll_loop(self, shutdown: CancellationToken) {
        let limit = self.inner.settings.worker_concurrency;
        let mut claimer = Claimer::new(Queue::Jobs, poll::CLAIM_FIELDS, self.lease());
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
                self.sleep_until_due(round.next_due_in, &shutdown, false)
                    .await;
                continue;
            }
            info!("🔄 Polling {} Sora job(s)...", round.items.len());
            let token: Arc<str> = round.token.into();
            for (partition, item) in round.items {
                let permit = slots
                    .clone()
                    .try_acquire_owned()
                    .expect("claimed within free slots");
                let tracked =
                    self.inner
                        .in_flight
                        .track(Queue::Jobs, partition, &item.id, token.clone());
                let (worker, token) = (self.clone(), token.clone());
                running.spawn(async move {
                    worker.poll_job(partition, item, &token, round.now_ms).await;
                    drop((permit, tracked));
                });
            }
        }
        self.drain(running, Queue::Jobs).await;
    }

    async fn delivery_loop(self, shutdown: CancellationToken) {
        // One slot per webhook being sent: WEBHOOK_CONCURRENCY bounds the sends of this process,
        // however they are batched.
        let limit = self.inner.settings.webhook_concurrency;
        let mut claimer = Claimer::new(Queue::Deliveries, deliver::CLAIM_FIELDS, self.lease());
        let slots = Arc::new(Semaphore::new(limit));
        let batch = (limit / 4).max(1);
        let mut running = JoinSet::new();
        while !shutdown.is_cancelled() {
            while running.try_join_next().is_some() {}
            let free = slots.available_permits();
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
                self.sleep_until_due(round.next_due_in, &shutdown, true)
                    .await;
                continue;
            }
            let permits = slots
                .clone()
                .try_acquire_many_owned(round.items.len() as u32)
                .expect("claimed within free slots");
            let token: Arc<str> = round.token.into();
            let tracked: Vec<_> = round
                .items
                .iter()
                .map(|(p, item)| {
                    self.inner
                        .in_flight
                        .track(Queue::Deliveries, *p, &item.id, token.clone())
                })
                .collect();
            let worker = self.clone();
            running.spawn(async move {
                worker
                    .deliver_batch(round.items, &token, round.now_ms, Some(permits))
                    .await;
                drop(tracked);
            });
        }
        self.drain(running, Queue::Deliveries).await;
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

    /// Sleeps until the earliest due item (capped), or until woken: by a new or forced job from
    /// the wake list (polls), or by this process's own new webhook events (deliveries).
    async fn sleep_until_due(
        &self,
        next_due_in: Option<Duration>,
        shutdown: &CancellationToken,
        deliveries: bool,
    ) {
        let cap = Duration::from_millis(self.inner.settings.worker_idle_max_ms);
        let wait = next_due_in.unwrap_or(cap).min(cap);
        if wait.is_zero() {
            return;
        }
        if deliveries {
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

impl Worker {
    /// Lets in-flight work finish within the shutdown grace, then stops whatever is left and hands
    /// its claims back, due now, for another worker.
    async fn drain(&self, mut running: JoinSet<()>, queue: Queue) {
        if running.is_empty() {
            return;
        }
        let what = match queue {
            Queue::Jobs => "polls",
            Queue::Deliveries => "webhook deliveries",
        };
        info!("waiting for {} in-flight {what}", running.len());
        let grace = Duration::from_millis(self.inner.settings.worker_shutdown_grace_ms);
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
