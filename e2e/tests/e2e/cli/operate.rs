//! `relayctl poll`, `dead-letters` and `providers`: the force poll and the reads the dashboard's
//! job page, Deliveries and Providers views make, from the command line.

use std::time::Duration;

use e2e::access::{call, new_tenant, ADMIN};
use e2e::receiver::{Failing, Receiver};
use e2e::stack::SECRET;
use e2e::Stack;
use reqwest::Method;
use serde_json::json;

use super::relayctl;

#[tokio::test]
async fn relayctl_polls_a_job_and_shows_dead_letters_failing_endpoints_and_providers() {
    let stack = Stack::start(
        Stack::quick_sim(),
        &[
            ("AUTH", "on"),
            ("ADMIN_API_KEY", ADMIN),
            ("WEBHOOK_ALLOWED_NETS", "127.0.0.0/8"),
            ("WEBHOOK_MAX_ATTEMPTS", "1"),
        ],
    )
    .await;
    let _worker = stack.spawn_worker();
    let api = stack.api.as_str();
    let (_, key) = new_tenant(&stack, "cli").await;
    let down = Receiver::start_failing(SECRET, Failing::times(usize::MAX, 503));
    let submit =
        |script: &str| json!({"walletAddress": "w", "script": script, "webhookUrl": down.url});
    let (_, reply) = call(
        &stack,
        Method::POST,
        "/api/generate",
        &key,
        Some(submit("a fox")),
    )
    .await;
    let job = reply["jobId"].as_str().unwrap().to_owned();
    let (_, reply) = call(
        &stack,
        Method::POST,
        "/api/generate",
        &key,
        Some(submit("sim:running_ms=60000 a slow fox")),
    )
    .await;
    let slow = reply["jobId"].as_str().unwrap().to_owned();

    let letters = e2e::eventually(Duration::from_secs(20), "a dead letter", || async {
        let run = relayctl(api, Some(&key), &["dead-letters", "--json"], &[]).await;
        let listed = run.json_lines().remove(0);
        listed["deadLetters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["jobId"] == job.as_str())
            .then_some(listed)
    })
    .await;
    assert!(
        letters["failing"][0]["endpoint"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1"),
        "{letters}"
    );
    let human = relayctl(api, Some(&key), &["dead-letters"], &[]).await;
    assert_eq!(human.code, Some(0), "{}", human.stderr);
    assert!(
        human.stdout.contains(&format!("{job}:1")),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("failing: http://127.0.0.1:"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("503"), "{}", human.stdout);

    let providers = relayctl(api, Some(&key), &["providers", "--json"], &[]).await;
    let providers = providers.json_lines().remove(0);
    assert_eq!(providers["providers"][0]["name"], "openai", "{providers}");
    let human = relayctl(api, Some(&key), &["providers"], &[]).await;
    assert!(
        human.stdout.contains("openai") && human.stdout.contains("circuit closed"),
        "{}",
        human.stdout
    );

    let polled = relayctl(api, Some(&key), &["poll", &slow], &[]).await;
    assert_eq!(polled.code, Some(0), "{}", polled.stderr);
    assert!(polled.stdout.contains("due now"), "{}", polled.stdout);
    e2e::eventually(
        Duration::from_secs(20),
        "the first job to finish",
        || async {
            let (_, view) = call(
                &stack,
                Method::GET,
                &format!("/api/videos/status/{job}"),
                &key,
                None,
            )
            .await;
            (view["status"] == "completed").then_some(())
        },
    )
    .await;
    let refused = relayctl(api, Some(&key), &["poll", &job], &[]).await;
    assert_ne!(refused.code, Some(0), "a finished job is not polled");
}
