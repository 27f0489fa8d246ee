//! What the Deliveries view reads, against what happened: each tenant's dead letters — listed and
//! counted from its own index of them, so another tenant's many never crowd its few off the page —
//! in its stats and its minutes too, and the endpoints failing now; a delivery clears both.

use std::time::Duration;

use e2e::access::{call, new_tenant, stats, ADMIN};
use e2e::receiver::{Failing, Receiver};
use e2e::stack::SECRET;
use e2e::Stack;
use reqwest::Method;
use serde_json::{json, Value};

use super::{counted, get};

/// Submits a job for `key` whose webhooks go to `url`: its id.
async fn submit_to(stack: &Stack, key: &str, url: &str) -> String {
    let body = json!({"walletAddress": "w", "script": "a fox", "webhookUrl": url});
    let (status, reply) = call(stack, Method::POST, "/api/generate", key, Some(body)).await;
    assert_eq!(status, 202, "{reply}");
    reply["jobId"].as_str().unwrap().to_owned()
}

/// `key`'s dead letters once `job`'s last event (`completed`) is among them: every event of the
/// job has died by then, since a job's events leave its outbox in order.
async fn all_dead(stack: &Stack, key: &str, job: &str) -> Vec<Value> {
    e2e::eventually(Duration::from_secs(20), "every event dead", || async {
        let letters = get(stack, key, "/api/deliveries/dead").await["deadLetters"]
            .as_array()
            .unwrap()
            .clone();
        letters
            .iter()
            .any(|l| l["jobId"] == job && l["event"]["status"] == "completed")
            .then_some(letters)
    })
    .await
}

/// `name`'s count over `key`'s last minutes.
async fn minutes(stack: &Stack, key: &str, name: &str) -> i64 {
    counted(&get(stack, key, "/api/stats/minutes?minutes=5").await, name)
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
            // One partition: both tenants' letters in one dead-letter set.
            ("JOB_PARTITIONS", "1"),
        ],
    )
    .await;
    let _worker = stack.spawn_worker();
    let (_, alice) = new_tenant(&stack, "alice").await;
    let (_, bob) = new_tenant(&stack, "bob").await;
    let his_down = Receiver::start_failing(SECRET, Failing::times(usize::MAX, 503));
    let her_down = Receiver::start_failing(SECRET, Failing::times(usize::MAX, 503));
    // Bob's letters die first: the newest of the set are all hers.
    let his_job = submit_to(&stack, &bob, &his_down.url).await;
    let his = all_dead(&stack, &bob, &his_job).await;
    let job = submit_to(&stack, &alice, &her_down.url).await;
    let letters = all_dead(&stack, &alice, &job).await;
    assert!(letters.iter().all(|l| l["jobId"] == job), "hers only");
    assert!(his.iter().all(|l| l["jobId"] == his_job), "his only");

    let first = letters.last().unwrap().clone();
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
    assert_eq!(everyone["deadLetters"][0]["jobId"], job, "the newest");
    let his_newest = get(&stack, &bob, "/api/deliveries/dead?limit=1").await;
    assert_eq!(
        (
            &his_newest["deadLetters"][0]["jobId"],
            &his_newest["truncated"]
        ),
        (&json!(his_job), &json!(true)),
        "his own newest, behind all of hers: {his_newest}"
    );

    // Counted: each tenant's own, the relay's all of them; in the minutes too.
    let her_stats = stats(&stack, &alice).await;
    let his_stats = stats(&stack, &bob).await;
    let all_stats = stats(&stack, ADMIN).await;
    assert_eq!(
        her_stats.webhook_dead_letters,
        letters.len() as i64,
        "{her_stats:?}"
    );
    assert_eq!(
        his_stats.webhook_dead_letters,
        his.len() as i64,
        "{his_stats:?}"
    );
    assert_eq!(
        all_stats.webhook_dead_letters,
        (letters.len() + his.len()) as i64,
        "{all_stats:?}"
    );
    assert_eq!(
        minutes(&stack, &bob, "dead_letters").await,
        his.len() as i64
    );
    assert_eq!(
        minutes(&stack, &bob, "delivery_failures").await,
        2 * his.len() as i64,
        "two attempts each"
    );

    let failing = get(&stack, &alice, "/api/deliveries/failing").await;
    assert_eq!(
        failing["endpoints"].as_array().unwrap().len(),
        1,
        "{failing}"
    );
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
    let his_failing = get(&stack, &bob, "/api/deliveries/failing").await["endpoints"].clone();
    assert_eq!(his_failing.as_array().unwrap().len(), 1, "{his_failing}");
    assert_ne!(his_failing[0]["endpoint"], endpoint["endpoint"], "his own");

    // Her receiver is back: a redelivery reaches it, and her endpoint is failing no more.
    her_down.fail_next(Failing::default());
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
    assert!(her_down
        .for_job(&job)
        .iter()
        .any(|r| r.status() == "queued"));
    let letters = get(&stack, &alice, "/api/deliveries/dead").await;
    assert!(
        !letters["deadLetters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["deliveryId"] == first["deliveryId"]),
        "out of the dead letters: {letters}"
    );
    let after = stats(&stack, &alice).await;
    assert_eq!(
        after.webhook_dead_letters,
        her_stats.webhook_dead_letters - 1,
        "{after:?}"
    );
    assert_eq!(
        get(&stack, &bob, "/api/deliveries/failing").await["endpoints"],
        his_failing,
        "his still fails"
    );
}
