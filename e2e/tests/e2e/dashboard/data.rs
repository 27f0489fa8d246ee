//! What the dashboard reads, checked against what happened: the last hour's per-minute series,
//! a job's log of quiet polls, the providers' load, run times and breakers — each tenant's own
//! where it is a tenant's. The dead letters and failing endpoints: [`super::trouble`].

use std::time::Duration;

use e2e::access::{call, new_tenant, stack, submit, ADMIN};
use e2e::Stack;
use relay_shared::config::Target;
use reqwest::Method;
use serde_json::{json, Value};
use sora_sim::SimConfig;

use super::{counted, get};

async fn wait_final(stack: &Stack, key: &str, job: &str) -> Value {
    e2e::eventually(Duration::from_secs(20), "the job to finish", || async {
        let view = get(stack, key, &format!("/api/videos/status/{job}")).await;
        (view["status"] == "completed").then_some(view)
    })
    .await
}

#[tokio::test]
async fn the_series_and_the_providers_follow_what_happened() {
    let stack = stack().await;
    let _worker = stack.spawn_worker();
    let (_, alice) = new_tenant(&stack, "alice").await;
    let (_, bob) = new_tenant(&stack, "bob").await;
    let mine = [submit(&stack, &alice).await, submit(&stack, &alice).await];
    let bobs = submit(&stack, &bob).await;
    for job in &mine {
        wait_final(&stack, &alice, job).await;
    }
    wait_final(&stack, &bob, &bobs).await;

    let hers = get(&stack, &alice, "/api/stats/minutes?minutes=5").await;
    assert_eq!(hers["minutes"].as_array().unwrap().len(), 5);
    assert_eq!(
        (counted(&hers, "queued"), counted(&hers, "completed")),
        (2, 2)
    );
    let his = get(&stack, &bob, "/api/stats/minutes?minutes=5").await;
    assert_eq!(
        (counted(&his, "queued"), counted(&his, "completed")),
        (1, 1)
    );
    // Every job is a tenant's: once the webhooks are out, the relay's deliveries are theirs.
    let all = e2e::eventually(Duration::from_secs(10), "the last webhooks", || async {
        let all = get(&stack, ADMIN, "/api/stats/minutes?minutes=5").await;
        let hers = get(&stack, &alice, "/api/stats/minutes?minutes=5").await;
        let his = get(&stack, &bob, "/api/stats/minutes?minutes=5").await;
        let delivered = counted(&all, "delivered");
        let theirs = counted(&hers, "delivered") + counted(&his, "delivered");
        (delivered >= 6 && delivered == theirs && counted(&his, "delivered") >= 2).then_some(all)
    })
    .await;
    assert_eq!(
        (counted(&all, "queued"), counted(&all, "completed")),
        (3, 3)
    );
    for bad in ["0", "121", "x"] {
        let path = format!("/api/stats/minutes?minutes={bad}");
        let (status, reply) = call(&stack, Method::GET, &path, ADMIN, None).await;
        assert_eq!(status, 422, "{bad}: {reply}");
    }

    let path = format!("/api/videos/{}/polls", mine[0]);
    let (status, _) = call(&stack, Method::GET, &path, &bob, None).await;
    assert_eq!(status, 404, "another tenant's job");

    let providers = get(&stack, &bob, "/api/providers").await;
    let openai = &providers["providers"][0];
    assert_eq!(
        (&openai["name"], &openai["default"]),
        (&json!("openai"), &json!(true))
    );
    let requests = openai["requestsThisMinute"].as_u64().unwrap()
        + openai["requestsLastMinute"].as_u64().unwrap();
    assert!(requests >= 6, "three creates and their polls: {openai}");
    let model = &openai["models"][0];
    assert_eq!(
        (&model["runs"], &model["circuit"]),
        (&json!(3), &json!("closed"))
    );
    let (p50, p95) = (
        model["p50Ms"].as_u64().unwrap(),
        model["p95Ms"].as_u64().unwrap(),
    );
    assert!(p50 > 0 && p95 >= p50, "{model}");

    // A breaker that opens shows as open, until when; looking does not move it.
    let target = Target::new("openai", model["model"].as_str().unwrap());
    let circuit = stack.settings.providers.circuit;
    for _ in 0..circuit.failures {
        stack
            .store()
            .circuit_failure(&target, circuit)
            .await
            .unwrap();
    }
    for _ in 0..2 {
        let providers = get(&stack, ADMIN, "/api/providers").await;
        let model = &providers["providers"][0]["models"][0];
        assert_eq!(model["circuit"], "open", "{model}");
        assert!(model["openUntil"].is_string(), "{model}");
    }
}

#[tokio::test]
async fn polls_that_find_nothing_new_are_logged_the_latest_twenty_of_all() {
    // Videos queued at the provider for a minute, polled every 50 ms: every poll meanwhile finds
    // nothing new.
    let sim = SimConfig {
        queued_ms: 60_000,
        ..Stack::quick_sim()
    };
    let env = [
        ("AUTH", "on"),
        ("ADMIN_API_KEY", ADMIN),
        ("POLL_INITIAL_INTERVAL_MS", "50"),
        ("POLL_MAX_INTERVAL_MS", "50"),
    ];
    let stack = Stack::start(sim, &env).await;
    let _worker = stack.spawn_worker();
    let (_, key) = new_tenant(&stack, "alice").await;
    let job = submit(&stack, &key).await;
    let path = format!("/api/videos/{job}/polls");
    let log = e2e::eventually(Duration::from_secs(20), "25 quiet polls", || async {
        let log = get(&stack, &key, &path).await;
        (log["total"].as_u64().unwrap() >= 25).then_some(log)
    })
    .await;
    assert_eq!(log["kept"], 20);
    let times: Vec<&str> = log["polls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["at"].as_str().unwrap())
        .collect();
    assert_eq!(times.len(), 20, "the latest twenty: {log}");
    assert!(
        times.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {times:?}"
    );
    let view = get(&stack, &key, &format!("/api/videos/status/{job}")).await;
    assert_eq!(
        (&view["status"], &view["progress"]),
        (&json!("queued"), &json!(0)),
        "quiet polls changed nothing"
    );
    assert!(
        view["updatedAt"].as_str().unwrap() < times[0],
        "nor moved `updated`: {view}"
    );
}
