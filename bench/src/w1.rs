//! W1, queue machinery: `jobs` jobs, each polled `polls` times, every poll re-scheduling the job
//! due at once, the provider answering in-process, webhook events counted, not sent. In the same
//! run: BullMQ on the same workload (`bench/peers/bullmq-w1`), and the physical limit — the raw
//! Redis commands of a poll cycle, pipelined, with no logic around them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use relay_shared::job::NewJob;
use relay_shared::provider::{
    Capabilities, Lifecycle, ProviderError, ProviderJob, VideoProvider, VideoRequest,
};
use relay_shared::store::layout::new_job_id;
use relay_shared::store::Store;
use relay_shared::Settings;
use relay_worker::Worker;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::figures::round;
use crate::memory::{memory_done, memory_video, MEMORY_CAPABILITIES};
use crate::redis_server::BenchRedis;

#[derive(Clone, Copy, Debug)]
pub struct W1 {
    pub jobs: usize,
    pub polls: u32,
    pub workers: usize,
    /// Jobs each worker polls at once (BullMQ's worker concurrency in the peer script: 50).
    pub concurrency: usize,
}

/// A provider that answers at once: each video completes on its `polls`-th poll (the create
/// counts as the first), its progress changing on every one.
struct InstantProvider {
    polls: u32,
    seen: Mutex<HashMap<String, u32>>,
    next_id: AtomicU64,
    calls: AtomicU64,
}

#[async_trait]
impl VideoProvider for InstantProvider {
    fn capabilities(&self) -> Capabilities {
        MEMORY_CAPABILITIES
    }

    async fn create(&self, _: &VideoRequest<'_>) -> Result<ProviderJob, ProviderError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let id = format!("video_{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        self.seen.lock().unwrap().insert(id.clone(), 1);
        Ok(memory_video(id, Lifecycle::Queued))
    }

    async fn retrieve(&self, video_id: &str) -> Result<ProviderJob, ProviderError> {
        let polled = {
            let mut seen = self.seen.lock().unwrap();
            // Not one of the workload's videos (a worker's start-up key check): not a poll.
            let n = seen.get_mut(video_id).ok_or(ProviderError::Rejected {
                status: 404,
                message: String::new(),
            })?;
            *n += 1;
            *n
        };
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(if polled >= self.polls {
            memory_done(video_id.to_owned())
        } else {
            let progress = (polled * 100 / self.polls) as u8;
            memory_video(
                video_id.to_owned(),
                Lifecycle::Running {
                    progress: Some(progress),
                },
            )
        })
    }

    async fn find(&self, _: &str, _: i64) -> Result<Option<ProviderJob>, ProviderError> {
        Ok(None)
    }
}

pub async fn run(redis: &BenchRedis, w1: W1, with_peer: bool) -> anyhow::Result<Value> {
    let cycles = w1.jobs as u64 * u64::from(w1.polls);
    // Redis CPU per cycle, job creation included (as in the peer's figure): what each system
    // costs the one Redis thread that bounds them all, less sensitive than a rate to what else
    // the machine is doing.
    let redis_us_per_cycle = async |cpu_before: f64| -> anyhow::Result<f64> {
        Ok((redis.cpu_seconds().await? - cpu_before) * 1e6 / cycles as f64)
    };

    redis.flush().await?;
    let cpu = redis.cpu_seconds().await?;
    let (seconds, calls) = relay(redis, w1).await?;
    let ours_cpu = redis_us_per_cycle(cpu).await?;
    anyhow::ensure!(
        calls == cycles,
        "expected {cycles} provider calls, saw {calls}"
    );
    let ours = cycles as f64 / seconds;

    redis.flush().await?;
    let cpu = redis.cpu_seconds().await?;
    let limit = raw_redis_limit(redis, w1).await?;
    let limit_cpu = redis_us_per_cycle(cpu).await?;
    redis.flush().await?;
    let cpu = redis.cpu_seconds().await?;
    let peer = if with_peer {
        bullmq(redis, w1).await
    } else {
        Err("skipped (--no-peer)".into())
    };
    let peer_cpu = redis_us_per_cycle(cpu).await?;
    redis.flush().await?;

    let (peer_rate, peer_cpu, peer_note) = match peer {
        Ok(rate) => (Some(rate), Some(peer_cpu), None),
        Err(why) => (None, None, Some(why)),
    };
    Ok(json!({
        "workload": "w1",
        "jobs": w1.jobs,
        "polls": w1.polls,
        "workers": w1.workers,
        "concurrency": w1.concurrency,
        "cycles": cycles,
        "seconds": round(seconds, 3),
        "cycles_per_sec": ours.round(),
        "bullmq_cycles_per_sec": peer_rate.map(f64::round),
        "vs_bullmq": peer_rate.map(|p| round(ours / p, 2)),
        "bullmq_note": peer_note,
        "redis_limit_cycles_per_sec": limit.round(),
        "share_of_redis_limit": round(ours / limit, 3),
        "redis_cpu_us_per_cycle": round(ours_cpu, 2),
        "bullmq_redis_cpu_us_per_cycle": peer_cpu.map(|c| round(c, 2)),
        "redis_limit_cpu_us_per_cycle": round(limit_cpu, 2),
    }))
}

/// Our workers on W1: seconds from start to the last job completed, and provider calls made.
async fn relay(redis: &BenchRedis, w1: W1) -> anyhow::Result<(f64, u64)> {
    let env: HashMap<String, String> = [
        ("REDIS_URL", redis.url.clone()),
        ("POLL_INITIAL_INTERVAL_MS", "1".into()),
        ("POLL_MAX_INTERVAL_MS", "1".into()),
        ("WORKER_CONCURRENCY", w1.concurrency.to_string()),
        ("WORKER_IDLE_MAX_MS", "20".into()),
        ("JOB_MAX_AGE_SECS", "86400".into()),
        // A prefix of its own, so that runs against a shared `--redis-url` never meet.
        ("REDIS_KEY_PREFIX", format!("bench-{}", &new_job_id()[..8])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::from_sources(None, &env)?;
    let store = Store::connect(&settings)?;
    let job = NewJob::new("bench", "w1");
    let ids: Vec<String> = (0..w1.jobs).map(|_| new_job_id()).collect();
    for chunk in ids.chunks(500) {
        futures_util::future::try_join_all(chunk.iter().map(|id| store.create_job(id, &job)))
            .await?;
    }
    let provider = Arc::new(InstantProvider {
        polls: w1.polls,
        seen: Mutex::default(),
        next_id: AtomicU64::new(0),
        calls: AtomicU64::new(0),
    });
    let stop = CancellationToken::new();
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..w1.workers {
        // Every poll re-schedules its job due at once, as the workload (and BullMQ's
        // moveToDelayed(Date.now())) asks; the settings only allow positive waits.
        // Each worker on a single-threaded runtime of its own, as each relay-worker process runs.
        let (settings, provider, token) = (settings.clone(), provider.clone(), stop.child_token());
        workers.push(std::thread::spawn(move || -> anyhow::Result<()> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let worker = Worker::with_provider(settings, provider)?
                    .with_poll_waits(Duration::ZERO, Duration::ZERO);
                worker.run_until_stopped(token).await
            })
        }));
    }
    loop {
        let stats = store.stats().await?;
        if stats.completed_jobs as usize >= w1.jobs {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "W1 did not finish in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    stop.cancel();
    // Stopped workers end within moments; waiting for their threads blocks this one that long.
    for worker in workers {
        worker.join().expect("a worker thread panicked")?;
    }
    Ok((seconds, provider.calls.load(Ordering::Relaxed)))
}

/// The physical limit: a poll cycle's essential writes — re-score for the lease, stamp the claim,
/// store the new state, re-score for the next poll — pipelined 1,000 cycles a round trip over
/// `workers` connections, with no scripts and no logic.
async fn raw_redis_limit(redis: &BenchRedis, w1: W1) -> anyhow::Result<f64> {
    let cycles = w1.jobs * w1.polls as usize;
    let per_connection = cycles / w1.workers;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for connection in 0..w1.workers {
        let mut conn = redis.connection().await?;
        let jobs = w1.jobs;
        tasks.push(tokio::spawn(async move {
            let schedule = format!("limit:{{p{connection}}}:schedule");
            let mut done = 0;
            while done < per_connection {
                let mut pipe = redis::pipe();
                for i in done..(done + 1000).min(per_connection) {
                    let job = format!("limit:{{p{connection}}}:job:{}", i % jobs);
                    let member = (i % jobs).to_string();
                    pipe.zadd(&schedule, &member, i + 30_000).ignore();
                    pipe.hset(&job, "claim", i).ignore();
                    pipe.hset(&job, "progress", i % 100).ignore();
                    pipe.zadd(&schedule, &member, i).ignore();
                }
                pipe.query_async::<()>(&mut conn).await?;
                done += 1000;
            }
            Ok::<_, redis::RedisError>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(cycles as f64 / started.elapsed().as_secs_f64())
}

/// BullMQ 5 on the same workload, through the peer script; its cycles per second.
async fn bullmq(redis: &BenchRedis, w1: W1) -> Result<f64, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/bullmq-w1/run.sh");
    let output = tokio::process::Command::new("bash")
        .arg(script)
        .env("PORT", redis.port.to_string())
        .env("N", w1.jobs.to_string())
        .env("STEPS", w1.polls.to_string())
        .output()
        .await
        .map_err(|e| format!("could not run the BullMQ peer: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("bullmq W1:"))
        .ok_or_else(|| {
            format!(
                "the BullMQ peer printed no result (needs node and npm): {}",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            )
        })?;
    line.rsplit('=')
        .next()
        .and_then(|rate| rate.trim().trim_end_matches("cycles/s").trim().parse().ok())
        .ok_or_else(|| format!("unreadable BullMQ result: {line}"))
}
