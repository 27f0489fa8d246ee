//! `POST /api/videos/{jobId}/cancel` through the real API and worker: a running video is stopped
//! at a provider that can stop it and the job ends `cancelled` with its webhook and its count; a
//! provider that cannot stop one is said so, and polling ends all the same; a cancel that lands
//! while a worker is mid-poll is carried out by the next poll; final jobs answer 409, unknown
//! ones 404.

use std::time::Duration;

use e2e::Stack;
use serde_json::{json, Value};
use sora_sim::config::Faults;

const LIMIT: Duration = Duration::from_secs(20);

async fn cancel(stack: &Stack, job: &str) -> (u16, Value) {
    stack
        .post_json(&format!("/api/videos/{job}/cancel"), &json!({}))
        .await
}

/// Waits until the job has a video at its provider.
async fn running(stack: &Stack, job: &str) -> String {
    e2e::eventually(Duration::from_secs(10), "the job's video", || async {
        stack.status(job).await["soraJobId"]
            .as_str()
            .map(str::to_owned)
    })
    .await
}

#[tokio::test]
async fn a_running_video_is_stopped_at_its_provider_and_the_job_ends_cancelled() {
    let stack = Stack::start_all_providers(Stack::quick_sim(), &[]).await;
    let _worker = stack.spawn_worker();
    let mut jobs = Vec::new();
    for provider in ["replicate", "fal", "runway", "luma"] {
        let job = stack
            .submit(
                &format!("sim:running_ms=60000 a long fox at {provider}"),
                json!({"provider": provider}),
            )
            .await;
        running(&stack, &job).await;
        jobs.push(job);
    }
    for job in &jobs {
        let (status, view) = cancel(&stack, job).await;
        assert_eq!(status, 202, "{view}");
        assert_eq!(view["jobId"], job.as_str());
    }
    let webhooks = stack.receiver.wait_for_final(&jobs, LIMIT).await;
    for job in &jobs {
        let last = webhooks.iter().rfind(|w| w.job_id() == job).unwrap();
        assert_eq!(last.status(), "cancelled", "{}", last.body);
        assert!(last.signature_ok && last.standard_ok);
        let view = stack.status(job).await;
        assert_eq!(view["status"], "cancelled", "{view}");
        assert_eq!(view["error"], "cancelled on request", "{view}");
    }
    assert_eq!(
        stack.sim.counters().cancels,
        4,
        "each stopped at its provider"
    );
    let stats = stack.stats().await;
    assert_eq!((stats.cancelled_jobs, stats.processing_jobs), (4, 0));
    // Final now: 409, and nothing moves.
    let (status, body) = cancel(&stack, &jobs[0]).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "job_terminal");
    let (status, _) = cancel(&stack, "6f1e5f5c-0000-4000-8000-000000000000").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_provider_that_cannot_stop_a_video_is_said_so_and_polling_ends() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let _worker = stack.spawn_worker();
    let job = stack
        .submit("sim:running_ms=60000 an openai fox", json!({}))
        .await;
    running(&stack, &job).await;
    let (status, _) = cancel(&stack, &job).await;
    assert_eq!(status, 202);
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&job), LIMIT)
        .await;
    let view = stack.status(&job).await;
    assert_eq!(view["status"], "cancelled");
    let error = view["error"].as_str().unwrap();
    assert!(error.contains("openai cannot cancel"), "{error}");
    assert_eq!(stack.sim.counters().cancels, 0);
    let retrieves = stack.sim.counters().retrieves;
    // Long enough for several polls at the test stack's 100-400 ms backoff: none comes.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(stack.sim.counters().retrieves, retrieves, "no poll after");
}

/// The cancel arrives while a worker holds the job (its provider call is slow): the worker's
/// commit carries the request to the next poll, which cancels the job.
#[tokio::test]
async fn a_cancel_that_lands_mid_poll_is_carried_out_by_the_next_poll() {
    let stack = Stack::start_all_providers(Stack::quick_sim(), &[]).await;
    let _worker = stack.spawn_worker();
    let job = stack
        .submit(
            "sim:running_ms=60000 a fox behind a slow provider",
            json!({"provider": "replicate"}),
        )
        .await;
    running(&stack, &job).await;
    stack.sim.set_faults(Faults {
        latency_ms: 1500,
        ..Faults::default()
    });
    // A poll is under way (claimed) when the cancel lands.
    let at = stack.keys().job_ref(&job).unwrap();
    let key = stack.keys().job(at.partition, &job);
    let client = redis::Client::open(stack.redis.url()).unwrap();
    let redis = client.get_multiplexed_async_connection().await.unwrap();
    e2e::eventually(Duration::from_secs(10), "a poll in flight", || async {
        let claim: Option<String> = redis::cmd("HGET")
            .arg(&key)
            .arg("claim")
            .query_async(&mut redis.clone())
            .await
            .unwrap();
        claim.filter(|c| !c.is_empty()).map(|_| ())
    })
    .await;
    let (status, _) = cancel(&stack, &job).await;
    assert_eq!(status, 202);
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&job), LIMIT)
        .await;
    assert_eq!(stack.status(&job).await["status"], "cancelled");
    assert_eq!(stack.sim.counters().cancels, 1);
}

/// The store's side of a cancel asked for while a worker holds the job, step by step: the worker's
/// commit marks the state it writes, and the job is due at once, so the next claim reads the mark.
#[tokio::test]
async fn the_commit_of_a_held_job_carries_its_cancel_to_the_next_claim() {
    use relay_shared::job::PollState;
    use relay_shared::store::{ClaimFields, Committed, ForcePoll, Queue};

    let redis = e2e::RedisServer::start();
    let store = crate::store::store(&redis, "1");
    let job = relay_shared::store::layout::new_job_id();
    store
        .create_job(&job, &relay_shared::job::NewJob::new("w", "a fox"))
        .await
        .unwrap();
    let state = ClaimFields::new(&["state"]);
    let claim = |token: &'static str| {
        let store = store.clone();
        async move {
            store
                .claim(Queue::Jobs, 0, 10, Duration::from_secs(30), token, state)
                .await
                .unwrap()
                .items
        }
    };
    assert_eq!(claim("t1").await.len(), 1);
    assert!(matches!(
        store.request_cancel(&job).await.unwrap(),
        ForcePoll::Scheduled(_)
    ));
    // The worker commits what its poll saw; the request rides on the state it writes.
    let committed = store
        .commit_poll(&crate::store::commit(&job, "t1"))
        .await
        .unwrap();
    assert!(matches!(committed, Committed::Stored { .. }));
    let items = claim("t2").await;
    let stored = PollState::decode(items[0].values[0].as_deref().unwrap()).unwrap();
    assert!(stored.cancel_requested, "{stored:?}");
    assert_eq!(
        stored.provider_job.unwrap().id,
        "video_1",
        "the rest as committed"
    );
}
