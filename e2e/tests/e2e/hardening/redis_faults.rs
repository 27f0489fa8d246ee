//! Redis: floods of due jobs, restarts, failed writes, replicas.

use super::*;

/// #15.5: a claim takes any number of due items in bounded batches, never failing half-way.
#[tokio::test]
async fn ten_thousand_jobs_due_at_once_are_all_claimed() {
    let redis = RedisServer::start();
    let store = store_with(&redis, &[]);
    let mut conn = redis_conn(&redis.url()).await;
    let keys = store.keys().clone();
    let mut pipe = redis::pipe();
    for n in 0..10_000 {
        let id = new_job_id();
        pipe.hset(keys.job(0, &id), "state", format!("queued 0 {n} - - 0 "))
            .ignore()
            .zadd(keys.schedule(0), &id, 1)
            .ignore();
    }
    let _: () = pipe.query_async(&mut conn).await.unwrap();
    let claim = store
        .claim(
            Queue::Jobs,
            0,
            10_000,
            Duration::from_secs(60),
            "big",
            ClaimFields::new(&["state"]),
        )
        .await
        .expect("a claim of 10,000 items succeeds");
    assert_eq!(claim.items.len(), 10_000);
    let due: i64 = redis::cmd("ZCOUNT")
        .arg(keys.schedule(0))
        .arg("-inf")
        .arg(claim.now_ms)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(due, 0, "every claimed job is leased");
}

/// #15.6: once Redis is back after a restart, the very first request succeeds: a request that
/// finds its connection broken reconnects and tries again within its deadline.
#[tokio::test]
async fn the_first_requests_after_a_redis_restart_succeed() {
    let mut stack = Stack::start(Stack::quick_sim(), &[]).await;
    // Connected and working.
    assert_eq!(stack.get("/api/sora/stats").await.0, 200);
    stack.submit("before the restart", json!({})).await;
    stack.redis.server().restart();
    let (status, reply) = stack.get("/api/sora/stats").await;
    assert_eq!(status, 200, "a read right after the restart: {reply}");
    stack.redis.server().restart();
    let (status, reply) = stack
        .post_json(
            "/api/generate",
            &json!({"walletAddress": "w", "script": "after the restart"}),
        )
        .await;
    assert_eq!(status, 202, "a submission right after the restart: {reply}");
    assert_eq!(stack.stats().await.total_jobs, 2);
}

/// #15.11: once the job is stored the answer is 202, even when waking a worker fails; a retry
/// with the same key finds that job instead of creating a second.
#[tokio::test]
async fn a_stored_job_is_accepted_even_when_waking_a_worker_fails() {
    let stack = Stack::start(Stack::quick_sim(), &[("SORA_MAX_IN_FLIGHT", "5")]).await;
    let body = json!({"walletAddress": "w", "script": "stored, then the wake failed"});
    acl(&stack.redis.url(), &["-lpush"]).await;
    let (status, first) = post_with_key(&stack, "order-11", &body).await;
    acl(&stack.redis.url(), &["+@all"]).await;
    assert_eq!(status, 202, "the job was stored: {first}");
    let (status, again) = post_with_key(&stack, "order-11", &body).await;
    assert_eq!((status, &again["jobId"]), (202, &first["jobId"]), "{again}");
    assert_eq!(stack.stats().await.total_jobs, 1);
    // Not woken, it is still found by an idle worker and done.
    let _worker = stack.spawn_worker();
    let id = first["jobId"].as_str().unwrap();
    e2e::stack::wait_for_status(&stack, id, LIMIT, "completed").await;
}

/// #15.12: a key is bound to a job in the same step that creates it: a creation that fails leaves
/// no binding behind, and the retry creates the job.
#[tokio::test]
async fn a_failed_creation_leaves_no_idempotency_binding_behind() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let body = json!({"walletAddress": "w", "script": "created on the second try"});
    acl(&stack.redis.url(), &["-evalsha", "-del"]).await;
    let (status, reply) = post_with_key(&stack, "order-12", &body).await;
    acl(&stack.redis.url(), &["+@all"]).await;
    assert_eq!(status, 503, "{reply}");
    let (status, reply) = post_with_key(&stack, "order-12", &body).await;
    assert_eq!(status, 202, "{reply}");
    let id = reply["jobId"].as_str().unwrap();
    let (status, view) = stack.get(&format!("/api/videos/status/{id}")).await;
    assert_eq!(status, 200, "the job the key names exists: {view}");
    assert_eq!(stack.stats().await.total_jobs, 1);
}

/// #15.18: with REDIS_WAIT_REPLICAS, a job is accepted only once its write reached that many
/// replicas; when it cannot within the timeout, the answer is a clear 503.
#[tokio::test]
async fn with_wait_replicas_a_job_is_accepted_only_once_a_replica_has_it() {
    let primary = RedisServer::start();
    let mut replica = RedisServer::start_replica_of(primary.port);
    let mut replica_conn = redis_conn(&replica.url()).await;
    eventually(LIMIT, "the replica to be in sync", || {
        let mut conn = replica_conn.clone();
        async move {
            let info: String = redis::cmd("INFO")
                .arg("replication")
                .query_async(&mut conn)
                .await
                .ok()?;
            info.contains("master_link_status:up").then_some(())
        }
    })
    .await;
    let stack = Stack::start_on(
        e2e::stack::Redis::Single(primary),
        Stack::quick_sim(),
        &[
            ("REDIS_WAIT_REPLICAS", "1"),
            ("REDIS_WAIT_TIMEOUT_MS", "300"),
        ],
    )
    .await;
    let id = stack.submit("kept by a replica", json!({})).await;
    let keys = stack.keys();
    let p = keys.partition_of(&id).unwrap();
    let on_replica: bool = redis::cmd("EXISTS")
        .arg(keys.job(p, &id))
        .query_async(&mut replica_conn)
        .await
        .unwrap();
    assert!(on_replica, "the 202 came after the replica had the job");

    replica.kill();
    let (status, reply) = stack
        .post_json(
            "/api/generate",
            &json!({"walletAddress": "w", "script": "no replica to keep it"}),
        )
        .await;
    assert_eq!(status, 503, "{reply}");
    assert_eq!(reply["error"]["code"], "redis_not_replicated", "{reply}");
    // A worker records its intent to submit, and calls the provider only once a replica has it.
    stack.worker().run_once().await.unwrap();
    assert_eq!(
        stack.sim.counters().creates,
        0,
        "no provider call without a kept intent"
    );
    assert_eq!(stack.status(&id).await["status"], "queued");
}
