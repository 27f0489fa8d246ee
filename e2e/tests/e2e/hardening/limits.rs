//! Limits: the provider's waiting line and the tenants' active-job cap.

use super::*;

/// #15.3: waiters keep their place in the provider's waiting line however long they wait.
#[tokio::test]
async fn a_long_waiting_job_keeps_its_place_in_the_line() {
    let stack = Stack::start(
        SimConfig {
            queued_ms: 0,
            running_ms: 60_000,
            ..SimConfig::default()
        },
        &[
            ("SORA_MAX_IN_FLIGHT", "1"),
            ("POLL_INITIAL_INTERVAL_MS", "2000"),
            ("POLL_MAX_INTERVAL_MS", "4000"),
        ],
    )
    .await;
    let worker = stack.worker();
    let store = Store::connect(&stack.settings).unwrap();
    let keys = store.keys().clone();
    let mut conn = redis_conn(&stack.redis.url()).await;
    // The slot is taken by a long video.
    let busy = stack.submit("takes the slot", json!({})).await;
    worker.run_once().await.unwrap();
    assert_eq!(stack.status(&busy).await["status"], "queued");
    assert!(stack.status(&busy).await["soraJobId"].is_string());
    // A job that has waited ten minutes (its creation time moved back), then a new one.
    let old = stack.submit("waited ten minutes", json!({})).await;
    let p = keys.partition_of(&old).unwrap();
    let state: String = redis::cmd("HGET")
        .arg(keys.job(p, &old))
        .arg("state")
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut parsed = PollState::decode(&state).unwrap();
    parsed.created_ms -= 600_000;
    let _: () = redis::cmd("HSET")
        .arg(keys.job(p, &old))
        .arg("state")
        .arg(parsed.encode())
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () = redis::cmd("ZADD")
        .arg(keys.waiting("openai"))
        .arg(parsed.created_ms)
        .arg(&old)
        .query_async(&mut conn)
        .await
        .unwrap();
    worker.run_once().await.unwrap();
    let young = stack.submit("arrived just now", json!({})).await;
    worker.run_once().await.unwrap();
    let line: Vec<String> = redis::cmd("ZRANGE")
        .arg(keys.waiting("openai"))
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(line, [old, young], "oldest first, nobody dropped");
}

/// #15.16: the active-jobs cap holds under concurrent submissions, and places come back when
/// jobs end.
#[tokio::test]
async fn the_active_jobs_cap_is_exact_under_concurrent_submissions() {
    let stack = Stack::start(
        Stack::quick_sim(),
        &[
            ("AUTH", "on"),
            ("ADMIN_API_KEY", ADMIN),
            ("TENANT_MAX_ACTIVE_JOBS", "5"),
            ("TENANT_RATE_PER_MIN", "0"),
        ],
    )
    .await;
    let (_, key) = e2e::access::new_tenant(&stack, "busy").await;
    let attempts = (0..40).map(|n| {
        let (stack, key) = (&stack, &key);
        async move {
            let body = json!({"walletAddress": "w", "script": format!("concurrent {n}")});
            call(stack, Method::POST, "/api/generate", key, Some(body))
                .await
                .0
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let accepted = statuses.iter().filter(|&&s| s == 202).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((accepted, refused), (5, 35), "{statuses:?}");
    let _worker = stack.spawn_worker();
    eventually(LIMIT, "the five jobs to end", || async {
        let stats = e2e::access::stats(&stack, &key).await;
        (stats.completed_jobs == 5).then_some(())
    })
    .await;
    let body = json!({"walletAddress": "w", "script": "a place came back"});
    let (status, reply) = call(&stack, Method::POST, "/api/generate", &key, Some(body)).await;
    assert_eq!(status, 202, "{reply}");
}
