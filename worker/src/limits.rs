//! The provider's limits as the worker meets them: every request first takes its place in the
//! global budget (short waits are slept here, long ones defer the job), 429s pause every worker,
//! and the in-flight cap admits submissions oldest first.

use std::time::Duration;

use relay_shared::provider::ProviderError;
use relay_shared::store::{Admission, CallKind, Pause};
use tracing::{error, warn};

use crate::Worker;

/// Waits up to this long inside the job's task; longer waits reschedule the job instead.
const MAX_INLINE_WAIT: Duration = Duration::from_secs(2);
/// Pause after a 429 that names no Retry-After.
const DEFAULT_429_PAUSE: Duration = Duration::from_secs(5);

impl Worker {
    /// Takes one request from the shared budget. `Err(wait)`: defer the job by `wait`.
    pub(crate) async fn budget(&self, kind: CallKind) -> Result<(), Duration> {
        let rpm = self.inner.settings.sora_max_rpm;
        loop {
            match self.inner.store.provider_budget(kind, rpm).await {
                Ok(Admission::Go) => return Ok(()),
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
        let forget = self.forget_in_flight_after();
        match self
            .inner
            .store
            .admit(job_id, created_ms, cap, forget, forget)
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
