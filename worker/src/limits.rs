//! The provider's limits as the worker meets them: every request first takes its place in the
//! global budget (short waits are slept here, long ones defer the job), 429s pause every worker,
//! and the in-flight cap admits submissions oldest first.
//!
//! Without a request budget (`SORA_MAX_RPM=0`) only the shared pauses matter, so a "no pause in
//! force" answer is reused for [`PAUSE_CHECK_EVERY`] instead of asking Redis before every request:
//! a 429 seen by another worker reaches this one within that time.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use relay_shared::provider::ProviderError;
use relay_shared::store::{Admission, CallKind, Pause};
use tracing::{error, warn};

use crate::Worker;

/// Waits up to this long inside the job's task; longer waits reschedule the job instead.
const MAX_INLINE_WAIT: Duration = Duration::from_secs(2);
/// Pause after a 429 that names no Retry-After.
const DEFAULT_429_PAUSE: Duration = Duration::from_secs(5);
/// How long a "no pause in force" answer is trusted when there is no request budget.
pub const PAUSE_CHECK_EVERY: Duration = Duration::from_millis(100);

/// Until when each kind of call is known to be free to go (no budget, no pause).
#[derive(Default)]
pub struct ClearUntil(Mutex<[Option<Instant>; 2]>);

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

impl Worker {
    /// Takes one request from the shared budget. `Err(wait)`: defer the job by `wait`.
    pub(crate) async fn budget(&self, kind: CallKind) -> Result<(), Duration> {
        let rpm = self.inner.settings.sora_max_rpm;
        let clear = &self.inner.clear_until;
        if rpm == 0 && clear.is_clear(kind) {
            return Ok(());
        }
        loop {
            match self.inner.store.provider_budget(kind, rpm).await {
                Ok(Admission::Go) => {
                    if rpm == 0 {
                        clear.set(kind, Some(Instant::now() + PAUSE_CHECK_EVERY));
                    }
                    return Ok(());
                }
                Ok(Admission::Wait(wait)) if wait <= MAX_INLINE_WAIT => {
                    tokio::time::sleep(wait).await;
                }
                Ok(Admission::Wait(wait) | Admission::QuotaPaused(wait)) => return Err(wait),
                Err(e) => {
                    warn!("cannot read the provider budget ({e}); holding the request back");
                    return Err(Duration::from_secs(1));
                }
            }
        }
    }

    /// Shares what a provider error says about its limits with every worker.
    pub(crate) async fn note_provider_error(&self, e: &ProviderError) {
        let store = &self.inner.store;
        if matches!(
            e,
            ProviderError::RateLimited { .. } | ProviderError::QuotaExhausted { .. }
        ) {
            self.inner.clear_until.forget();
        }
        let paused = match e {
            ProviderError::RateLimited { retry_after, .. } => {
                let length = retry_after.unwrap_or(DEFAULT_429_PAUSE);
                warn!("⏸️ provider rate limit hit: every worker pauses for {length:?}");
                store.pause_provider(Pause::Everything, length).await
            }
            ProviderError::QuotaExhausted { message } => {
                let length = Duration::from_secs(self.inner.settings.sora_quota_pause_secs);
                error!("🚨 PROVIDER QUOTA EXHAUSTED ({message}): submissions pause for {length:?}; running jobs are still polled. Fix billing, then restart workers or wait.");
                store.pause_provider(Pause::Submissions, length).await
            }
            _ => Ok(()),
        };
        if let Err(e) = paused {
            warn!("could not share the provider pause: {e}");
        }
    }

    /// Whether the job may be submitted under `SORA_MAX_IN_FLIGHT`. `Err(wait)`: not yet.
    pub(crate) async fn admit(&self, job_id: &str, created_ms: i64) -> Result<(), Duration> {
        let settings = &self.inner.settings;
        let cap = settings.sora_max_in_flight;
        if cap == 0 {
            return Ok(());
        }
        let retry = settings.poll_initial().min(Duration::from_secs(1));
        // A waiter keeps its place until it is admitted or ends (timed out, at the latest, when
        // it is older than the maximum age: its poll then removes it from the line).
        let forget_waiting = Duration::from_secs(settings.job_max_age_secs) + self.lease();
        match self
            .inner
            .store
            .admit(
                job_id,
                created_ms,
                cap,
                self.forget_in_flight_after(),
                forget_waiting,
            )
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(retry),
            Err(e) => {
                warn!(
                    job = job_id,
                    "cannot check the in-flight cap ({e}); holding the job back"
                );
                Err(retry)
            }
        }
    }

    /// After a poll: a final job frees its slot; a running one shows it is still alive.
    pub(crate) async fn account_in_flight(&self, job_id: &str, is_final: bool, now_ms: i64) {
        if self.inner.settings.sora_max_in_flight == 0 {
            return;
        }
        let store = &self.inner.store;
        let result = if is_final {
            store.leave_in_flight(job_id).await
        } else {
            store.touch_in_flight(job_id, now_ms).await
        };
        if let Err(e) = result {
            warn!(
                job = job_id,
                "could not update the in-flight set ({e}); it heals itself"
            );
        }
    }

    /// An in-flight entry not refreshed for this long belonged to a job whose end went unrecorded.
    fn forget_in_flight_after(&self) -> Duration {
        self.inner.settings.poll_max() * 3 + self.lease()
    }
}
