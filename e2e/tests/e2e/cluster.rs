//! The whole system on a real local Redis Cluster (three primaries, `redis-cli --cluster create`):
//! every script stays in one hash slot, jobs spread over the shards, and the results match the
//! single-server run.

use std::time::Duration;

use e2e::stack::Redis;
use e2e::Stack;
use serde_json::json;

#[tokio::test]
async fn jobs_run_end_to_end_on_a_three_primary_cluster() {
    let stack = Stack::start_on_cluster(Stack::quick_sim(), &[]).await;
    let _a = stack.spawn_worker();
    let _b = stack.spawn_worker();
    let mut ids = Vec::new();
    for n in 0..30 {
        let script = if n % 10 == 9 {
            format!("cluster job {n} sim:fail")
        } else {
            format!("cluster job {n}")
        };
        ids.push(stack.submit(&script, json!({})).await);
    }
    let all = stack
        .receiver
        .wait_for_final(&ids, Duration::from_secs(60))
        .await;
    assert!(all.iter().all(|r| r.signature_ok));

    let stats = stack.stats().await;
    assert_eq!(
        stats,
        e2e::Stats {
            total_jobs: 30,
            queued_jobs: 0,
            processing_jobs: 0,
            completed_jobs: 27,
            failed_jobs: 3,
            timeout_jobs: 0,
            webhook_dead_letters: 0,
            submissions_unknown: 0,
            cancelled_jobs: 0
        }
    );
    assert_eq!(stack.sim.counters().creates, 30);
    assert_eq!(stack.status(&ids[0]).await["status"], "completed");

    // Partitions live on every shard.
    let Redis::Cluster(cluster) = &stack.redis else {
        unreachable!()
    };
    let per_node = cluster.keys_per_node();
    assert!(
        per_node.iter().all(|&n| n > 0),
        "keys per node: {per_node:?}"
    );
}

#[tokio::test]
async fn force_poll_and_readiness_work_on_a_cluster() {
    let stack = Stack::start_on_cluster(
        sora_sim::SimConfig {
            queued_ms: 0,
            running_ms: 600_000,
            ..Default::default()
        },
        &[
            ("POLL_INITIAL_INTERVAL_MS", "60000"),
            ("POLL_MAX_INTERVAL_MS", "60000"),
        ],
    )
    .await;
    assert_eq!(stack.get("/readyz").await.0, 200);
    let _worker = stack.spawn_worker();
    let id = stack.submit("forced on a cluster", json!({})).await;
    stack
        .receiver
        .wait_until(Duration::from_secs(10), "the queued webhook", |all| {
            all.iter().any(|r| r.status() == "queued")
        })
        .await;
    let (status, _) = stack
        .post_json(&format!("/api/sora/poll/{id}"), &json!({}))
        .await;
    assert_eq!(status, 202);
    stack
        .receiver
        .wait_until(Duration::from_secs(5), "the processing webhook", |all| {
            all.iter().any(|r| r.status() == "processing")
        })
        .await;
}
