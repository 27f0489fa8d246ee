//! Failover: the first target of a route refuses every create, and the relay moves each job to
//! the next. Three groups of `jobs` jobs each, submitted interleaved to the same stack (the
//! simulator, the API and two workers as processes):
//! - `direct`: straight to the second target (Replicate) — the baseline;
//! - `quota`: on a route whose first target (fal) has run out of credit: the first refusal pauses
//!   every worker's submissions there, and later jobs move on without calling;
//! - `retired`: on a route whose first target (Veo) does not have the model: every job is refused
//!   on its own and moves.
//!
//! Figures: per group, submission → acceptance by the provider that made the video (the
//! simulator's creation time; one clock, this machine's); for moved jobs, refusal → acceptance
//! (from the move's webhook `timestamp`, which the worker stamps as it commits the move right
//! after the refusal, to the next target's creation time); the calls the first targets got; and
//! duplicates: prompts the simulators made more than one video for (there must be none).

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::figures::{quantile, round};
use crate::redis_server::BenchRedis;
use crate::stack::{get_json, ProcessStack};

const ROUTES: &str = r#"{"fast": ["fal:fal-ai/kling-video/v2.1", "replicate:minimax/video-01"], "gone": ["veo:imagen-0-retired", "replicate:minimax/video-01"]}"#;

pub async fn run(redis: &BenchRedis, jobs: usize) -> anyhow::Result<Value> {
    let stack = ProcessStack::start(
        &redis.url,
        &[
            ("SIM_QUEUED_MS", "300".into()),
            ("SIM_RUNNING_MS", "1500".into()),
        ],
        &[
            ("REPLICATE_API_TOKEN", "sk-sim".into()),
            ("REPLICATE_BASE_URL", "{sim}/replicate/v1".into()),
            ("FAL_KEY", "sk-sim".into()),
            ("FAL_BASE_URL", "{sim}/fal".into()),
            ("GEMINI_API_KEY", "sk-sim".into()),
            ("GEMINI_BASE_URL", "{sim}/veo/v1beta".into()),
            ("ROUTES", ROUTES.into()),
            ("POLL_INITIAL_INTERVAL_MS", "500".into()),
            ("POLL_MAX_INTERVAL_MS", "2000".into()),
            ("RUST_LOG", "warn".into()),
        ],
        2,
    )
    .await?;
    stack
        .http
        .post(format!("{}/sim/faults", stack.sim_url))
        .json(&json!({"rateQuota": 1.0, "pathPrefix": "/fal/", "postsOnly": true}))
        .send()
        .await?
        .error_for_status()?;
    let groups: [(&str, Value); 3] = [
        (
            "direct",
            json!({"provider": "replicate", "model": "minimax/video-01"}),
        ),
        ("quota", json!({"model": "fast"})),
        ("retired", json!({"model": "gone"})),
    ];
    let mut submitted: HashMap<String, (&str, String, i64)> = HashMap::new();
    for n in 0..jobs {
        for (group, extra) in &groups {
            let prompt = format!("failover {group} {n}");
            let mut body = json!({"walletAddress": "w", "script": prompt, "renderVersion": "v3"});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            let at = now_ms();
            let id = stack.submit_body(&body).await?;
            submitted.insert(id, (group, prompt, at));
        }
    }
    let ids: Vec<String> = submitted.keys().cloned().collect();
    let webhooks = stack
        .receiver
        .wait_for_final(&ids, Duration::from_secs(120))
        .await;
    let videos = get_json(&stack.http, &format!("{}/sim/videos", stack.sim_url)).await?;
    let mut made: HashMap<String, Vec<i64>> = HashMap::new();
    for video in videos.as_array().into_iter().flatten() {
        made.entry(video["prompt"].as_str().unwrap_or_default().to_owned())
            .or_default()
            .push(video["created_ms"].as_i64().unwrap_or_default());
    }
    let duplicates = made.values().filter(|v| v.len() > 1).count();
    let mut accept: HashMap<&str, Vec<i64>> = HashMap::new();
    let mut refusal_to_accept: HashMap<&str, Vec<i64>> = HashMap::new();
    let mut completed: HashMap<&str, usize> = HashMap::new();
    for (id, (group, prompt, at)) in &submitted {
        let Some(created) = made.get(prompt).and_then(|v| v.first()) else {
            continue;
        };
        accept.entry(group).or_default().push(created - at);
        let mine = webhooks.iter().filter(|w| w.job_id() == id);
        if let Some(moved) = mine.clone().find(|w| w.json["attempts"].is_array()) {
            let stamp = moved.json["timestamp"].as_str().unwrap_or_default();
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(stamp) {
                refusal_to_accept
                    .entry(group)
                    .or_default()
                    .push(created - t.timestamp_millis());
            }
        }
        if mine.clone().any(|w| w.status() == "completed") {
            *completed.entry(group).or_default() += 1;
        }
    }
    let figures = |samples: Option<&Vec<i64>>| {
        let mut s = samples.cloned().unwrap_or_default();
        s.sort_unstable();
        if s.is_empty() {
            return json!(null);
        }
        json!({"p50_ms": quantile(&s, 0.5), "p95_ms": quantile(&s, 0.95), "max_ms": s[s.len() - 1], "n": s.len()})
    };
    let sim = stack.sim_stats().await?;
    let direct_p50 = figure(&accept, "direct");
    Ok(json!({
        "workload": "failover",
        "jobs_per_group": jobs,
        "completed": completed,
        "submit_to_accept_direct": figures(accept.get("direct")),
        "submit_to_accept_quota": figures(accept.get("quota")),
        "submit_to_accept_retired": figures(accept.get("retired")),
        "refusal_to_accept_quota": figures(refusal_to_accept.get("quota")),
        "refusal_to_accept_retired": figures(refusal_to_accept.get("retired")),
        "failover_cost_p50_ms_quota": figure(&accept, "quota").zip(direct_p50).map(|(a, b)| a - b),
        "failover_cost_p50_ms_retired": figure(&accept, "retired").zip(direct_p50).map(|(a, b)| a - b),
        "creates_refused_at_fal": sim["injectedQuota"],
        "videos_made": made.values().map(Vec::len).sum::<usize>(),
        "duplicate_submissions": duplicates,
        "moves_seen": webhooks.iter().filter(|w| w.json["attempts"].is_array()).count(),
        "completed_share": round(completed.values().sum::<usize>() as f64 / submitted.len().max(1) as f64, 3),
    }))
}

/// The median of a group's samples.
fn figure(samples: &HashMap<&str, Vec<i64>>, group: &str) -> Option<i64> {
    let mut s = samples.get(group)?.clone();
    s.sort_unstable();
    (!s.is_empty()).then(|| quantile(&s, 0.5))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
