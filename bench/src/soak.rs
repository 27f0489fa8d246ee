//! The soak: steady load for `minutes` through the real processes — submissions through the API
//! (each with an Idempotency-Key), polls through the simulator, webhooks to a receiver that
//! refuses one delivery in ten — with retention short enough to be reached within the run, so that
//! memory must level off. Prints a line a minute (throughput, errors, Redis memory, each process's
//! RSS) and a verdict: every job completed, its final webhook received once, no video made twice.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::redis_server::BenchRedis;
use crate::stack::{get_json, memory_kib, ProcessStack};

/// How the soak runs.
pub struct Soak {
    pub minutes: u64,
    /// Submissions per second.
    pub rate: u64,
    pub workers: usize,
}

/// A finished job is kept this long (the soak's retention): reached within the first minute.
const RETENTION_SECS: u64 = 20;
/// The longest a job may run; with retention, how long its events and attempt log are kept.
const MAX_AGE_SECS: u64 = 60;
/// Events kept in each partition's live stream (`LIVE_STREAM_LENGTH`).
const LIVE_STREAM_LENGTH: u64 = 500;
/// One delivery in this many is refused (then retried).
const REFUSE_EVERY: usize = 10;

#[derive(Default)]
struct Load {
    accepted: Mutex<Vec<String>>,
    errors: AtomicU64,
}

pub async fn run(redis: &BenchRedis, soak: Soak) -> anyhow::Result<Value> {
    redis.flush().await?;
    let sim = [
        ("SIM_QUEUED_MS", "200".to_owned()),
        ("SIM_RUNNING_MS", "800".to_owned()),
        ("SIM_RUNNING_MS_MAX", "2000".to_owned()),
    ];
    let relay = [
        ("POLL_INITIAL_INTERVAL_MS", "200".to_owned()),
        ("POLL_MAX_INTERVAL_MS", "1000".to_owned()),
        ("JOB_RETENTION_SECS", RETENTION_SECS.to_string()),
        ("JOB_MAX_AGE_SECS", MAX_AGE_SECS.to_string()),
        // Every submission carries a key: kept as long as a job lives here, not a day.
        (
            "IDEMPOTENCY_WINDOW_SECS",
            (MAX_AGE_SECS + RETENTION_SECS).to_string(),
        ),
        // The live streams are bounded by length, not time (10,000 events per partition by
        // default: about 25 minutes of this load to fill). Bounded here at 500, reached within
        // the first minute, so that memory still growing afterwards is a leak.
        ("LIVE_STREAM_LENGTH", LIVE_STREAM_LENGTH.to_string()),
        ("WEBHOOK_RETRY_INITIAL_MS", "200".to_owned()),
        ("WEBHOOK_RETRY_MAX_MS", "1000".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ];
    let stack = ProcessStack::start(&redis.url, &sim, &relay, soak.workers).await?;
    stack.receiver.refuse_every(REFUSE_EVERY);
    let mut conn = redis.connection().await?;
    let load = Arc::new(Load::default());
    let started = Instant::now();
    let run_for = Duration::from_secs(soak.minutes * 60);
    let submitter = {
        let (load, http, api) = (load.clone(), stack.http.clone(), stack.api_url.clone());
        let every = Duration::from_secs_f64(1.0 / soak.rate.max(1) as f64);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            let mut n = 0u64;
            while started.elapsed() < run_for {
                tick.tick().await;
                n += 1;
                let (load, http, api) = (load.clone(), http.clone(), api.clone());
                tokio::spawn(async move { submit(&http, &api, n, &load).await });
            }
        })
    };
    let mut minutes = Vec::new();
    let mut last = (0usize, 0usize, 0usize, 0u64);
    for minute in 1..=soak.minutes {
        tokio::time::sleep_until((started + Duration::from_secs(minute * 60)).into()).await;
        let accepted = load.accepted.lock().unwrap().len();
        let (webhooks, finals) = stack.receiver.counts();
        let refused = stack.receiver.refused().len();
        let errors = load.errors.load(Ordering::Relaxed);
        let used: u64 = info_field(&mut conn, "memory", "used_memory").await?;
        let sample = json!({
            "minute": minute,
            "submitted": accepted - last.0,
            "final_webhooks": finals - last.1,
            "webhooks": webhooks - last.2,
            "refused_by_receiver": refused,
            "submit_errors": errors - last.3,
            "redis_used_memory": used,
            "api_rss_kib": memory_kib(stack.api.pid()).map(|m| m.1),
            "worker_rss_kib": stack.workers.iter().map(|w| memory_kib(w.pid()).map(|m| m.1)).collect::<Vec<_>>(),
        });
        eprintln!("soak {sample}");
        minutes.push(sample);
        last = (accepted, finals, webhooks, errors);
    }
    submitter.await?;
    // Let what is in flight finish: every accepted job's final webhook, within a minute.
    let ids: Vec<String> = load.accepted.lock().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    let finals = loop {
        let finals: HashMap<String, usize> =
            stack.receiver.all().iter().filter(|r| r.is_final()).fold(
                HashMap::new(),
                |mut m, r| {
                    *m.entry(r.job_id().to_owned()).or_default() += 1;
                    m
                },
            );
        if ids.iter().all(|id| finals.contains_key(id)) || Instant::now() > deadline {
            break finals;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let lost = ids.iter().filter(|id| !finals.contains_key(*id)).count();
    let all = stack.receiver.all();
    let mut seen = HashSet::new();
    let repeated = all
        .iter()
        .filter(|r| !seen.insert(r.webhook_id.clone()))
        .count();
    let unsigned = all.iter().filter(|r| !r.signature_ok).count();
    let sim = get_json(&stack.http, &format!("{}/sim/stats", stack.sim_url)).await?;
    let made_twice = sim["createsByPrompt"]
        .as_object()
        .ok_or_else(|| anyhow::anyhow!("the simulator's stats have no createsByPrompt: {sim}"))?
        .values()
        .filter(|n| n.as_u64() > Some(1))
        .count();
    let errors = load.errors.load(Ordering::Relaxed);
    // Memory once everything kept has had time to expire (jobs, events, keys: the first minute
    // that starts after MAX_AGE_SECS + RETENTION_SECS), beside the last minute.
    let settled = ((MAX_AGE_SECS + RETENTION_SECS) / 60 + 1) as usize;
    let memory = |i: usize| minutes.get(i).and_then(|m| m["redis_used_memory"].as_u64());
    let growth = match (memory(settled), memory(minutes.len().saturating_sub(1))) {
        (Some(at_settled), Some(last)) if minutes.len() > settled + 1 => {
            Some(last as f64 / at_settled as f64)
        }
        _ => None,
    };
    let verdict = json!({
        "workload": "soak",
        "minutes": soak.minutes,
        "rate_per_sec": soak.rate,
        "workers": soak.workers,
        "accepted": ids.len(),
        "submit_errors": errors,
        "lost": lost,
        "final_webhooks_repeated": finals.values().filter(|&&n| n > 1).count(),
        "webhooks_repeated": repeated,
        "webhooks_unsigned": unsigned,
        "videos_made_twice": made_twice,
        "refused_by_receiver": stack.receiver.refused().len(),
        "redis_memory_last_over_settled_minute": growth.map(|g| (g * 1000.0).round() / 1000.0),
        "per_minute": minutes,
    });
    anyhow::ensure!(
        lost == 0 && repeated == 0 && unsigned == 0 && made_twice == 0 && errors == 0,
        "soak failed: {verdict}"
    );
    if let Some(growth) = growth {
        anyhow::ensure!(
            growth < 1.25,
            "Redis memory grew {growth:.2}x after retention was reached: {verdict}"
        );
    }
    Ok(verdict)
}

async fn submit(http: &reqwest::Client, api: &str, n: u64, load: &Load) {
    let body = json!({
        "walletAddress": "soak",
        "script": format!("soak job {n}: waves on a shore"),
        "renderVersion": "v3",
    });
    let key = format!("soak-{n}");
    let sent = http
        .post(format!("{api}/api/generate"))
        .header("Idempotency-Key", &key)
        .json(&body)
        .send()
        .await;
    let id = match sent {
        Ok(response) if response.status() == 202 => response
            .json::<Value>()
            .await
            .ok()
            .and_then(|v| v["jobId"].as_str().map(str::to_owned)),
        _ => None,
    };
    match id {
        Some(id) => load.accepted.lock().unwrap().push(id),
        None => {
            load.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn info_field(
    conn: &mut redis::aio::MultiplexedConnection,
    section: &str,
    name: &str,
) -> anyhow::Result<u64> {
    let info: String = redis::cmd("INFO").arg(section).query_async(conn).await?;
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("INFO {section} has no {name}"))
}
