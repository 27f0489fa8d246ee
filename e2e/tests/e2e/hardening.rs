//! Defects an independent review found (issue #15), each reproduced here first: every test below
//! failed on the code before its fix.

use std::collections::HashMap;
use std::time::Duration;

use e2e::access::{call, ADMIN};
use e2e::receiver::{Failing, Receiver};
use e2e::{eventually, RedisServer, Stack};
use relay_shared::job::{JobStatus, NewJob, PollState};
use relay_shared::store::layout::new_job_id;
use relay_shared::store::{ClaimFields, DeliveryOutcome, JobRef, PollCommit, Queue, Store};
use relay_shared::Settings;
use reqwest::Method;
use serde_json::json;
use sora_sim::SimConfig;

const LIMIT: Duration = Duration::from_secs(30);

fn store_with(redis: &RedisServer, env: &[(&str, &str)]) -> Store {
    let mut vars: HashMap<String, String> = [
        ("REDIS_URL".to_owned(), redis.url()),
        ("JOB_PARTITIONS".to_owned(), "1".to_owned()),
    ]
    .into_iter()
    .collect();
    vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Store::connect(&Settings::from_sources(None, &vars).unwrap()).unwrap()
}

async fn redis_conn(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// A tenant with its own receiver and secret; returns the tenant's API key.
async fn tenant_with_receiver(stack: &Stack, receiver: &Receiver, secret: &str) -> String {
    let (status, reply) = call(
        stack,
        Method::POST,
        "/api/admin/tenants",
        ADMIN,
        Some(json!({"name": "erin", "webhookUrl": receiver.url, "webhookSecret": secret})),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    reply["apiKey"].as_str().unwrap().to_owned()
}

async fn submit_as(stack: &Stack, key: &str, script: &str) -> String {
    let body = json!({"walletAddress": "w", "script": script, "renderVersion": "v3"});
    let (status, reply) = call(stack, Method::POST, "/api/generate", key, Some(body)).await;
    assert_eq!(status, 202, "{reply}");
    reply["jobId"].as_str().unwrap().to_owned()
}

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
        },
        state_changed: true,
        changed: true,
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
            "",
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
                "",
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

/// Changes what Redis's default user (every process of the stack) may do.
async fn acl(redis_url: &str, rules: &[&str]) {
    let mut conn = redis_conn(redis_url).await;
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("default")
        .arg(rules)
        .query_async(&mut conn)
        .await
        .unwrap();
}

async fn post_with_key(
    stack: &Stack,
    key: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = stack
        .http
        .post(format!("{}/api/generate", stack.api))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
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

/// #15.13: WEBHOOK_CONCURRENCY bounds the sends of a worker process, not the batches.
#[tokio::test]
async fn webhook_concurrency_bounds_the_sends_at_once() {
    let stack = Stack::start(
        SimConfig {
            queued_ms: 0,
            running_ms: 200,
            ..SimConfig::default()
        },
        &[("WEBHOOK_CONCURRENCY", "4")],
    )
    .await;
    stack.receiver.hold_each(Duration::from_millis(150));
    let mut ids = Vec::new();
    for n in 0..30 {
        ids.push(stack.submit(&format!("many webhooks {n}"), json!({})).await);
    }
    let _worker = stack.spawn_worker();
    stack
        .receiver
        .wait_for_final(&ids, Duration::from_secs(60))
        .await;
    let peak = stack.receiver.peak_concurrency();
    assert!(peak <= 4, "{peak} webhooks were being sent at once");
    assert!(peak >= 3, "the four slots were used ({peak})");
}

/// #15.15: a refused webhook URL's message says that it is refused, not where its host points.
#[tokio::test]
async fn a_refused_webhook_url_does_not_tell_where_its_host_resolves() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    for url in ["https://localhost/hook", "https://localhost:8443/hook"] {
        let (status, reply) = stack
            .post_json(
                "/api/generate",
                &json!({"walletAddress": "w", "script": "s", "webhookUrl": url}),
            )
            .await;
        assert_eq!(status, 422, "{reply}");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.contains("localhost"), "{message}");
        for address in ["127.0.0.1", "::1"] {
            assert!(!message.contains(address), "{message}");
        }
    }
}

/// #15.14: a tenant sees its own endpoints' details only: an attempt at the operator's URL shows
/// neither that URL nor its answer.
#[tokio::test]
async fn a_tenant_does_not_see_the_operators_endpoint_or_its_answers() {
    let stack = Stack::start(
        Stack::quick_sim(),
        &[("AUTH", "on"), ("ADMIN_API_KEY", ADMIN)],
    )
    .await;
    // The operator's receiver, with a token in its URL and an answer of its own.
    stack.receiver.fail_next(Failing::times(1, 500));
    let (_, key) = e2e::access::new_tenant(&stack, "no-url-of-its-own").await;
    let id = submit_as(&stack, &key, "goes to the operator's URL").await;
    let _worker = stack.spawn_worker();
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), LIMIT)
        .await;
    let path = format!("/api/videos/{id}/deliveries");
    let (status, as_tenant) = call(&stack, Method::GET, &path, &key, None).await;
    assert_eq!(status, 200, "{as_tenant}");
    let text = as_tenant.to_string();
    let port = stack
        .receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    for leak in [
        port,
        "sora-status",
        "refused by the test receiver",
        "\"ok\":true",
    ] {
        assert!(!text.contains(leak), "the tenant sees {leak:?}: {text}");
    }
    let attempts = as_tenant["deliveries"][0]["attempts"].as_array().unwrap();
    assert!(
        !attempts.is_empty(),
        "the tenant still sees that and when attempts were made"
    );
    // The operator sees everything.
    let (_, as_admin) = call(&stack, Method::GET, &path, ADMIN, None).await;
    assert!(as_admin
        .to_string()
        .contains("refused by the test receiver"));
}

/// #15.8a: per-deployment defaults fill what the client left out; the client's values win.
#[tokio::test]
async fn default_seconds_and_size_fill_what_the_client_left_out() {
    let stack = Stack::start(
        Stack::quick_sim(),
        &[
            ("SORA_DEFAULT_SECONDS", "8"),
            ("SORA_DEFAULT_SIZE", "1280x720"),
        ],
    )
    .await;
    let plain = stack.submit("the original body", json!({})).await;
    let own = stack
        .submit(
            "its own length",
            json!({"seconds": "12", "size": "720x1280"}),
        )
        .await;
    let _worker = stack.spawn_worker();
    stack.receiver.wait_for_final(&[plain, own], LIMIT).await;
    let videos = stack.sim.all_videos();
    let of = |prompt: &str| {
        let v = videos.iter().find(|v| v.prompt == prompt).unwrap();
        (v.seconds.clone(), v.size.clone())
    };
    assert_eq!(of("the original body"), ("8".into(), "1280x720".into()));
    assert_eq!(of("its own length"), ("12".into(), "720x1280".into()));
}

/// #15.8c: a job whose every provider call fails ends `failed` with the last error after
/// PROVIDER_FAILURE_MAX_SECS, instead of retrying until its 24 h timeout.
#[tokio::test]
async fn a_job_the_provider_keeps_failing_ends_failed_with_the_last_error() {
    let stack = Stack::start(
        SimConfig {
            rate_5xx: 1.0,
            ..Stack::quick_sim()
        },
        &[("PROVIDER_FAILURE_MAX_SECS", "2")],
    )
    .await;
    let _worker = stack.spawn_worker();
    let id = stack.submit("the provider is down", json!({})).await;
    let view = e2e::stack::wait_for_status(&stack, &id, LIMIT, "failed").await;
    let error = view["error"].as_str().unwrap();
    assert!(error.contains("PROVIDER_FAILURE_MAX_SECS"), "{error}");
    assert!(
        error.contains("server_error") || error.contains("500") || error.contains("server"),
        "{error}"
    );
}

/// #15.8d: a `completed` whose content cannot be fetched is never announced as completed.
#[tokio::test]
async fn a_completed_video_whose_content_fails_is_not_announced_completed() {
    let stack = Stack::start(Stack::quick_sim(), &[("PROVIDER_FAILURE_MAX_SECS", "2")]).await;
    let _worker = stack.spawn_worker();
    let broken = stack
        .submit("sim:content_500 a failed Veo job", json!({}))
        .await;
    let fine = stack.submit("a fine video", json!({})).await;
    let all = stack
        .receiver
        .wait_for_final(&[broken.clone(), fine.clone()], LIMIT)
        .await;
    let statuses: Vec<&str> = all
        .iter()
        .filter(|r| r.job_id() == broken)
        .map(|r| r.status())
        .collect();
    assert!(!statuses.contains(&"completed"), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&"failed"), "{statuses:?}");
    let view = stack.status(&broken).await;
    assert!(
        view["error"].as_str().unwrap().contains("content"),
        "{view}"
    );
    assert_eq!(stack.status(&fine).await["status"], "completed");
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

/// A job whose worker died mid-create: its intent to submit is recorded (as the worker does
/// before the provider call), and no answer was ever stored.
async fn lost_submission(stack: &Stack, script: &str) -> String {
    let id = stack.submit(script, json!({})).await;
    let keys = stack.keys();
    let p = keys.partition_of(&id).unwrap();
    let mut conn = redis_conn(&stack.redis.url()).await;
    let (secs, micros): (i64, i64) = redis::cmd("TIME").query_async(&mut conn).await.unwrap();
    let _: () = redis::cmd("HSET")
        .arg(keys.job(p, &id))
        .arg("submit_at")
        .arg(secs * 1000 + micros / 1000)
        .query_async(&mut conn)
        .await
        .unwrap();
    id
}

/// A stack whose provider cannot list (its list answers 400, as a LiteLLM proxy's does).
async fn stack_that_cannot_list(env: &[(&str, &str)]) -> Stack {
    let stack = Stack::start(Stack::quick_sim(), env).await;
    stack.sim.set_faults(sora_sim::Faults {
        list_broken: true,
        ..Default::default()
    });
    stack
}

/// #15.7: a list that ignores `after` is found out on its second page, not after twenty.
#[tokio::test]
async fn a_list_cursor_that_does_not_advance_is_found_out_at_once() {
    use relay_shared::provider::VideoProvider;
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let _worker = stack.spawn_worker();
    let done = stack.submit("one video on the list", json!({})).await;
    stack.receiver.wait_for_final(&[done], LIMIT).await;
    stack.sim.set_faults(sora_sim::Faults {
        list_ignores_after: true,
        ..Default::default()
    });
    let provider = relay_shared::provider::openai::OpenAiVideos::new(
        &stack.sim_url,
        "sk-sim".to_owned().into(),
        Duration::from_secs(5),
    )
    .unwrap();
    let before = stack.sim.counters().lists;
    let found = provider.find("a prompt nobody sent", 0).await;
    let err = found.unwrap_err().to_string();
    assert!(err.contains("does not advance"), "{err}");
    assert_eq!(
        stack.sim.counters().lists - before,
        2,
        "two pages, not twenty"
    );
}

/// #15.7: a submission whose outcome cannot be known is shown (status view, stats) and, after
/// SUBMISSION_UNKNOWN_MAX_SECS, failed by policy — never left in limbo.
#[tokio::test]
async fn an_unknown_submission_is_shown_then_failed_by_policy() {
    let stack = stack_that_cannot_list(&[
        ("SUBMISSION_UNKNOWN_MAX_SECS", "2"),
        ("SUBMISSION_UNKNOWN_POLICY", "fail"),
    ])
    .await;
    let id = lost_submission(&stack, "created, or not?").await;
    let _worker = stack.spawn_worker();
    eventually(LIMIT, "the submission to show as unknown", || async {
        let view = stack.status(&id).await;
        let counted = stack.stats().await.submissions_unknown == 1;
        (view["submission"] == "unknown" && counted).then_some(())
    })
    .await;
    let view = e2e::stack::wait_for_status(&stack, &id, LIMIT, "failed").await;
    let error = view["error"].as_str().unwrap();
    assert!(error.contains("SUBMISSION_UNKNOWN"), "{error}");
    assert_eq!(stack.stats().await.submissions_unknown, 0);
    assert_eq!(
        stack.sim.counters().creates,
        0,
        "nothing was submitted again"
    );
}

/// #15.7: with SUBMISSION_UNKNOWN_POLICY=resubmit the job is submitted again after the wait.
#[tokio::test]
async fn an_unknown_submission_is_resubmitted_by_policy() {
    let stack = stack_that_cannot_list(&[
        ("SUBMISSION_UNKNOWN_MAX_SECS", "1"),
        ("SUBMISSION_UNKNOWN_POLICY", "resubmit"),
    ])
    .await;
    let id = lost_submission(&stack, "resubmitted after a minute of doubt").await;
    let _worker = stack.spawn_worker();
    e2e::stack::wait_for_status(&stack, &id, LIMIT, "completed").await;
    assert_eq!(stack.sim.counters().creates, 1);
    assert_eq!(stack.stats().await.submissions_unknown, 0);
}

/// #15.7: the operator settles an unknown submission: adopt a video, or resubmit.
#[tokio::test]
async fn the_operator_settles_an_unknown_submission() {
    let stack = stack_that_cannot_list(&[("SUBMISSION_UNKNOWN_MAX_SECS", "3600")]).await;
    // The video the lost create made, found by the operator in the provider's dashboard.
    let made: serde_json::Value = stack
        .http
        .post(format!("{}/videos", stack.sim_url))
        .bearer_auth("sk-sim")
        .json(&json!({"prompt": "adopt me", "model": "sora-2"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let video = made["id"].as_str().unwrap().to_owned();
    let adopted = lost_submission(&stack, "adopt me").await;
    let resubmitted = lost_submission(&stack, "submit me again").await;
    let _worker = stack.spawn_worker();
    for id in [&adopted, &resubmitted] {
        eventually(LIMIT, "the submission to show as unknown", || async {
            (stack.status(id).await["submission"] == "unknown").then_some(())
        })
        .await;
    }
    let stack = &stack;
    let settle = |id: &str, body: serde_json::Value| {
        let path = format!("/api/videos/{id}/submission");
        async move { stack.post_json(&path, &body).await }
    };
    let (status, reply) = settle(&adopted, json!({"providerJobId": video})).await;
    assert_eq!(status, 202, "{reply}");
    let (status, reply) = settle(&resubmitted, json!({"resubmit": true})).await;
    assert_eq!(status, 202, "{reply}");
    let (status, reply) = settle(&adopted, json!({"both": "or neither"})).await;
    assert_eq!(status, 422, "{reply}");
    let view = e2e::stack::wait_for_status(stack, &adopted, LIMIT, "completed").await;
    assert_eq!(view["soraJobId"], video.as_str());
    e2e::stack::wait_for_status(stack, &resubmitted, LIMIT, "completed").await;
    let creates = stack.sim.counters().creates_by_prompt;
    assert_eq!(
        creates.get("adopt me"),
        Some(&1),
        "adopted, not created again: {creates:?}"
    );
    assert_eq!(creates.get("submit me again"), Some(&1), "{creates:?}");
    // A job whose submission is known has nothing to settle.
    let (status, reply) = settle(&adopted, json!({"resubmit": true})).await;
    assert_eq!(
        (status, &reply["error"]["code"]),
        (409, &json!("submission_known")),
        "{reply}"
    );
    assert_eq!(stack.stats().await.submissions_unknown, 0);
}
