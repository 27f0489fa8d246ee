//! A thousand running jobs in the Jobs view while their progress events stream
//! (`e2e/node/dashboard-load.mjs`). What the test holds the page to is the design that keeps it
//! smooth, which does not depend on how busy the machine is: every row stays on screen, the events
//! keep arriving, rows are changed in place (none is rebuilt), and Chromium lays the page out at
//! most once a frame however many events come in (no layout read between writes). The frame times themselves are measured and printed (BENCHMARKS.md records
//! them); they are not asserted, since on a shared 2-core machine they say as much about the tests
//! running beside this one as about the page. `.config/nextest.toml` runs this test alone so the
//! printed figures are of the page and not of its neighbours.

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
    assert_eq!(
        number("rowsReplaced"),
        0.0,
        "rows are updated in place: {figures}"
    );
    assert!(
        number("layouts") <= number("framesCounted") + 2.0,
        "at most one layout a frame: {figures}"
    );
}
