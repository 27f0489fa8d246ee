//! Each provider's limits, shared by every worker through Redis: a request budget (GCRA), pauses
//! after 429s, and the cap on jobs running at the provider at once. Every provider has its own
//! keys (`{provider:<name>}`), so one provider's 429 never holds back another's jobs.

use std::time::Duration;

use super::{scripts, Store, StoreResult};

/// What a provider request is for: submissions stop while the quota is exhausted, reads go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    Create,
    Read,
}

impl CallKind {
    /// As metrics name it.
    pub fn name(self) -> &'static str {
        match self {
            CallKind::Create => "create",
            CallKind::Read => "read",
        }
    }
}

/// The budget's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Go,
    /// Over the request rate, or every worker is paused after a 429.
    Wait(Duration),
    /// Submissions are paused: the provider said the quota is exhausted.
    QuotaPaused(Duration),
}

/// Which pause a 429 sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pause {
    /// rate_limit_exceeded: every request waits.
    Everything,
    /// insufficient_quota: submissions wait, polls of running jobs go on.
    Submissions,
}

impl Store {
    /// Takes one request from the provider's budget of `requests_per_minute` (0: no limit).
    pub async fn provider_budget(
        &self,
        provider: &str,
        kind: CallKind,
        requests_per_minute: u32,
    ) -> StoreResult<Admission> {
        let interval_ms = if requests_per_minute == 0 {
            0
        } else {
            60_000 / u64::from(requests_per_minute)
        };
        // Up to five seconds' worth of requests may go at once.
        let burst_ms = (u64::from(requests_per_minute) / 12).saturating_sub(1) * interval_ms;
        let mut conn = self.conn().await?;
        let (code, wait_ms): (i64, i64) = scripts::PROVIDER_BUDGET
            .key(self.keys.provider_budget(provider))
            .arg(interval_ms)
            .arg(burst_ms)
            .arg(match kind {
                CallKind::Create => "create",
                CallKind::Read => "read",
            })
            .invoke_async(&mut conn)
            .await?;
        let wait = Duration::from_millis(wait_ms.max(0) as u64);
        Ok(match code {
            0 => Admission::Go,
            2 => Admission::QuotaPaused(wait),
            _ => Admission::Wait(wait),
        })
    }

    /// Pauses requests to the provider for every worker for `length` (never shortening a longer
    /// pause).
    pub async fn pause_provider(
        &self,
        provider: &str,
        pause: Pause,
        length: Duration,
    ) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        let _: i64 = scripts::PROVIDER_PAUSE
            .key(self.keys.provider_budget(provider))
            .arg(match pause {
                Pause::Everything => "paused_until",
                Pause::Submissions => "quota_until",
            })
            .arg(length.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Whether a job may be submitted under the provider's in-flight cap; oldest jobs first.
    pub async fn admit(
        &self,
        provider: &str,
        job_id: &str,
        created_ms: i64,
        cap: u32,
        forget_in_flight_after: Duration,
        forget_waiting_after: Duration,
    ) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let admitted: i64 = scripts::ADMIT
            .key(self.keys.in_flight(provider))
            .key(self.keys.waiting(provider))
            .arg(job_id)
            .arg(created_ms)
            .arg(cap)
            .arg(forget_in_flight_after.as_millis() as u64)
            .arg(forget_waiting_after.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(admitted == 1)
    }

    /// Marks an admitted job as still running at the provider.
    pub async fn touch_in_flight(
        &self,
        provider: &str,
        job_id: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        let _: i64 = redis::cmd("ZADD")
            .arg(self.keys.in_flight(provider))
            .arg("XX")
            .arg(now_ms)
            .arg(job_id)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Frees a final job's provider slot, or its place in the waiting line.
    pub async fn leave_in_flight(&self, provider: &str, job_id: &str) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        redis::pipe()
            .zrem(self.keys.in_flight(provider), job_id)
            .ignore()
            .zrem(self.keys.waiting(provider), job_id)
            .ignore()
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }
}
