//! Chaos: jobs submitted through the API while worker processes are SIGKILLed again and again,
//! Redis is killed and restarted from its append-only file, and the provider answers some
//! requests with 429 or 500. Every job must reach its final state exactly once, with a verified
//! final webhook, and the provider must have seen each job exactly once.
//!
//! `CHAOS_JOBS` (default 120) sets the size; the test prints its figures.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use e2e::processes::Process;
use e2e::receiver::Failing;
use e2e::stack::test_env;
use e2e::Stack;
use serde_json::json;
use sora_sim::{Faults, SimConfig};

const WORKERS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_finishes_once_through_worker_kills_redis_restarts_and_provider_faults() {
    let jobs: usize = std::env::var("CHAOS_JOBS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(120);
    let sim = SimConfig {
        queued_ms: 200,
        running_ms: 500,
        running_ms_max: Some(1500),
        failure_rate: 0.1,
        ..SimConfig::default()
    };
    let chaos_env = [
        ("JOB_LEASE_MS", "3000"),
        ("POLL_INITIAL_INTERVAL_MS", "200"),
        ("POLL_MAX_INTERVAL_MS", "1000"),
        ("WORKER_IDLE_MAX_MS", "500"),
        ("WEBHOOK_RETRY_INITIAL_MS", "200"),
        ("WEBHOOK_RETRY_MAX_MS", "1000"),
    ];
    let mut stack = Stack::start(sim, &chaos_env).await;
    stack.sim.set_faults(Faults {
        rate_429: 0.05,
        retry_after_secs: 1,
        rate_5xx: 0.05,
        ..Faults::default()
    });
    // The receiver refuses its first deliveries, as a client that is still starting up would.
    stack.receiver.fail_next(Failing::times(40, 500));
    let mut env = test_env(&stack.redis, &stack.sim_url, &stack.receiver.url);
    env.extend(
        chaos_env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let mut workers: Vec<Process> = (0..WORKERS)
        .map(|_| Process::spawn("relay-worker", &[], &env))
        .collect();
    // One worker is never killed: it must ride out every Redis restart on its own.
    let steady = Process::spawn("relay-worker", &[], &env);

    let started = Instant::now();
    let (mut kills, mut redis_restarts, mut rejected_submissions) = (0, 0, 0);
    let mut ids: Vec<String> = Vec::new();
    let mut next_kill = Instant::now() + Duration::from_millis(1500);
    let mut redis_chaos_at = [
        Instant::now() + Duration::from_secs(3),
        Instant::now() + Duration::from_secs(9),
    ]
    .into_iter()
    .peekable();

    let mut redis_back_at: Option<Instant> = None;
    let mut done = false;
    let deadline = Instant::now() + Duration::from_secs(150);
    while !done {
        assert!(
            Instant::now() < deadline,
            "chaos run did not finish in time: {} of {jobs} jobs final",
            finals(&stack, &ids).len()
        );
        // Submit a few jobs per tick, as clients would, retrying while the API says 503.
        for _ in 0..2 {
            if ids.len() >= jobs {
                break;
            }
            let body = json!({"walletAddress": "chaos", "script": format!("chaos job {}", ids.len()), "renderVersion": "v3"});
            match stack.post_json("/api/generate", &body).await {
                (202, reply) => ids.push(reply["jobId"].as_str().unwrap().to_owned()),
                (503, _) => rejected_submissions += 1,
                (status, reply) => panic!("unexpected {status}: {reply}"),
            }
        }
        if Instant::now() >= next_kill {
            let victim = kills % WORKERS;
            workers[victim] = Process::spawn("relay-worker", &[], &env); // the old one is SIGKILLed on drop
            kills += 1;
            next_kill = Instant::now() + Duration::from_millis(1500);
        }
        // Redis dies (SIGKILL) and comes back 700 ms later; clients keep submitting meanwhile.
        if redis_chaos_at
            .peek()
            .is_some_and(|at| Instant::now() >= *at)
        {
            redis_chaos_at.next();
            stack.redis.server().kill();
            redis_back_at = Some(Instant::now() + Duration::from_millis(700));
        }
        if redis_back_at.is_some_and(|at| Instant::now() >= at) {
            redis_back_at = None;
            stack.redis.server().restart();
            redis_restarts += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        done = ids.len() == jobs && redis_back_at.is_none() && finals(&stack, &ids).len() == jobs;
    }
    let elapsed = started.elapsed();
    drop(workers);
    let steady_log = steady.output();
    let last_outage = steady_log
        .iter()
        .rposition(|l| l.contains("redis unavailable"));
    assert!(last_outage.is_some(), "the steady worker saw the outages");
    assert!(
        steady_log[last_outage.unwrap()..]
            .iter()
            .any(|l| l.contains("Polling")),
        "the steady worker went on polling after Redis came back"
    );

    // Exactly once: every job is final in the store, and the counters agree.
    let mut by_status: HashMap<String, usize> = HashMap::new();
    for id in &ids {
        let view = stack.status(id).await;
        *by_status
            .entry(view["status"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let stats = stack.stats().await;
    assert_eq!(stats.total_jobs, jobs as i64, "{stats:?}");
    assert_eq!(
        (Some(stats.queued_jobs), Some(stats.processing_jobs)),
        (Some(0), Some(0)),
        "{stats:?}"
    );
    for status in ["completed", "failed", "timeout"] {
        assert_eq!(
            stats.jobs(status.parse().unwrap()) as usize,
            by_status.get(status).copied().unwrap_or(0),
            "{stats:?}"
        );
    }
    // Every final webhook verified, and a job's final webhooks (re-deliveries included) agree.
    let received = stack.receiver.all();
    assert!(
        received.iter().all(|r| r.signature_ok && r.standard_ok),
        "a webhook failed verification"
    );
    let final_webhooks = finals(&stack, &ids);
    for id in &ids {
        let statuses: HashSet<&str> = received
            .iter()
            .filter(|r| r.job_id() == id && is_final(r.status()))
            .map(|r| r.status())
            .collect();
        assert_eq!(statuses.len(), 1, "job {id} ended as {statuses:?}");
        assert_eq!(
            stack.status(id).await["status"],
            *statuses.iter().next().unwrap()
        );
    }
    // The provider saw each job exactly once.
    let sim = stack.sim.counters();
    let duplicates: Vec<(&String, &u64)> = sim
        .creates_by_prompt
        .iter()
        .filter(|(_, n)| **n > 1)
        .collect();
    assert!(
        duplicates.is_empty(),
        "duplicate submissions: {duplicates:?}"
    );
    assert_eq!(sim.creates as usize, jobs);

    let final_count = received.iter().filter(|r| is_final(r.status())).count();
    println!(
        "chaos: {jobs} jobs in {:.1}s | {kills} worker SIGKILLs, {redis_restarts} Redis kill+restarts, {rejected_submissions} submissions answered 503 | final states {by_status:?} | {} webhooks refused by the receiver, {} delivered ({} final, {} re-deliveries of a final) | provider: {} creates, {} retrieves, {} lists, {} injected 429, {} injected 500, 0 duplicates",
        elapsed.as_secs_f64(),
        stack.receiver.refused().len(),
        received.len(),
        final_count,
        final_count - final_webhooks.len(),
        sim.creates,
        sim.retrieves,
        sim.lists,
        sim.injected_429,
        sim.injected_5xx,
    );
}

fn is_final(status: &str) -> bool {
    matches!(status, "completed" | "failed" | "timeout")
}

/// Jobs among `ids` with at least one final webhook received.
fn finals(stack: &Stack, ids: &[String]) -> HashSet<String> {
    let wanted: HashSet<&String> = ids.iter().collect();
    stack
        .receiver
        .all()
        .into_iter()
        .filter(|r| is_final(r.status()) && wanted.contains(&r.job_id().to_owned()))
        .map(|r| r.job_id().to_owned())
        .collect()
}
