//! W4, end to end over HTTP: `jobs` jobs submitted through `POST /api/generate` of a real
//! `relay-api`, driven by real `relay-worker` processes against `sora-sim` answering at once, their
//! webhooks signed and delivered to a receiver on loopback. Figures: jobs per second and webhooks
//! per second from the first submission to the last final webhook, and the processes' memory.

use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde_json::{json, Value};

use crate::figures::round;
use crate::redis_server::BenchRedis;
use crate::stack::{memory_kib, ProcessStack};

/// Submissions in flight at once.
const CLIENTS: usize = 64;

pub async fn run(redis: &BenchRedis, jobs: usize, workers: usize) -> anyhow::Result<Value> {
    redis.flush().await?;
    let sim = [
        ("SIM_QUEUED_MS", "0".to_owned()),
        ("SIM_RUNNING_MS", "0".to_owned()),
    ];
    let relay = [
        (
            "REDIS_KEY_PREFIX",
            format!("w4-{}", &relay_shared::store::layout::new_job_id()[..8]),
        ),
        ("POLL_INITIAL_INTERVAL_MS", "100".to_owned()),
        ("POLL_MAX_INTERVAL_MS", "1000".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ];
    let stack = ProcessStack::start(&redis.url, &sim, &relay, workers).await?;
    let started = Instant::now();
    let ids: Vec<String> = stream::iter(0..jobs)
        .map(|i| {
            let stack = &stack;
            async move {
                stack
                    .submit(&format!("W4 job {i}: a lighthouse in a storm"))
                    .await
            }
        })
        .buffer_unordered(CLIENTS)
        .try_collect()
        .await?;
    let submitted = started.elapsed();
    let deadline = started + Duration::from_secs(600);
    let (webhooks, finals) = loop {
        let (webhooks, finals) = stack.receiver.counts();
        if finals >= ids.len() {
            break (webhooks, finals);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "W4: only {finals} of {jobs} jobs finished in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let seconds = started.elapsed().as_secs_f64();
    let all = stack.receiver.all();
    let unsigned = all.iter().filter(|r| !r.signature_ok).count();
    anyhow::ensure!(
        unsigned == 0,
        "{unsigned} webhooks failed their signature check"
    );
    let completed = all.iter().filter(|r| r.status() == "completed").count();
    let sim = stack.sim_stats().await?;
    let api_kib = memory_kib(stack.api.pid());
    let worker_kib: Vec<_> = stack.workers.iter().map(|w| memory_kib(w.pid())).collect();
    Ok(json!({
        "workload": "w4",
        "jobs": jobs,
        "workers": workers,
        "seconds": round(seconds, 3),
        "submit_seconds": round(submitted.as_secs_f64(), 3),
        "jobs_per_sec": (jobs as f64 / seconds).round(),
        "webhooks": webhooks,
        "webhooks_per_sec": (webhooks as f64 / seconds).round(),
        "final_webhooks": finals,
        "completed": completed,
        "provider_requests": sim["creates"].as_u64().unwrap_or(0) + sim["retrieves"].as_u64().unwrap_or(0),
        "api_peak_rss_kib": api_kib.map(|m| m.0),
        "worker_peak_rss_kib": worker_kib.iter().map(|m| m.map(|m| m.0)).collect::<Vec<_>>(),
    }))
}
