//! Webhook deliveries: redelivery of a tenant's events, dead letters, superseded events.

use super::*;

/// #15.1: a redelivered or recovered event of a tenant's job is signed with the tenant's secret
/// and goes to the tenant's URL, also once the job itself has expired.
#[tokio::test]
async fn a_redelivered_tenant_event_keeps_its_tenant_and_url() {
    let stack = Stack::start(
        Stack::quick_sim(),
        &[
            ("AUTH", "on"),
            ("ADMIN_API_KEY", ADMIN),
            ("WEBHOOK_ALLOWED_NETS", "127.0.0.0/8"),
            ("JOB_RETENTION_SECS", "1"),
            ("WEBHOOK_MAX_ATTEMPTS", "1"),
        ],
    )
    .await;
    let own = Receiver::start("tenant-own-secret");
    let key = tenant_with_receiver(&stack, &own, "tenant-own-secret").await;
    let delivered = submit_as(&stack, &key, "delivered, then redelivered").await;
    let _worker = stack.spawn_worker();
    own.wait_for_final(std::slice::from_ref(&delivered), LIMIT)
        .await;

    // The outbox is gone once everything was delivered: a redelivery rebuilds it.
    let first = own.for_job(&delivered)[0].sequence.unwrap();
    let (status, reply) = call(
        &stack,
        Method::POST,
        &format!("/api/deliveries/{delivered}:{first}/redeliver"),
        ADMIN,
        None,
    )
    .await;
    assert_eq!(status, 202, "{reply}");
    let again = own
        .wait_until(LIMIT, "the redelivery", |all| {
            all.iter()
                .filter(|r| r.job_id() == delivered && r.sequence == Some(first))
                .count()
                == 2
        })
        .await;
    assert!(
        again.iter().all(|r| r.signature_ok && r.standard_ok),
        "a redelivery is signed with the tenant's secret: {again:#?}"
    );

    // Every event of this one dies at once (one attempt), then the job expires (retention 1 s).
    own.fail_next(Failing::times(1000, 500));
    let dead = submit_as(&stack, &key, "dead-lettered, then recovered").await;
    let dead_count = eventually(LIMIT, "the final event to die", || async {
        let refused = own.refused();
        let mine: Vec<_> = refused.iter().filter(|r| r.job_id() == dead).collect();
        mine.iter().any(|r| r.is_final()).then_some(mine.len())
    })
    .await;
    eventually(LIMIT, "the job to expire", || async {
        let (status, _) = call(
            &stack,
            Method::GET,
            &format!("/api/videos/status/{dead}"),
            ADMIN,
            None,
        )
        .await;
        (status == 404).then_some(())
    })
    .await;
    own.fail_next(Failing::default());
    let (status, reply) = call(
        &stack,
        Method::POST,
        "/api/deliveries/recover",
        ADMIN,
        Some(json!({"since": 0, "until": 4_000_000_000u64})),
    )
    .await;
    assert_eq!(status, 202, "{reply}");
    assert_eq!(reply["requeued"], dead_count, "{reply}");
    let recovered = own
        .wait_until(LIMIT, "every recovered event at the tenant's URL", |all| {
            all.iter().filter(|r| r.job_id() == dead).count() == dead_count
        })
        .await;
    assert!(
        recovered
            .iter()
            .filter(|r| r.job_id() == dead)
            .all(|r| r.signature_ok && r.standard_ok),
        "recovered events are signed with the tenant's secret: {recovered:#?}"
    );
    assert!(
        stack.receiver.all().is_empty(),
        "nothing of the tenant's went to the operator's URL: {:#?}",
        stack.receiver.all()
    );
}

/// #15.2: dead letters expire with their bodies; the set and the counter follow, and recovering
/// an expired one leaves nothing behind.
#[tokio::test]
async fn dead_letters_expire_and_the_set_and_counter_follow() {
    let stack = Stack::start(
        Stack::quick_sim(),
        &[
            ("WEBHOOK_MAX_ATTEMPTS", "1"),
            ("JOB_MAX_AGE_SECS", "3"),
            ("JOB_RETENTION_SECS", "1"),
        ],
    )
    .await;
    stack.receiver.fail_next(Failing::times(1000, 500));
    let _worker = stack.spawn_worker();
    let id = stack.submit("dies, then expires", json!({})).await;
    eventually(LIMIT, "the final event to die", || async {
        stack
            .receiver
            .refused()
            .iter()
            .any(|r| r.job_id() == id && r.is_final())
            .then_some(())
    })
    .await;
    assert!(stack.stats().await.webhook_dead_letters > 0);
    let mut conn = redis_conn(&stack.redis.url()).await;
    let dead_sets: Vec<String> = (0..stack.settings.redis.partitions)
        .map(|p| stack.keys().dead_letters(p))
        .collect();
    // A dead letter is kept as long as its job can live (max age + retention = 4 s).
    eventually(Duration::from_secs(20), "dead letters to be let go", || {
        let (stack, mut conn, dead_sets) = (&stack, conn.clone(), dead_sets.clone());
        async move {
            let mut held = 0;
            for set in &dead_sets {
                held += redis::cmd("ZCARD")
                    .arg(set)
                    .query_async::<i64>(&mut conn)
                    .await
                    .unwrap();
            }
            let counted = stack.stats().await.webhook_dead_letters;
            (held == 0 && counted == 0).then_some(())
        }
    })
    .await;

    // An expired dead letter still in the set (written as an older version left it): recovering
    // it removes its member and its count.
    let ghost = format!("{id}:9");
    let home = &dead_sets[stack.keys().partition_of(&id).unwrap() as usize];
    let _: () = redis::cmd("ZADD")
        .arg(home)
        .arg(1)
        .arg(&ghost)
        .query_async(&mut conn)
        .await
        .unwrap();
    let store = Store::connect(&stack.settings).unwrap();
    store.requeue(&id, 9, true).await.unwrap();
    let left: Option<f64> = redis::cmd("ZSCORE")
        .arg(home)
        .arg(&ghost)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, None, "the expired dead letter's member is removed");
}

/// #15.4: an event that supersedes a failing one starts with a clean retry state: due now, no
/// attempts counted.
#[tokio::test]
async fn a_superseding_event_does_not_inherit_the_retry_state() {
    let redis = RedisServer::start();
    let store = store_with(&redis, &[]);
    let id = new_job_id();
    store
        .create_job(&id, &NewJob::new("w", "superseded"))
        .await
        .unwrap();
    let claim_job = |token: &'static str| {
        let store = store.clone();
        async move {
            store
                .claim(
                    Queue::Jobs,
                    0,
                    10,
                    Duration::from_secs(30),
                    token,
                    ClaimFields::new(&[]),
                )
                .await
                .unwrap()
        }
    };
    let poll = |token: &str, status: JobStatus, progress: u8, claimed: JobStatus| PollCommit {
        job: JobRef::new(0, id.clone()),
        token: token.into(),
        next_poll: Some(Duration::ZERO),
        claimed_status: claimed,
        state: PollState {
            status,
            progress,
            created_ms: 1,
            interval_ms: None,
            since: None,
            own_webhook: false,
            failing_since: None,
            provider_job: Some(relay_shared::job::ProviderRef::new("openai", "video_1")),
            cancel_requested: false,
            estimate: None,
        },
        state_changed: true,
        changed: true,
        milestone: false,
        webhook_body: Some(format!("{{\"progress\":{progress}}}")),
        fields: Vec::new(),
    };
    // A first status change is delivered; then a progress event fails for an hour of retries.
    claim_job("a").await;
    store
        .commit_poll(&poll("a", JobStatus::Processing, 10, JobStatus::Queued))
        .await
        .unwrap();
    let deliveries = ClaimFields::new(&["pending"]);
    let lease = Duration::from_secs(30);
    let head = store
        .claim(Queue::Deliveries, 0, 10, lease, "d1", deliveries)
        .await
        .unwrap();
    assert_eq!(head.items.len(), 1);
    store
        .finish_delivery(
            &JobRef::new(0, id.clone()),
            "d1",
            1,
            &DeliveryOutcome::Delivered,
            None,
            false,
        )
        .await
        .unwrap();
    claim_job("b").await;
    store
        .commit_poll(&poll("b", JobStatus::Processing, 20, JobStatus::Processing))
        .await
        .unwrap();
    for attempt in 0..3 {
        let token = format!("d2.{attempt}");
        let claimed = store
            .claim(Queue::Deliveries, 0, 10, lease, &token, deliveries)
            .await
            .unwrap();
        assert_eq!(claimed.items.len(), 1, "attempt {attempt}");
        let wait = if attempt == 2 { 3_600_000 } else { 0 };
        store
            .finish_delivery(
                &JobRef::new(0, id.clone()),
                &token,
                2,
                &DeliveryOutcome::Retry {
                    after: Duration::from_millis(wait),
                    asked_by_receiver: false,
                },
                None,
                false,
            )
            .await
            .unwrap();
    }
    // The video completes: its event supersedes the failing progress event.
    claim_job("c").await;
    store
        .commit_poll(&PollCommit {
            next_poll: None,
            ..poll("c", JobStatus::Completed, 100, JobStatus::Processing)
        })
        .await
        .unwrap();
    let mut conn = redis_conn(&redis.url()).await;
    let outbox = store.keys().outbox(0, &id);
    let (pending, attempts): (String, Option<String>) = redis::cmd("HMGET")
        .arg(&outbox)
        .arg("pending")
        .arg("attempts")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(pending, "3");
    assert_eq!(
        attempts.as_deref().unwrap_or("0"),
        "0",
        "no attempts of the superseded event count"
    );
    let claimed = store
        .claim(Queue::Deliveries, 0, 10, lease, "d3", deliveries)
        .await
        .unwrap();
    assert_eq!(
        claimed.items.len(),
        1,
        "the completed event is due now, not after the superseded one's backoff"
    );
}
