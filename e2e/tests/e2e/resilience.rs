//! Nothing lost, nothing doubled: leases outlive slow calls, stopping workers hand their jobs back,
//! finished jobs expire on schedule while the stats keep counting them.

use std::time::{Duration, Instant};

use e2e::processes::Process;
use e2e::{eventually, Stack};
use serde_json::json;
use sora_sim::SimConfig;

#[tokio::test]
async fn a_provider_call_slower_than_the_lease_keeps_its_job() {
    // Every provider call takes 1.5 leases. Without renewal a second worker would take each job
    // over mid-call and submit it again.
    let slow = SimConfig {
        queued_ms: 0,
        running_ms: 100,
        latency_ms: 1500,
        ..SimConfig::default()
    };
    let stack = Stack::start(slow, &[("JOB_LEASE_MS", "1000")]).await;
    let _a = stack.spawn_worker();
    let _b = stack.spawn_worker();
    let ids = [
        stack.submit("slow one", json!({})).await,
        stack.submit("slow two", json!({})).await,
    ];
    let all = stack
        .receiver
        .wait_for_final(&ids, Duration::from_secs(30))
        .await;
    assert!(
        all.iter().filter(|r| r.status() == "completed").count() == 2,
        "{all:#?}"
    );
    let counters = stack.sim.counters();
    assert_eq!(counters.creates, 2, "{counters:?}");
}

#[tokio::test]
async fn a_stopping_worker_hands_back_its_jobs_at_once() {
    // The default lease is 30 s: only a hand-back explains another worker finishing the job sooner.
    let slow = SimConfig {
        queued_ms: 0,
        running_ms: 100,
        latency_ms: 2000,
        ..SimConfig::default()
    };
    let stack = Stack::start(
        slow,
        &[
            ("JOB_LEASE_MS", "30000"),
            ("WORKER_SHUTDOWN_GRACE_MS", "300"),
        ],
    )
    .await;
    let mut env = e2e::stack::test_env(&stack.redis, &stack.sim_url, &stack.receiver.url);
    env.insert("JOB_LEASE_MS".into(), "30000".into());
    env.insert("WORKER_SHUTDOWN_GRACE_MS".into(), "300".into());
    let mut first = Process::spawn("relay-worker", &[], &env);
    let id = stack.submit("handed over", json!({})).await;
    eventually(
        Duration::from_secs(10),
        "the first worker to claim the job",
        || async { (first.count_lines("Polling 1 job") > 0).then_some(()) },
    )
    .await;

    let stopped = Instant::now();
    assert_eq!(first.terminate(), Some(0), "{:#?}", first.output());
    assert!(
        stopped.elapsed() < Duration::from_secs(5),
        "stopped within the grace: {:?}",
        stopped.elapsed()
    );
    assert_eq!(
        first.count_lines("handed back 1 unfinished"),
        1,
        "{:#?}",
        first.output()
    );

    let _second = stack.spawn_worker();
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), Duration::from_secs(15))
        .await;
    assert!(stopped.elapsed() < Duration::from_secs(20));
    assert_eq!(
        stack.sim.counters().creates,
        1,
        "the aborted call created nothing"
    );
}

#[tokio::test]
async fn finished_jobs_expire_after_retention_and_stats_keep_counting_them() {
    let stack = Stack::start(Stack::quick_sim(), &[("JOB_RETENTION_SECS", "1")]).await;
    let _worker = stack.spawn_worker();
    let id = stack.submit("short-lived record", json!({})).await;
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), Duration::from_secs(20))
        .await;
    eventually(
        Duration::from_secs(10),
        "the finished job to expire",
        || async { (stack.get(&format!("/api/videos/status/{id}")).await.0 == 404).then_some(()) },
    )
    .await;
    let stats = stack.stats().await;
    assert_eq!(
        (Some(stats.total_jobs), Some(stats.completed_jobs)),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn a_worker_killed_mid_submission_leaves_no_second_video() {
    // SIGKILL while the create call is on the wire: the provider makes the video, nobody hears of
    // it. When the lease runs out the next worker must find that video and adopt it.
    let slow = SimConfig {
        queued_ms: 0,
        running_ms: 100,
        latency_ms: 1000,
        ..SimConfig::default()
    };
    let stack = Stack::start(slow, &[("JOB_LEASE_MS", "1500")]).await;
    let mut env = e2e::stack::test_env(&stack.redis, &stack.sim_url, &stack.receiver.url);
    env.insert("JOB_LEASE_MS".into(), "1500".into());
    let doomed = Process::spawn("relay-worker", &[], &env);
    let id = stack.submit("killed mid-call", json!({})).await;
    // Kill it once its intent to submit is recorded: the create call is on the wire (or about to
    // be), and its answer will never be stored.
    let store = relay_shared::store::Store::connect(&stack.settings).unwrap();
    eventually(
        Duration::from_secs(10),
        "the doomed worker to record its intent",
        || async {
            let job = store.job(&id).await.ok().flatten()?;
            job.get("submit_at").map(|_| ())
        },
    )
    .await;
    drop(doomed); // SIGKILL

    let _survivor = stack.spawn_worker();
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), Duration::from_secs(20))
        .await;
    let counters = stack.sim.counters();
    assert_eq!(counters.creates, 1, "{counters:?}");
    assert!(
        counters.lists >= 1,
        "the survivor looked for the lost video"
    );
    assert_eq!(stack.status(&id).await["status"], "completed");
}
