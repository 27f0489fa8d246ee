//! Each provider's models' recent run times, as a submission needs them for its progress estimate
//! (`Store::expected_runtime`): read from Redis at most once per [`FRESH_FOR`] per model, so a
//! burst of submissions costs one read. A completed job's run time is folded in by
//! [`Worker::record_runtime`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use relay_shared::store::Store;
use tracing::{debug, warn};

use super::claimed::ClaimedJob;
use super::GatedProvider;
use crate::Worker;

/// How long a read run time is used before it is read again (what other workers record reaches
/// this one within it; what this one records, at once).
const FRESH_FOR: Duration = Duration::from_secs(60);

/// Models kept at most (client-chosen names: the cache must not grow without bound).
const MAX_MODELS: usize = 1024;

#[derive(Default)]
pub struct RuntimeCache {
    models: Mutex<HashMap<String, (Option<u64>, Instant)>>,
}

impl RuntimeCache {
    /// `model`'s recent run time at `provider` (ms); `None` when none is known or Redis cannot say.
    pub async fn expected(&self, store: &Store, provider: &str, model: &str) -> Option<u64> {
        if let Some((ms, read)) = self.lock().get(model) {
            if read.elapsed() < FRESH_FOR {
                return *ms;
            }
        }
        let ms = match store.expected_runtime(provider, model).await {
            Ok(ms) => ms,
            Err(e) => {
                debug!("could not read {provider} {model}'s run time ({e}); no estimate for now");
                return None;
            }
        };
        let mut models = self.lock();
        if models.len() >= MAX_MODELS {
            models.retain(|_, (_, read)| read.elapsed() < FRESH_FOR);
        }
        models.insert(model.to_owned(), (ms, Instant::now()));
        ms
    }

    /// What this worker just recorded: used at once rather than after the cached miss expires.
    pub fn learned(&self, model: &str, ms: u64) {
        let mut models = self.lock();
        if models.len() < MAX_MODELS || models.contains_key(model) {
            models.insert(model.to_owned(), (Some(ms), Instant::now()));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Option<u64>, Instant)>> {
        self.models.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Worker {
    /// Folds a completed job's run time into its provider and model's, for later estimates. A
    /// failure loses one sample: logged, nothing else.
    pub(super) async fn record_runtime(
        &self,
        provider: &GatedProvider,
        job: &ClaimedJob,
        now_ms: i64,
    ) {
        let runtime_ms = now_ms.saturating_sub(job.claimed.created_ms).max(0) as u64;
        let name = provider.provider.name;
        match self
            .inner
            .store
            .record_runtime(name, &job.job, runtime_ms)
            .await
        {
            Ok(Some((model, mean))) => {
                debug!(job = %job.job, "{name} {model} run time {runtime_ms} ms; recent mean {mean} ms");
                provider.runtimes.learned(&model, mean);
            }
            Ok(None) => {}
            Err(e) => warn!(job = %job.job, "could not record the run time at {name} ({e})"),
        }
    }
}
