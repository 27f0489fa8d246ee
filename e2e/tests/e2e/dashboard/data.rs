//! What the dashboard reads, checked against what happened: the last hour's per-minute series,
//! a job's log of quiet polls, the providers' load, run times and breakers, the dead letters and the
//! endpoints failing now — each tenant's own where it is a tenant's.

use std::time::Duration;

use e2e::access::{call, new_tenant, stack, submit, ADMIN};
use e2e::receiver::{Failing, Receiver};
use e2e::stack::SECRET;
use e2e::Stack;
use relay_shared::config::Target;
use reqwest::Method;
use serde_json::{json, Value};
use sora_sim::SimConfig;

async fn get(stack: &Stack, key: &str, path: &str) -> Value {
    let (status, reply) = call(stack, Method::GET, path, key, None).await;
    assert_eq!(status, 200, "{path}: {reply}");
    reply
}

async fn wait_final(stack: &Stack, key: &str, job: &str) -> Value {
    e2e::eventually(Duration::from_secs(20), "the job to finish", || async {
        let view = get(stack, key, &format!("/api/videos/status/{job}")).await;
        (view["status"] == "completed").then_some(view)
    })
    .await
}

/// `name`'s count over the series (the test may straddle a minute).
fn counted(minutes: &Value, name: &str) -> i64 {
    minutes["minutes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["counts"][name].as_i64().unwrap_or(0))
        .sum()
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
    assert_eq!(counted(&hers, "delivered"), 0, "the relay's own, not hers");
    let his = get(&stack, &bob, "/api/stats/minutes?minutes=5").await;
    assert_eq!(
        (counted(&his, "queued"), counted(&his, "completed")),
        (1, 1)
    );
    let all = e2e::eventually(Duration::from_secs(10), "the last webhooks", || async {
        let all = get(&stack, ADMIN, "/api/stats/minutes?minutes=5").await;
        (counted(&all, "delivered") >= 6).then_some(all)
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
async fn dead_letters_and_failing_endpoints_are_each_tenants_own_and_a_delivery_clears_them() {
    let stack = Stack::start(
        Stack::quick_sim(),
        &[
            ("AUTH", "on"),
            ("ADMIN_API_KEY", ADMIN),
            ("WEBHOOK_ALLOWED_NETS", "127.0.0.0/8"),
            ("WEBHOOK_MAX_ATTEMPTS", "2"),
            ("WEBHOOK_RETRY_INITIAL_MS", "100"),
        ],
    )
    .await;
    let _worker = stack.spawn_worker();
    let (_, alice) = new_tenant(&stack, "alice").await;
    let (_, bob) = new_tenant(&stack, "bob").await;
    let down = Receiver::start_failing(SECRET, Failing::times(usize::MAX, 503));
    let body = json!({"walletAddress": "w", "script": "a fox", "webhookUrl": down.url});
    let (status, reply) = call(&stack, Method::POST, "/api/generate", &alice, Some(body)).await;
    assert_eq!(status, 202, "{reply}");
    let job = reply["jobId"].as_str().unwrap().to_owned();
    submit(&stack, &bob).await;

    let letters = e2e::eventually(Duration::from_secs(20), "her dead letters", || async {
        let letters = get(&stack, &alice, "/api/deliveries/dead").await;
        (letters["deadLetters"].as_array().unwrap().len() >= 3).then_some(letters)
    })
    .await;
    let first = letters["deadLetters"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (&first["jobId"], &first["sequence"]),
        (&json!(job), &json!(1))
    );
    assert_eq!(first["attempts"], 2);
    assert!(first["error"].as_str().unwrap().contains("503"), "{first}");
    assert_eq!(first["event"]["status"], "queued");
    let everyone = get(&stack, ADMIN, "/api/deliveries/dead?limit=1").await;
    assert_eq!(everyone["deadLetters"].as_array().unwrap().len(), 1);
    assert_eq!(everyone["truncated"], true);
    let his = get(&stack, &bob, "/api/deliveries/dead").await;
    assert_eq!(his["deadLetters"], json!([]), "not his");

    let failing = get(&stack, &alice, "/api/deliveries/failing").await;
    let endpoint = &failing["endpoints"][0];
    let shown = endpoint["endpoint"].as_str().unwrap();
    assert!(
        shown.starts_with("http://127.0.0.1:") && shown.contains('#'),
        "{shown}"
    );
    assert!(
        !shown.contains("sora-status"),
        "shown as logs show it: {shown}"
    );
    assert!(endpoint["failures"].as_u64().unwrap() >= 6, "{endpoint}");
    assert!(
        endpoint["error"].as_str().unwrap().contains("503"),
        "{endpoint}"
    );
    assert_eq!(
        get(&stack, &bob, "/api/deliveries/failing").await["endpoints"],
        json!([])
    );

    // The receiver is back: a redelivery reaches it, and the endpoint is failing no more.
    down.fail_next(Failing::default());
    let redeliver = format!(
        "/api/deliveries/{}/redeliver",
        first["deliveryId"].as_str().unwrap()
    );
    let (status, reply) = call(&stack, Method::POST, &redeliver, &alice, None).await;
    assert_eq!(status, 202, "{reply}");
    e2e::eventually(
        Duration::from_secs(10),
        "the endpoint to recover",
        || async {
            let failing = get(&stack, &alice, "/api/deliveries/failing").await;
            (failing["endpoints"] == json!([])).then_some(())
        },
    )
    .await;
    assert!(down.for_job(&job).iter().any(|r| r.status() == "queued"));
    let letters = get(&stack, &alice, "/api/deliveries/dead").await;
    assert!(
        !letters["deadLetters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["deliveryId"] == first["deliveryId"]),
        "out of the dead letters: {letters}"
    );
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
