//! W6, provider budget: jobs whose run times spread like real ones (30 s to 10 min, log-uniform,
//! after a 10 s queue), on the simulator's clock sped up `SPEEDUP` times, with every polling wait
//! scaled the same way. Figures: provider requests per completed job, and the delay from each
//! video's completion (the simulator's timeline) to its `completed` webhook at the receiver, in
//! real-time seconds. Beside it, the original system's policy on the same jobs: every running job
//! polled every 5 s. Then the same jobs at each provider's simulated contract, polling only and
//! with the provider's signed callbacks (`PUBLIC_BASE_URL`): requests per job, the completion
//! delay, and with callbacks the delay from each final callback leaving the provider to the
//! client's `completed` webhook arriving (p50/p99, milliseconds, not scaled).

mod fixed_polling;
mod outcome;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::figures::round;
use crate::redis_server::BenchRedis;
use crate::stack::{get_json, ProcessStack};
use fixed_polling::fixed_polling;
use outcome::{Clock, Outcome};

/// How much faster than real time the simulator's clock and every wait run.
const SPEEDUP: u64 = 20;
const QUEUED_MS: u64 = 10_000;
const SHORTEST_MS: f64 = 30_000.0;
const LONGEST_MS: f64 = 600_000.0;
/// The original system's fixed polling interval.
const FIXED_INTERVAL_MS: u64 = 5_000;
/// Every provider, each at its simulated contract.
const PROVIDERS: &[&str] = &["openai", "openrouter", "replicate", "fal"];

/// Job `i` of `n`'s prompt, naming its real-time run time (log-uniform over the range).
fn prompt(i: usize, n: usize) -> String {
    let at = if n > 1 {
        i as f64 / (n - 1) as f64
    } else {
        0.5
    };
    let real_ms = SHORTEST_MS * (LONGEST_MS / SHORTEST_MS).powf(at);
    format!(
        "W6 job {i} sim:running_ms={}",
        (real_ms / SPEEDUP as f64) as u64
    )
}

fn sim_env() -> [(&'static str, String); 1] {
    [("SIM_QUEUED_MS", (QUEUED_MS / SPEEDUP).to_string())]
}

pub async fn run(redis: &BenchRedis, jobs: usize) -> anyhow::Result<Value> {
    redis.flush().await?;
    let ours = relay(redis, jobs, "openai", false).await?;
    let fixed = fixed_polling(jobs).await?;
    anyhow::ensure!(
        ours.delays.len() == jobs && fixed.delays.len() == jobs,
        "not every job completed"
    );
    let (ours_summary, fixed_summary) = (ours.summary(jobs), fixed.summary(jobs));
    let mut providers = serde_json::Map::new();
    for provider in PROVIDERS {
        let mut runs = serde_json::Map::new();
        for callbacks in [false, true] {
            if callbacks && *provider == "openai" {
                continue; // the OpenAI shape has no callbacks
            }
            redis.flush().await?;
            let outcome = relay(redis, jobs, provider, callbacks).await?;
            anyhow::ensure!(
                outcome.delays.len() == jobs,
                "{provider}: not every job completed"
            );
            let key = if callbacks { "callbacks" } else { "polling" };
            runs.insert(key.into(), outcome.summary(jobs));
        }
        providers.insert((*provider).into(), Value::Object(runs));
    }
    Ok(json!({
        "workload": "w6",
        "jobs": jobs,
        "speedup": SPEEDUP,
        "sora_relay": ours_summary,
        "fixed_5s": fixed_summary,
        "requests_vs_fixed": round(ours.requests as f64 / fixed.requests as f64, 3),
        "providers": providers,
    }))
}

/// sora-relay as deployed: API, one worker, its default waits scaled by SPEEDUP; every job at
/// `provider`, which calls back when `callbacks`.
async fn relay(
    redis: &BenchRedis,
    jobs: usize,
    provider: &str,
    callbacks: bool,
) -> anyhow::Result<Outcome> {
    let scaled = |ms: u64| (ms / SPEEDUP).to_string();
    let mut relay_env = vec![
        (
            "REDIS_KEY_PREFIX",
            format!("w6-{}", &relay_shared::store::layout::new_job_id()[..8]),
        ),
        ("POLL_INITIAL_INTERVAL_MS", scaled(5_000)),
        ("POLL_MAX_INTERVAL_MS", scaled(60_000)),
        ("WORKER_IDLE_MAX_MS", scaled(1_000)),
        ("RUST_LOG", "warn".to_owned()),
    ];
    // The providers besides `openai` at the simulator, with its signing secrets.
    let providers = e2e::stack::provider_env("{sim}");
    relay_env.extend(providers.iter().map(|(k, v)| (k.as_str(), v.clone())));
    if callbacks {
        relay_env.push(("PUBLIC_BASE_URL", "{api}".to_owned()));
    }
    let stack = ProcessStack::start(&redis.url, &sim_env(), &relay_env, 1).await?;
    let clock = Clock::now();
    let mut job_prompt = HashMap::new();
    for i in 0..jobs {
        let prompt = prompt(i, jobs);
        job_prompt.insert(stack.submit_to(&prompt, Some(provider)).await?, prompt);
    }
    let limit = Duration::from_millis((QUEUED_MS + LONGEST_MS as u64) / SPEEDUP * 3);
    let deadline = Instant::now() + limit;
    while stack.receiver.counts().1 < jobs {
        anyhow::ensure!(Instant::now() < deadline, "W6: jobs did not finish in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let finishes = finish_times(&stack.http, &stack.sim_url).await?;
    let delays = stack
        .receiver
        .all()
        .iter()
        .filter(|r| r.status() == "completed")
        .filter_map(|r| {
            let done = finishes.get(job_prompt.get(r.job_id())?)?;
            Some((clock.epoch_ms(r.at) - done) * SPEEDUP as f64 / 1000.0)
        })
        .collect();
    let sim = stack.sim_stats().await?;
    let callback_to_webhook_ms = if callbacks {
        callback_latencies(&stack, &clock).await?
    } else {
        Vec::new()
    };
    Ok(Outcome {
        requests: requests(&sim),
        delays,
        callback_to_webhook_ms,
    })
}

/// For each completed job, its last callback (the final one) leaving the simulator → its
/// `completed` webhook arriving, in ms.
async fn callback_latencies(stack: &ProcessStack, clock: &Clock) -> anyhow::Result<Vec<f64>> {
    let sent = get_json(&stack.http, &format!("{}/sim/callbacks", stack.sim_url)).await?;
    let mut last_sent: HashMap<String, f64> = HashMap::new();
    for callback in sent.as_array().into_iter().flatten() {
        let (Some(url), Some(at)) = (callback["url"].as_str(), callback["sent_ms"].as_f64()) else {
            continue;
        };
        let Some((_, job)) = url.split_once("?job=") else {
            continue;
        };
        let entry = last_sent.entry(job.to_owned()).or_insert(at);
        *entry = entry.max(at);
    }
    Ok(stack
        .receiver
        .all()
        .iter()
        .filter(|r| r.status() == "completed")
        .filter_map(|r| Some(clock.epoch_ms(r.at) - last_sent.get(r.job_id())?))
        .collect())
}

/// Each prompt's completion time (wall-clock ms) on the simulator's timeline.
async fn finish_times(
    http: &reqwest::Client,
    sim_url: &str,
) -> anyhow::Result<HashMap<String, f64>> {
    let videos = get_json(http, &format!("{sim_url}/sim/videos")).await?;
    Ok(videos
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| Some((v["prompt"].as_str()?.to_owned(), v["finishes_ms"].as_f64()?)))
        .collect())
}

fn requests(sim: &Value) -> u64 {
    ["creates", "retrieves", "lists"]
        .iter()
        .map(|k| sim[*k].as_u64().unwrap_or(0))
        .sum()
}
