//! The attempt log, dead letters, redelivery and recovery, and 410 Gone.

use super::*;

#[tokio::test]
async fn attempts_are_logged_and_dead_letters_can_be_redelivered_or_recovered() {
    let sim = SimConfig {
        queued_ms: 600_000,
        ..SimConfig::default()
    };
    let stack = Stack::start(
        sim,
        &[
            ("WEBHOOK_MAX_ATTEMPTS", "2"),
            FAST_RETRIES[0],
            FAST_RETRIES[1],
        ],
    )
    .await;
    stack.receiver.fail_next(Failing::times(usize::MAX, 500));
    let _worker = stack.spawn_worker();
    let first = stack.submit("dies first", json!({})).await;
    wait_for_dead_letters(&stack, 1).await;

    let (status, log) = stack.get(&format!("/api/videos/{first}/deliveries")).await;
    assert_eq!(status, 200, "{log}");
    let delivery = &log["deliveries"][0];
    assert_eq!(delivery["deliveryId"], format!("{first}:1"));
    assert_eq!(delivery["webhookId"], format!("evt_{first}_1"));
    assert_eq!(delivery["state"], "dead");
    assert_eq!(delivery["event"]["jobId"], first.as_str());
    let attempts = delivery["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{log}");
    assert_eq!(
        (
            attempts[0]["outcome"].as_str(),
            attempts[1]["outcome"].as_str()
        ),
        (Some("retry"), Some("dead"))
    );
    for attempt in attempts {
        assert_eq!(attempt["statusCode"], 500);
        assert_eq!(attempt["response"], "refused by the test receiver");
        assert!(attempt["durationMs"].is_u64() && attempt["at"].is_string());
        assert!(attempt["error"].as_str().unwrap().contains("500"));
    }

    // The receiver is fixed: redeliver the one event by id.
    stack.receiver.fail_next(Failing::default());
    let (status, reply) = stack
        .post_json(&format!("/api/deliveries/{first}:1/redeliver"), &json!({}))
        .await;
    assert_eq!(status, 202, "{reply}");
    stack
        .receiver
        .wait_until(LIMIT, "the redelivered event", |all| {
            all.iter().any(|r| r.job_id() == first)
        })
        .await;
    wait_for_dead_letters(&stack, 0).await;
    let (_, log) = stack.get(&format!("/api/videos/{first}/deliveries")).await;
    assert_eq!(log["deliveries"][0]["state"], "delivered");
    assert_eq!(
        log["deliveries"][0]["attempts"].as_array().unwrap().len(),
        3
    );

    // Another outage: recover every dead letter of a time window at once.
    stack.receiver.fail_next(Failing::times(usize::MAX, 503));
    let second = stack.submit("dies second", json!({})).await;
    wait_for_dead_letters(&stack, 1).await;
    stack.receiver.fail_next(Failing::default());
    let now = relay_shared::time::now_unix_secs();
    let (status, reply) = stack
        .post_json(
            "/api/deliveries/recover",
            &json!({"since": now - 600, "until": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        (status, reply["requeued"].as_i64()),
        (202, Some(1)),
        "{reply}"
    );
    stack
        .receiver
        .wait_until(LIMIT, "the recovered event", |all| {
            all.iter().any(|r| r.job_id() == second)
        })
        .await;
    wait_for_dead_letters(&stack, 0).await;

    let (status, reply) = stack
        .post_json(
            &format!("/api/deliveries/{second}:99/redeliver"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (404, Some("delivery_not_found"))
    );
    let (status, _) = stack
        .get("/api/videos/00000000-0000-4000-8000-000000000000/deliveries")
        .await;
    assert_eq!(status, 404);
    let (status, reply) = stack
        .post_json("/api/deliveries/recover", &json!({"since": "yesterday"}))
        .await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (422, Some("invalid_field"))
    );
}

#[tokio::test]
async fn a_410_stops_deliveries_to_that_url_until_an_operator_redelivers() {
    let sim = SimConfig {
        queued_ms: 600_000,
        ..SimConfig::default()
    };
    let stack = Stack::start(sim, &FAST_RETRIES).await;
    stack.receiver.fail_next(Failing::times(1, 410));
    let _worker = stack.spawn_worker();
    let first = stack.submit("gone one", json!({})).await;
    wait_for_dead_letters(&stack, 1).await;
    let second = stack.submit("gone two", json!({})).await;
    wait_for_dead_letters(&stack, 2).await;
    assert_eq!(
        stack.receiver.refused().len(),
        1,
        "nothing was sent after the 410"
    );
    assert!(stack.receiver.all().is_empty());
    let (_, log) = stack.get(&format!("/api/videos/{second}/deliveries")).await;
    let attempt = &log["deliveries"][0]["attempts"][0];
    assert!(attempt["error"].as_str().unwrap().contains("410"), "{log}");

    let (status, _) = stack
        .post_json(&format!("/api/deliveries/{first}:1/redeliver"), &json!({}))
        .await;
    assert_eq!(status, 202);
    stack
        .receiver
        .wait_until(LIMIT, "the redelivery", |all| {
            all.iter().any(|r| r.job_id() == first)
        })
        .await;
}
