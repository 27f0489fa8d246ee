//! A provider's limits as the worker meets them: every request first takes its place in the
//! provider's budget (short waits are slept here, long ones defer the job), 429s pause every
//! worker's requests to that provider, and the in-flight cap admits submissions oldest first.
//! One [`ProviderGate`] per provider, owning its limits and its pause clock.
//!
//! Without a request budget (`max_rpm` 0) only the shared pauses matter, so a "no pause in force"
//! answer is reused for [`PAUSE_CHECK_EVERY`] instead of asking Redis before every request: a 429
//! seen by another worker reaches this one within that time.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use relay_shared::config::PollingSettings;
use relay_shared::provider::{ProviderError, ProviderLimits};
use relay_shared::store::{Admission, CallKind, Pause, Store};
use relay_shared::telemetry::metrics;
use tracing::{error, warn};

use super::health::HealthNotes;

/// Waits up to this long inside the job's task; longer waits reschedule the job instead.
const MAX_INLINE_WAIT: Duration = Duration::from_secs(2);
/// Pause after a 429 that names no Retry-After.
const DEFAULT_429_PAUSE: Duration = Duration::from_secs(5);
/// How long a "no pause in force" answer is trusted when there is no request budget.
const PAUSE_CHECK_EVERY: Duration = Duration::from_millis(100);

/// How long the in-flight cap's entries live, from the polling settings.
#[derive(Clone, Copy, Debug)]
pub struct InFlightTimes {
    /// A job held back by the cap is looked at again after this long.
    pub retry: Duration,
    /// A waiter keeps its place until it is admitted or ends (at the latest, when it is older
    /// than the maximum age: its poll then removes it from the line).
    pub forget_waiting: Duration,
    /// An in-flight entry not refreshed for this long belonged to a job whose end went
    /// unrecorded.
    pub forget_in_flight: Duration,
}

impl InFlightTimes {
    pub fn from_settings(polling: &PollingSettings) -> Self {
        let lease = polling.job_lease;
        Self {
            retry: polling.initial_interval.min(Duration::from_secs(1)),
            forget_waiting: polling.job_max_age + lease,
            forget_in_flight: polling.max_interval * 3 + lease,
        }
    }
}

pub struct ProviderGate {
    provider: &'static str,
    limits: ProviderLimits,
    times: InFlightTimes,
    store: Store,
    clear_until: ClearUntil,
    /// What this worker tells the others of the provider's key and models.
    pub health: HealthNotes,
}

impl ProviderGate {
    pub fn new(
        provider: &'static str,
        limits: ProviderLimits,
        times: InFlightTimes,
        store: Store,
    ) -> Self {
        Self {
            provider,
            limits,
            times,
            store,
            clear_until: ClearUntil::default(),
            health: HealthNotes::default(),
        }
    }

    /// Takes one request from the provider's budget. `Err(wait)`: defer the job by `wait`.
    pub async fn budget(&self, kind: CallKind) -> Result<(), Duration> {
        self.take(kind).await.map_err(Held::wait)
    }

    /// As [`Self::budget`], saying whether submissions are held because the quota is exhausted
    /// (a routed job then moves on rather than wait).
    pub async fn take(&self, kind: CallKind) -> Result<(), Held> {
        let rpm = self.limits.max_rpm;
        let clear = &self.clear_until;
        if rpm == 0 && clear.is_clear(kind) {
            return Ok(());
        }
        loop {
            match self.store.provider_budget(self.provider, kind, rpm).await {
                Ok(Admission::Go) => {
                    if rpm == 0 {
                        clear.set(kind, Some(Instant::now() + PAUSE_CHECK_EVERY));
                    }
                    return Ok(());
                }
                Ok(Admission::Wait(wait)) if wait <= MAX_INLINE_WAIT => {
                    metrics::budget_wait(self.provider, kind.name(), "slept");
                    tokio::time::sleep(wait).await;
                }
                Ok(Admission::Wait(wait)) => {
                    metrics::budget_wait(self.provider, kind.name(), "deferred");
                    return Err(Held::Wait(wait));
                }
                Ok(Admission::QuotaPaused(wait)) => {
                    metrics::budget_wait(self.provider, kind.name(), "deferred");
                    return Err(Held::Quota(wait));
                }
                Err(e) => {
                    warn!(
                        provider = self.provider,
                        "cannot read the provider budget ({e}); holding the request back"
                    );
                    return Err(Held::Wait(Duration::from_secs(1)));
                }
            }
        }
    }

    /// The provider answered a call (a create: `model` took it).
    pub async fn note_answer(&self, model: Option<&str>) {
        self.health
            .answered(&self.store, self.provider, model)
            .await;
    }

    /// Shares what a provider error says about its limits, its key and its models with every
    /// worker.
    pub async fn note_error(&self, e: &ProviderError) {
        let provider = self.provider;
        self.health.failed(&self.store, provider, e).await;
        if matches!(
            e,
            ProviderError::RateLimited { .. } | ProviderError::QuotaExhausted { .. }
        ) {
            self.clear_until.forget();
        }
        let paused = match e {
            ProviderError::RateLimited { retry_after, .. } => {
                let length = retry_after.unwrap_or(DEFAULT_429_PAUSE);
                metrics::provider_paused(provider, "rate_limited");
                warn!(
                    "⏸️ {provider} rate limit hit: every worker pauses its requests for {length:?}"
                );
                self.store
                    .pause_provider(provider, Pause::Everything, length)
                    .await
            }
            ProviderError::QuotaExhausted { message } => {
                let length = self.limits.quota_pause;
                metrics::provider_paused(provider, "quota");
                error!("🚨 PROVIDER QUOTA EXHAUSTED at {provider} ({message}): submissions pause for {length:?}; running jobs are still polled. Fix billing, then restart workers or wait.");
                self.store
                    .pause_provider(provider, Pause::Submissions, length)
                    .await
            }
            _ => Ok(()),
        };
        if let Err(e) = paused {
            warn!(provider, "could not share the provider pause: {e}");
        }
    }

    /// Whether the job may be submitted under the provider's in-flight cap. `Err(wait)`: not yet.
    pub async fn admit(&self, job_id: &str, created_ms: i64) -> Result<(), Duration> {
        let cap = self.limits.max_in_flight;
        if cap == 0 {
            return Ok(());
        }
        let times = self.times;
        match self
            .store
            .admit(
                self.provider,
                job_id,
                created_ms,
                cap,
                times.forget_in_flight,
                times.forget_waiting,
            )
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => {
                metrics::in_flight_hold(self.provider);
                Err(times.retry)
            }
            Err(e) => {
                warn!(
                    job = job_id,
                    "cannot check the in-flight cap ({e}); holding the job back"
                );
                Err(times.retry)
            }
        }
    }

    /// After a poll: a final job frees its slot; a running one shows it is still alive.
    pub async fn account(&self, job_id: &str, is_final: bool, now_ms: i64) {
        if self.limits.max_in_flight == 0 {
            return;
        }
        let result = if is_final {
            self.store.leave_in_flight(self.provider, job_id).await
        } else {
            self.store
                .touch_in_flight(self.provider, job_id, now_ms)
                .await
        };
        if let Err(e) = result {
            warn!(
                job = job_id,
                "could not update the in-flight set ({e}); it heals itself"
            );
        }
    }
}

/// Why the budget held a call back, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    /// Over the request rate, or paused after a 429.
    Wait(Duration),
    /// Submissions are paused: the provider's quota is exhausted.
    Quota(Duration),
}

impl Held {
    pub fn wait(self) -> Duration {
        match self {
            Held::Wait(wait) | Held::Quota(wait) => wait,
        }
    }
}

/// Until when each kind of call is known to be free to go (no budget, no pause).
#[derive(Default)]
struct ClearUntil(Mutex<[Option<Instant>; 2]>);

impl ClearUntil {
    fn slot(kind: CallKind) -> usize {
        match kind {
            CallKind::Create => 0,
            CallKind::Read => 1,
        }
    }

    fn is_clear(&self, kind: CallKind) -> bool {
        let until = self.0.lock().unwrap_or_else(|p| p.into_inner())[Self::slot(kind)];
        until.is_some_and(|t| Instant::now() < t)
    }

    fn set(&self, kind: CallKind, until: Option<Instant>) {
        self.0.lock().unwrap_or_else(|p| p.into_inner())[Self::slot(kind)] = until;
    }

    fn forget(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = [None, None];
    }
}
