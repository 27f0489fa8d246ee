//! The original system's policy, the peer W6 is measured beside: every running job retrieved every
//! 5 s (scaled like everything else in W6).

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Value};

use super::outcome::{Clock, Outcome};
use super::{finish_times, prompt, requests, sim_env, FIXED_INTERVAL_MS, SPEEDUP};
use crate::stack::{get_json, start_sim, wait_for};

/// The original policy on the same jobs: create each, then every 5 s (scaled) retrieve every job
/// not yet finished; a job is noticed at the first retrieve that shows it completed.
pub(super) async fn fixed_polling(jobs: usize) -> anyhow::Result<Outcome> {
    let (_sim, sim_url) = start_sim(&sim_env());
    let http = reqwest::Client::new();
    wait_for(&http, &format!("{sim_url}/sim/stats")).await?;
    let clock = Clock::now();
    let mut running: Vec<(String, String)> = Vec::new();
    for i in 0..jobs {
        let prompt = prompt(i, jobs);
        let video: Value = http
            .post(format!("{sim_url}/v1/videos"))
            .bearer_auth("sk-sim")
            .json(&json!({ "prompt": prompt }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let id = video["id"].as_str().unwrap_or_default().to_owned();
        running.push((id, prompt));
    }
    let mut noticed: Vec<(String, Instant)> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(FIXED_INTERVAL_MS / SPEEDUP));
    tick.tick().await;
    while !running.is_empty() {
        tick.tick().await;
        let polls = running.iter().map(|(id, _)| {
            let http = &http;
            let url = format!("{sim_url}/v1/videos/{id}");
            async move {
                let video: Value = http
                    .get(url)
                    .bearer_auth("sk-sim")
                    .send()
                    .await?
                    .json()
                    .await?;
                Ok::<_, reqwest::Error>(video["status"] == "completed")
            }
        });
        let done = join_all(polls).await;
        let now = Instant::now();
        let mut still = Vec::new();
        for ((id, prompt), done) in running.into_iter().zip(done) {
            if done? {
                noticed.push((prompt, now));
            } else {
                still.push((id, prompt));
            }
        }
        running = still;
    }
    let finishes = finish_times(&http, &sim_url).await?;
    let delays = noticed
        .iter()
        .filter_map(|(prompt, at)| {
            let done = finishes.get(prompt)?;
            Some((clock.epoch_ms(*at) - done) * SPEEDUP as f64 / 1000.0)
        })
        .collect();
    let sim = get_json(&http, &format!("{sim_url}/sim/stats")).await?;
    Ok(Outcome {
        requests: requests(&sim),
        delays,
        callback_to_webhook_ms: Vec::new(),
    })
}
