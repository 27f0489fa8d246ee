//! Webhook delivery that survives receivers: retries with backoff, Retry-After, no redirects,
//! dead letters, per-job order, and fresh state instead of a backlog after an outage.

use std::time::Duration;

use e2e::receiver::Failing;
use e2e::stack::SECRET;
use e2e::{Receiver, Stack};
use serde_json::json;
use sora_sim::SimConfig;

const LIMIT: Duration = Duration::from_secs(30);
const FAST_RETRIES: [(&str, &str); 2] = [
    ("WEBHOOK_RETRY_INITIAL_MS", "100"),
    ("WEBHOOK_RETRY_MAX_MS", "400"),
];

#[tokio::test]
async fn a_receiver_that_is_down_at_first_still_gets_every_status_in_order() {
    let stack = Stack::start(Stack::quick_sim(), &FAST_RETRIES).await;
    stack.receiver.fail_next(Failing::times(4, 500));
    let _worker = stack.spawn_worker();
    let ids = [
        stack.submit("retried one", json!({})).await,
        stack.submit("retried two", json!({})).await,
    ];
    let all = stack.receiver.wait_for_final(&ids, LIMIT).await;
    let refused = stack.receiver.refused();
    assert_eq!(refused.len(), 4);
    assert!(
        all.iter().all(|r| r.standard_ok),
        "every delivery verifies as a Standard Webhook"
    );
    for id in &ids {
        let events: Vec<_> = all.iter().filter(|r| r.job_id() == id).collect();
        assert!(events.iter().all(|e| e.signature_ok));
        let sequences: Vec<u64> = events.iter().map(|e| e.sequence.unwrap()).collect();
        assert!(
            sequences.windows(2).all(|w| w[0] < w[1]),
            "delivered in order: {sequences:?}"
        );
        assert_eq!(events.last().unwrap().status(), "completed");
    }
    assert_eq!(stack.stats().await.webhook_dead_letters, 0);
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let stack = Stack::start(Stack::quick_sim(), &FAST_RETRIES).await;
    stack.receiver.fail_next(Failing {
        count: 1,
        status: 429,
        headers: vec![("retry-after", "2".into())],
    });
    let _worker = stack.spawn_worker();
    let id = stack.submit("slow down", json!({})).await;
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), LIMIT)
        .await;
    let refused_at = stack.receiver.refused()[0].at;
    let first_success = stack.receiver.all()[0].at;
    let waited = first_success - refused_at;
    assert!(
        waited >= Duration::from_millis(1900),
        "retried after {waited:?}, not the 2 s asked for"
    );
}

#[tokio::test]
async fn redirects_are_not_followed_and_count_as_failures() {
    let elsewhere = Receiver::start(SECRET);
    let stack = Stack::start(
        Stack::quick_sim(),
        &[
            ("WEBHOOK_MAX_ATTEMPTS", "2"),
            FAST_RETRIES[0],
            FAST_RETRIES[1],
        ],
    )
    .await;
    stack.receiver.fail_next(Failing {
        count: usize::MAX,
        status: 307,
        headers: vec![("location", elsewhere.url.clone())],
    });
    let worker = stack.worker();
    let id = stack.submit("redirected", json!({})).await;
    worker.run_once().await.unwrap(); // submits: one event
    e2e::eventually(
        LIMIT,
        "the event to be dead-lettered after 2 attempts",
        || async {
            worker.run_once().await.unwrap();
            (stack.stats().await.webhook_dead_letters == 1).then_some(())
        },
    )
    .await;
    assert_eq!(stack.receiver.refused().len(), 2);
    assert!(
        elsewhere.all().is_empty(),
        "the redirect target got nothing"
    );
    assert!(stack.receiver.refused().iter().all(|r| r.job_id() == id));
}

#[tokio::test]
async fn max_attempts_of_one_sends_once_like_the_original() {
    let stack = Stack::start(Stack::quick_sim(), &[("WEBHOOK_MAX_ATTEMPTS", "1")]).await;
    stack.receiver.fail_next(Failing::times(1, 500));
    let _worker = stack.spawn_worker();
    let id = stack.submit("once", json!({})).await;
    let all = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), LIMIT)
        .await;
    let refused = stack.receiver.refused();
    assert_eq!(refused.len(), 1);
    assert!(
        all.iter().all(|r| r.sequence != refused[0].sequence),
        "the failed event was not sent again"
    );
    assert_eq!(stack.stats().await.webhook_dead_letters, 1);
}

#[tokio::test]
async fn a_receiver_back_from_an_outage_gets_the_latest_state_not_a_backlog() {
    // Progress moves every poll; the receiver refuses everything until the video is done.
    let sim = SimConfig {
        queued_ms: 0,
        running_ms: 1500,
        ..SimConfig::default()
    };
    let stack = Stack::start(
        sim,
        &[
            ("WEBHOOK_RETRY_INITIAL_MS", "3000"),
            ("WEBHOOK_RETRY_MAX_MS", "3000"),
        ],
    )
    .await;
    stack.receiver.fail_next(Failing::times(usize::MAX, 503));
    let _worker = stack.spawn_worker();
    let id = stack.submit("progress while down", json!({})).await;
    e2e::stack::wait_for_status(&stack, &id, LIMIT, "completed").await;
    stack.receiver.fail_next(Failing::default());
    let all = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), LIMIT)
        .await;
    let statuses: Vec<&str> = all.iter().map(|r| r.status()).collect();
    // Polls every 100 ms over 1.5 s made a dozen progress events, each superseding the one before
    // (each tried once, and refused); the receiver, back once the video is done and retried
    // after 3 s, gets only the status changes still waiting: processing, then completed.
    assert!(all.len() <= 3, "a backlog was replayed: {statuses:?}");
    assert_eq!(statuses.last(), Some(&"completed"));
    assert!(all.iter().all(|r| r.signature_ok));
}

#[tokio::test]
async fn during_a_key_rotation_receivers_with_either_secret_verify() {
    let old = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let new = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    for receiver_secret in [old, new] {
        let receiver = Receiver::start(receiver_secret);
        let secrets = format!("{new} {old}");
        let stack = Stack::start(
            Stack::quick_sim(),
            &[
                ("WEBHOOK_SECRET", secrets.as_str()),
                ("WEBHOOK_URL", receiver.url.as_str()),
            ],
        )
        .await;
        let _worker = stack.spawn_worker();
        let id = stack.submit("rotating", json!({})).await;
        let all = receiver
            .wait_for_final(std::slice::from_ref(&id), LIMIT)
            .await;
        assert!(
            all.iter().all(|r| r.standard_ok),
            "verified with the {} key",
            if receiver_secret == old { "old" } else { "new" }
        );
    }
}

#[tokio::test]
async fn a_retried_event_keeps_its_webhook_id_and_is_signed_afresh() {
    // The video stays queued, so no newer event replaces the first one while it is retried.
    let sim = SimConfig {
        queued_ms: 600_000,
        ..SimConfig::default()
    };
    let stack = Stack::start(sim, &FAST_RETRIES).await;
    stack.receiver.fail_next(Failing::times(2, 500));
    let _worker = stack.spawn_worker();
    let id = stack.submit("retried with one id", json!({})).await;
    let all = stack
        .receiver
        .wait_until(LIMIT, "the queued webhook", |all| !all.is_empty())
        .await;
    let refused = stack.receiver.refused();
    assert_eq!(refused.len(), 2);
    let ids: Vec<&Option<String>> = refused.iter().chain(&all).map(|r| &r.webhook_id).collect();
    assert!(
        ids.iter().all(|i| **i == Some(format!("evt_{id}_1"))),
        "{ids:?}"
    );
    assert!(refused
        .iter()
        .chain(&all)
        .all(|r| r.standard_ok && r.signature_ok));
}

#[tokio::test]
async fn a_job_can_name_its_own_receiver_inside_an_allowed_network() {
    let own = Receiver::start(SECRET);
    let stack = Stack::start(
        Stack::quick_sim(),
        &[("WEBHOOK_ALLOWED_NETS", "127.0.0.0/8")],
    )
    .await;
    let _worker = stack.spawn_worker();
    let mine = stack
        .submit("to my own receiver", json!({"webhookUrl": own.url}))
        .await;
    let theirs = stack.submit("to the operator's receiver", json!({})).await;
    let delivered = own.wait_for_final(std::slice::from_ref(&mine), LIMIT).await;
    assert!(delivered
        .iter()
        .all(|r| r.job_id() == mine && r.signature_ok && r.standard_ok));
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&theirs), LIMIT)
        .await;
    assert!(
        stack.receiver.for_job(&mine).is_empty(),
        "the operator's receiver got nothing of it"
    );
}

#[tokio::test]
async fn client_webhook_urls_into_private_networks_are_refused_at_submission() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    for url in [
        stack.receiver.url.clone(),
        "https://127.0.0.1/hook".into(),
        "https://localhost/hook".into(),
        "https://169.254.169.254/latest/meta-data/".into(),
        "https://[::ffff:127.0.0.1]/hook".into(),
        "https://[fd00:ec2::254]/hook".into(),
        "https://10.0.0.1/hook".into(),
        "https://100.64.0.1/hook".into(),
        "http://8.8.8.8/hook".into(),
        "gopher://8.8.8.8/".into(),
    ] {
        let body = json!({"walletAddress": "w", "script": "s", "webhookUrl": url});
        let (status, reply) = stack.post_json("/api/generate", &body).await;
        assert_eq!(status, 422, "{url}: {reply}");
        assert_eq!(reply["error"]["code"], "webhook_url_refused", "{url}");
    }
    assert_eq!(stack.stats().await.total_jobs, 0);
}

#[tokio::test]
async fn the_guard_checks_client_urls_again_at_delivery() {
    // Accepted when submitted (the API allows loopback), refused when delivered (this worker does
    // not): the address a name resolves to can change in between.
    let own = Receiver::start(SECRET);
    let stack = Stack::start(
        Stack::quick_sim(),
        &[("WEBHOOK_ALLOWED_NETS", "127.0.0.0/8")],
    )
    .await;
    let mut strict = stack.settings.clone();
    strict.webhooks.allowed_nets = String::new();
    let worker = relay_worker::Worker::build(strict).unwrap();
    let id = stack
        .submit("rebinding", json!({"webhookUrl": own.url}))
        .await;
    worker.run_once().await.unwrap();
    e2e::eventually(LIMIT, "the event to be dead-lettered", || async {
        worker.run_once().await.unwrap();
        (stack.stats().await.webhook_dead_letters == 1).then_some(())
    })
    .await;
    assert!(
        own.all().is_empty() && own.refused().is_empty(),
        "nothing reached the refused address"
    );
    assert_eq!(stack.status(&id).await["status"], "queued");
}

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

async fn wait_for_dead_letters(stack: &Stack, n: i64) {
    e2e::eventually(LIMIT, &format!("{n} dead letters"), || async {
        (stack.stats().await.webhook_dead_letters == n).then_some(())
    })
    .await
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
