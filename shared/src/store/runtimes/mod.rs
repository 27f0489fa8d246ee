//! How long each provider's model takes lately, from job creation to completion: what the relay's
//! progress estimate divides by for providers that report no progress (`crate::job::Estimate`).
//! One hash per provider (`{provider:<name>}:runtimes`, model → ms), one O(1) update per
//! completed job and one read per submission (cached by the worker).

use redis::AsyncCommands;

use super::layout::field;
use super::{scripts, JobRef, Store, StoreResult};

/// The weight of each new job in the recent mean.
const NEW_JOB_WEIGHT: f64 = 0.2;
/// Run times kept per model for its percentiles.
pub const RUNTIME_SAMPLES: usize = 200;

impl Store {
    /// The recent run time of `model` at `provider`, in ms; `None` before any job of it completed.
    pub async fn expected_runtime(&self, provider: &str, model: &str) -> StoreResult<Option<u64>> {
        let mut conn = self.conn().await?;
        let ms: Option<u64> = conn.hget(self.keys.runtimes(provider), model).await?;
        Ok(ms)
    }

    /// Folds a completed job's run time into its provider and model's: reads the job's model (one
    /// HGET), then one script on the provider's hash. Returns the model and its new recent run
    /// time (`None` when the job names no model).
    pub async fn record_runtime(
        &self,
        provider: &str,
        job: &JobRef,
        runtime_ms: u64,
    ) -> StoreResult<Option<(String, u64)>> {
        let mut conn = self.conn().await?;
        let model: Option<String> = conn
            .hget(self.keys.job(job.partition, &job.id), field::MODEL)
            .await?;
        let Some(model) = model.filter(|m| !m.is_empty()) else {
            return Ok(None);
        };
        let mean: String = scripts::RECORD_RUNTIME
            .key(self.keys.runtimes(provider))
            .key(self.keys.runtime_samples(provider, &model))
            .arg(&model)
            .arg(runtime_ms)
            .arg(NEW_JOB_WEIGHT)
            .arg(RUNTIME_SAMPLES)
            .invoke_async(&mut conn)
            .await?;
        Ok(mean.parse().ok().map(|mean| (model, mean)))
    }
}
