//! A thousand running jobs in the Jobs view while their progress events stream
//! (`e2e/node/dashboard-load.mjs`): the page draws updates once per animation frame, so the frames
//! stay short. Measured, then judged against what "without jank" means: the 95th-percentile frame
//! within 50 ms (20 frames a second at worst for most of the window) and few frames over it.

use futures_util::stream::{self, StreamExt};
use sora_sim::SimConfig;

use e2e::access::ADMIN;
use e2e::Stack;

use super::browse;

const JOBS: usize = 1000;

#[tokio::test]
async fn a_thousand_running_jobs_update_without_jank() {
    let sim = SimConfig {
        queued_ms: 100,
        running_ms: 180_000,
        ..SimConfig::default()
    };
    let stack = Stack::start(sim, &[("AUTH", "on"), ("ADMIN_API_KEY", ADMIN)]).await;
    let _worker = stack.spawn_worker();
    let submitted: Vec<u16> = stream::iter(0..JOBS)
        .map(|n| {
            let stack = &stack;
            async move {
                stack
                    .http
                    .post(format!("{}/api/generate", stack.api))
                    .bearer_auth(ADMIN)
                    .json(
                        &serde_json::json!({"walletAddress": "load", "script": format!("fox {n}")}),
                    )
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(submitted.iter().all(|s| *s == 202), "every job accepted");
    let (code, output) = browse("dashboard-load.mjs", &[&stack.api, ADMIN]).await;
    assert_eq!(code, Some(0), "{output}");
    let line = output
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("figures");
    let figures: serde_json::Value = serde_json::from_str(line).unwrap();
    println!("dashboard with {JOBS} running jobs: {figures}");
    let number = |k: &str| figures[k].as_f64().unwrap();
    assert!(number("rows") >= JOBS as f64, "{figures}");
    assert!(
        number("updates") >= 200.0,
        "events streamed while measured: {figures}"
    );
    assert!(number("p95Ms") <= 50.0, "{figures}");
    assert!(number("over50Ms") <= number("frames") * 0.05, "{figures}");
}
