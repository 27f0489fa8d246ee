//! The provider's limits, shared by every worker through Redis: a request budget, a pause after
//! a 429, a submission pause when the quota is gone, and a cap on jobs at the provider at once.

use std::time::{Duration, Instant};

use e2e::Stack;
use serde_json::json;
use sora_sim::{Faults, SimConfig};

fn requests(stack: &Stack) -> u64 {
    let c = stack.sim.counters();
    c.creates + c.retrieves + c.lists + c.injected_429 + c.injected_5xx + c.injected_quota
}

#[tokio::test]
async fn two_workers_together_keep_to_the_requests_per_minute_budget() {
    // 120 requests a minute: one every 500 ms after a burst of 10.
    let stack = Stack::start(
        SimConfig {
            queued_ms: 0,
            running_ms: 300,
            ..SimConfig::default()
        },
        &[("SORA_MAX_RPM", "120")],
    )
    .await;
    let _a = stack.spawn_worker();
    let _b = stack.spawn_worker();
    let started = Instant::now();
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(stack.submit(&format!("budgeted {n}"), json!({})).await);
    }
    stack
        .receiver
        .wait_for_final(&ids, Duration::from_secs(60))
        .await;
    let elapsed = started.elapsed();
    let made = requests(&stack);
    println!("{made} provider requests in {elapsed:?}");
    assert!(
        made >= 12,
        "at least a create and a final poll per job: {made}"
    );
    let allowed = 10.0 + elapsed.as_secs_f64() * 2.0;
    assert!(
        (made as f64) <= allowed,
        "{made} requests in {elapsed:?} exceeds the budget ({allowed:.1})"
    );
}

#[tokio::test]
async fn a_429_pauses_every_worker_for_its_retry_after() {
    let stack = Stack::start(
        SimConfig {
            queued_ms: 0,
            running_ms: 300,
            ..SimConfig::default()
        },
        &[],
    )
    .await;
    stack.sim.set_faults(Faults {
        rate_429: 1.0,
        retry_after_secs: 3,
        ..Faults::default()
    });
    let _a = stack.spawn_worker();
    let _b = stack.spawn_worker();
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(stack.submit(&format!("paused {n}"), json!({})).await);
    }
    // Ten due jobs and two workers, yet after the first 429 nobody asks again until it expires.
    e2e::eventually(Duration::from_secs(5), "the first 429", || async {
        (stack.sim.counters().injected_429 > 0).then_some(())
    })
    .await;
    let first_seen = Instant::now();
    // Requests already on the wire when the first 429 came back land within a moment; after that,
    // nothing reaches the provider until the 3 s pause is over.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let settled = requests(&stack);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        requests(&stack),
        settled,
        "requests reached the provider during the pause"
    );
    stack.sim.set_faults(Faults::default());
    stack
        .receiver
        .wait_for_final(&ids, Duration::from_secs(30))
        .await;
    assert!(
        first_seen.elapsed() >= Duration::from_millis(2500),
        "work resumed only after the pause"
    );
    assert_eq!(stack.sim.counters().creates, 10);
}

#[tokio::test]
async fn an_exhausted_quota_pauses_submissions_without_failing_jobs() {
    let stack = Stack::start(
        SimConfig {
            queued_ms: 0,
            running_ms: 300,
            ..SimConfig::default()
        },
        &[("SORA_QUOTA_PAUSE_SECS", "2")],
    )
    .await;
    // On creates only: the worker's start-up key check (a read) is not a submission.
    stack.sim.set_faults(Faults {
        rate_quota: 1.0,
        posts_only: true,
        ..Faults::default()
    });
    let _worker = stack.spawn_worker();
    let ids = [
        stack.submit("quota one", json!({})).await,
        stack.submit("quota two", json!({})).await,
    ];
    e2e::eventually(Duration::from_secs(5), "the quota error", || async {
        (stack.sim.counters().injected_quota > 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await; // inside the 2 s pause
    assert!(
        stack.sim.counters().injected_quota <= 2,
        "submissions stopped: {:?}",
        stack.sim.counters()
    );
    for id in &ids {
        assert_eq!(
            stack.status(id).await["status"],
            "queued",
            "the job waits, it is not failed"
        );
    }
    stack.sim.set_faults(Faults::default());
    stack
        .receiver
        .wait_for_final(&ids, Duration::from_secs(30))
        .await;
    let stats = stack.stats().await;
    assert_eq!(
        (Some(stats.completed_jobs), Some(stats.failed_jobs)),
        (Some(2), Some(0))
    );
}

#[tokio::test]
async fn the_in_flight_cap_holds_jobs_back_and_submits_them_in_arrival_order() {
    let stack = Stack::start(
        SimConfig {
            queued_ms: 0,
            running_ms: 400,
            ..SimConfig::default()
        },
        &[("SORA_MAX_IN_FLIGHT", "2")],
    )
    .await;
    let _a = stack.spawn_worker();
    let _b = stack.spawn_worker();
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(stack.submit(&format!("capped {n}"), json!({})).await);
    }
    stack
        .receiver
        .wait_for_final(&ids, Duration::from_secs(60))
        .await;
    let videos = stack.sim.all_videos();
    let order: Vec<usize> = videos
        .iter()
        .map(|v| v.prompt["capped ".len()..].parse().unwrap())
        .collect();
    // Two slots: the two oldest jobs go first (in either order), and no job overtakes one that
    // arrived more than one place before it.
    let mut first_two = order[..2].to_vec();
    first_two.sort();
    assert_eq!(first_two, [0, 1], "{order:?}");
    assert!(
        order
            .iter()
            .enumerate()
            .all(|(place, &job)| job <= place + 1),
        "{order:?}"
    );
    // At no moment were more than two videos running at the provider.
    let mut edges: Vec<(u64, i32)> = videos
        .iter()
        .flat_map(|v| {
            [
                (v.created_ms, 1),
                (v.created_ms + v.queued_ms + v.running_ms, -1),
            ]
        })
        .collect();
    edges.sort_by_key(|&(t, delta)| (t, delta));
    let (mut running, mut peak) = (0, 0);
    for (_, delta) in edges {
        running += delta;
        peak = peak.max(running);
    }
    assert_eq!(peak, 2, "{videos:#?}");
}
