//! W2, punctuality: `jobs` tracked jobs with due times spread evenly over `spread`, two workers
//! with the default settings. Figure: lateness from each job's due time to the moment its worker
//! calls the provider (claim, prompt read and submission intent included: an upper bound on
//! due → claimed), p50 / p99 / max.
//!
//! The drain is the same with no spread: every job due at the same moment, in as few partitions
//! as the settings have (a flood of one partition, with `JOB_PARTITIONS=1`). Figures: the time to
//! drain them all (first due → last provider call) and the lateness.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use relay_shared::job::NewJob;
use relay_shared::provider::{
    Capabilities, ProviderError, ProviderJob, VideoProvider, VideoRequest,
};
use relay_shared::store::layout::new_job_id;

use crate::memory::{memory_done, MEMORY_CAPABILITIES};
use relay_shared::store::Store;
use relay_shared::Settings;
use relay_worker::Worker;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::figures::quantile;
use crate::redis_server::BenchRedis;

/// Records how late each job's submission came; every video completes at once.
struct LatenessProvider {
    due_ms: HashMap<String, i64>,
    late_ms: Mutex<Vec<i64>>,
}

fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[async_trait]
impl VideoProvider for LatenessProvider {
    fn capabilities(&self) -> Capabilities {
        MEMORY_CAPABILITIES
    }

    async fn create(&self, request: &VideoRequest<'_>) -> Result<ProviderJob, ProviderError> {
        let now = epoch_ms();
        if let Some(due) = self.due_ms.get(request.idempotency_key) {
            self.late_ms.lock().unwrap().push(now - due);
        }
        Ok(memory_done(format!("video_{}", request.idempotency_key)))
    }

    async fn retrieve(&self, video_id: &str) -> Result<ProviderJob, ProviderError> {
        Err(ProviderError::Rejected {
            status: 404,
            message: format!("{video_id} is never polled in W2"),
        })
    }

    async fn find(&self, _: &str, _: i64) -> Result<Option<ProviderJob>, ProviderError> {
        Ok(None)
    }
}

pub async fn run(redis: &BenchRedis, jobs: usize, spread: Duration) -> anyhow::Result<Value> {
    run_due(redis, jobs, spread, &[]).await
}

/// The drain: `jobs` jobs all due at the same moment in `partitions` partitions.
pub async fn drain(redis: &BenchRedis, jobs: usize, partitions: u16) -> anyhow::Result<Value> {
    let mut figures = run_due(
        redis,
        jobs,
        Duration::ZERO,
        &[("JOB_PARTITIONS", partitions.to_string())],
    )
    .await?;
    figures["workload"] = json!("drain");
    figures["partitions"] = json!(partitions);
    Ok(figures)
}

async fn run_due(
    redis: &BenchRedis,
    jobs: usize,
    spread: Duration,
    extra_env: &[(&str, String)],
) -> anyhow::Result<Value> {
    redis.flush().await?;
    let mut env: HashMap<String, String> = [
        ("REDIS_URL", redis.url.clone()),
        ("REDIS_KEY_PREFIX", format!("w2-{}", &new_job_id()[..8])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    env.extend(extra_env.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let settings = Settings::from_sources(None, &env)?;
    let store = Store::connect(&settings)?;
    let job = NewJob::new("bench", "w2");
    let ids: Vec<String> = (0..jobs).map(|_| new_job_id()).collect();
    for chunk in ids.chunks(1000) {
        futures_util::future::try_join_all(chunk.iter().map(|id| store.create_job(id, &job)))
            .await?;
    }
    // Re-schedule every job: due times evenly over `spread`, starting two seconds from now.
    let start = epoch_ms() + 2000;
    let step = spread.as_millis() as f64 / jobs as f64;
    let mut due_ms = HashMap::with_capacity(jobs);
    let mut conn = redis.connection().await?;
    for (chunk_index, chunk) in ids.chunks(1000).enumerate() {
        let mut pipe = redis::pipe();
        for (i, id) in chunk.iter().enumerate() {
            let due = start + ((chunk_index * 1000 + i) as f64 * step) as i64;
            let partition = store.keys().partition_of(id).expect("a canonical id");
            pipe.cmd("ZADD")
                .arg(store.keys().schedule(partition))
                .arg("XX")
                .arg(due)
                .arg(id)
                .ignore();
            due_ms.insert(id.clone(), due);
        }
        pipe.query_async::<()>(&mut conn).await?;
    }
    let provider = Arc::new(LatenessProvider {
        due_ms,
        late_ms: Mutex::default(),
    });
    let stop = CancellationToken::new();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let worker = Worker::with_provider(settings.clone(), provider.clone())?;
            Ok(tokio::spawn(worker.run_until_stopped(stop.child_token())))
        })
        .collect::<anyhow::Result<_>>()?;
    let deadline = Instant::now() + spread + Duration::from_secs(60 + jobs as u64 / 1000);
    while provider.late_ms.lock().unwrap().len() < jobs {
        anyhow::ensure!(Instant::now() < deadline, "W2: jobs were not all claimed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drained_ms = epoch_ms() - start;
    stop.cancel();
    for worker in workers {
        worker.await??;
    }
    let mut late = provider.late_ms.lock().unwrap().clone();
    late.sort_unstable();
    let at = |q: f64| quantile(&late, q);
    redis.flush().await?;
    Ok(json!({
        "workload": "w2",
        "jobs": jobs,
        "spread_secs": spread.as_secs(),
        "workers": 2,
        "lateness_p50_ms": at(0.5),
        "lateness_p99_ms": at(0.99),
        "lateness_max_ms": at(1.0),
        "drained_secs": (drained_ms as f64 / 1000.0 * 10.0).round() / 10.0,
        "jobs_per_sec": (jobs as f64 * 1000.0 / drained_ms.max(1) as f64).round(),
        "early": late.iter().filter(|&&l| l < 0).count(),
    }))
}
