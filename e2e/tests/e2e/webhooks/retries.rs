//! Retries: a receiver that is down, asks to wait, redirects, or comes back after an outage.

use super::*;

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
    // The event that died was tried twice, and no event more often. Which event that is depends
    // on timing: a newer event supersedes a waiting progress-only one (the `queued` event, whose
    // status did not change, when the job starts running before its second attempt).
    let refused = stack.receiver.refused();
    let mut attempts = std::collections::BTreeMap::<u64, usize>::new();
    for r in &refused {
        *attempts.entry(r.sequence.unwrap()).or_default() += 1;
    }
    assert!(
        attempts.values().any(|&n| n == 2) && attempts.values().all(|&n| n <= 2),
        "attempts per event: {attempts:?}"
    );
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
