//! A job's whole life over real HTTP and a real Redis: accepted, submitted, polled, finished, with
//! a verifiable webhook for every change and the status endpoint as the fallback. One story, from
//! submission to every kind of ending, kept in one file (a little over 300 lines) so it reads in
//! order.

use std::time::Duration;

use e2e::stack::wait_for_status;
use e2e::Stack;
use serde_json::json;
use sora_sim::SimConfig;

const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_job_runs_from_submission_to_completed_with_signed_webhooks_for_every_change() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let _worker = stack.spawn_worker();

    let job_id = stack.submit("Explain loops", json!({})).await;
    let all = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&job_id), LIMIT)
        .await;
    let events: Vec<_> = all.iter().filter(|r| r.job_id() == job_id).collect();

    assert!(
        events.iter().all(|e| e.signature_ok && e.has_timestamp),
        "{events:#?}"
    );
    let statuses: Vec<&str> = events.iter().map(|e| e.status()).collect();
    assert_eq!(statuses.first(), Some(&"queued"));
    assert!(statuses.contains(&"processing"), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&"completed"));
    // Progress never goes backwards, and each event differs from the one before it.
    let progress: Vec<i64> = events
        .iter()
        .map(|e| e.json["progress"].as_i64().unwrap())
        .collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    for pair in events.windows(2) {
        let key = |e: &e2e::Received| (e.json["status"].clone(), e.json["progress"].clone());
        assert_ne!(key(pair[0]), key(pair[1]));
    }

    let done = &events.last().unwrap().json;
    let video_id = done["soraJobId"].as_str().unwrap();
    assert!(video_id.starts_with("video_"));
    assert_eq!(done["progress"], 100);
    assert_eq!(
        done["videoUrl"],
        format!("{}/videos/{video_id}/content", stack.sim_url)
    );
    assert!(done["contentExpiresAt"].is_i64());
    assert!(done["timestamp"].as_str().unwrap().ends_with('Z'));
    let keys: Vec<&str> = done
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "jobId",
            "soraJobId",
            "status",
            "progress",
            "videoUrl",
            "contentExpiresAt",
            "timestamp",
            // Added at the end: the original client's verification still holds.
            "progressSource"
        ]
    );

    let view = stack.status(&job_id).await;
    assert_eq!(view["status"], "completed");
    assert_eq!(view["soraJobId"], video_id);
    assert_eq!(view["videoUrl"], done["videoUrl"]);
    assert_eq!(view["walletAddress"], "test-wallet");
    assert_eq!(view["renderVersion"], "v3");
    assert_eq!(view["model"], "sora-2");
    assert_eq!(view["provider"], "openai");
    assert_eq!(view["progressSource"], "provider");
    let keys: Vec<&String> = view.as_object().unwrap().keys().collect();
    assert_eq!(
        keys[keys.len() - 7..],
        [
            "provider",
            "progressSource",
            "contentSha256",
            "contentBytes",
            "contentType",
            "route",
            "attempts"
        ],
        "added at the end of the view, in the order they came"
    );
    assert!(view["createdAt"].is_string() && view["updatedAt"].is_string());
    assert!(view["error"].is_null());

    let stats = stack.stats().await;
    assert_eq!(
        stats,
        e2e::Stats {
            total_jobs: 1,
            queued_jobs: 0,
            processing_jobs: 0,
            completed_jobs: 1,
            failed_jobs: 0,
            timeout_jobs: 0,
            webhook_dead_letters: 0,
            submissions_unknown: 0,
            cancelled_jobs: 0
        }
    );
    assert_eq!(stack.sim.counters().creates, 1);
}

#[tokio::test]
async fn options_reach_the_provider_and_the_status_view() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let worker = stack.worker();
    let job_id = stack
        .submit("a wide shot", json!({"model": "sora-2-pro", "seconds": "8", "size": "1792x1024", "metadata": {"orderId": 42}}))
        .await;
    worker.run_once().await.unwrap();
    let view = stack.status(&job_id).await;
    assert_eq!(view["status"], "queued");
    assert_eq!(
        (
            view["model"].as_str(),
            view["seconds"].as_str(),
            view["size"].as_str()
        ),
        (Some("sora-2-pro"), Some("8"), Some("1792x1024"))
    );
    assert_eq!(view["metadata"], json!({"orderId": 42}));
    let video = stack
        .sim
        .get(view["soraJobId"].as_str().unwrap())
        .expect("the provider has the video");
    assert_eq!(
        (
            video.model.as_str(),
            video.seconds.as_str(),
            video.size.as_str(),
            video.prompt.as_str()
        ),
        ("sora-2-pro", "8", "1792x1024", "a wide shot")
    );
}

#[tokio::test]
async fn a_provider_failure_ends_the_job_failed_with_the_providers_message() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let _worker = stack.spawn_worker();
    let job_id = stack.submit("this one will sim:fail", json!({})).await;
    let all = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&job_id), LIMIT)
        .await;
    let last = all.iter().rev().find(|r| r.job_id() == job_id).unwrap();
    assert_eq!(last.status(), "failed");
    assert!(last.signature_ok);
    assert_eq!(
        last.json["error"],
        "The video could not be generated (simulated failure)."
    );
    let view = stack.status(&job_id).await;
    assert_eq!(
        (view["status"].as_str(), view["error"].as_str()),
        (Some("failed"), last.json["error"].as_str())
    );
    assert_eq!(stack.stats().await.failed_jobs, 1);
}

#[tokio::test]
async fn a_rejected_submission_fails_the_job_without_retrying() {
    // The provider refuses sizes the model does not support: a 400 on create.
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let worker = stack.worker();
    let job_id = stack
        .submit("tall", json!({"model": "sora-2", "size": "1024x1792"}))
        .await;
    worker.run_once().await.unwrap();
    worker.run_once().await.unwrap();
    let view = stack.status(&job_id).await;
    assert_eq!(view["status"], "failed");
    assert!(view["error"].as_str().unwrap().contains("size"), "{view}");
    assert!(view["soraJobId"].is_null());
    let final_events = stack
        .receiver
        .wait_until(LIMIT, "the failed webhook", |all| {
            all.iter().any(|r| r.status() == "failed")
        })
        .await;
    assert!(final_events.iter().all(|e| e.signature_ok));
}

#[tokio::test]
async fn a_job_that_outlives_the_maximum_age_times_out() {
    let slow = SimConfig {
        queued_ms: 60_000,
        ..SimConfig::default()
    };
    let stack = Stack::start(slow, &[("JOB_MAX_AGE_SECS", "1")]).await;
    let _worker = stack.spawn_worker();
    let job_id = stack.submit("never finishes in time", json!({})).await;
    let all = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&job_id), LIMIT)
        .await;
    let last = all.iter().rev().find(|r| r.job_id() == job_id).unwrap();
    assert_eq!(last.status(), "timeout");
    assert!(last.signature_ok);
    let view = wait_for_status(&stack, &job_id, LIMIT, "timeout").await;
    assert!(view["error"].as_str().unwrap().contains("JOB_MAX_AGE_SECS"));
    let stats = stack.stats().await;
    assert_eq!(
        (Some(stats.timeout_jobs), Some(stats.queued_jobs)),
        (Some(1), Some(0))
    );
}

#[tokio::test]
async fn stats_follow_every_transition() {
    let stack = Stack::start(
        SimConfig {
            queued_ms: 0,
            running_ms: 60_000,
            ..SimConfig::default()
        },
        &[],
    )
    .await;
    let worker = stack.worker();
    let ids = [
        stack.submit("one", json!({})).await,
        stack.submit("two", json!({})).await,
        stack.submit("three sim:fail", json!({})).await,
    ];
    let stats = stack.stats().await;
    assert_eq!(
        (Some(stats.total_jobs), Some(stats.queued_jobs)),
        (Some(3), Some(3))
    );
    worker.run_once().await.unwrap(); // submitted; the simulator queues for 0 ms
    e2e::eventually(LIMIT, "all three processing", || async {
        stack
            .http
            .post(format!("{}/api/sora/poll/{}", stack.api, ids[0]))
            .send()
            .await
            .unwrap();
        stack
            .http
            .post(format!("{}/api/sora/poll/{}", stack.api, ids[1]))
            .send()
            .await
            .unwrap();
        stack
            .http
            .post(format!("{}/api/sora/poll/{}", stack.api, ids[2]))
            .send()
            .await
            .unwrap();
        worker.run_once().await.unwrap();
        let stats = stack.stats().await;
        (stats.processing_jobs == 3).then_some(())
    })
    .await;
    let stats = stack.stats().await;
    assert_eq!(
        stats,
        e2e::Stats {
            total_jobs: 3,
            queued_jobs: 0,
            processing_jobs: 3,
            completed_jobs: 0,
            failed_jobs: 0,
            timeout_jobs: 0,
            webhook_dead_letters: 0,
            submissions_unknown: 0,
            cancelled_jobs: 0
        }
    );
}

/// Jobs stored by a version before the `state` field (status, progress, provider id and the
/// poll's own fields each in a field of its own) are shown as before, driven to the end, and
/// stored in the current layout by their first poll: an upgrade loses no live job.
#[tokio::test]
async fn a_job_stored_in_the_layout_before_the_state_field_runs_to_completion() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let store = relay_shared::store::Store::connect(&stack.settings).unwrap();
    let client = redis::Client::open(stack.redis.url()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let job_id = relay_shared::store::layout::new_job_id();
    let keys = store.keys();
    let partition = keys.partition_of(&job_id).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let created_at = json!(relay_shared::time::iso8601_from_ms(now));
    // Exactly what the earlier create_job.lua wrote.
    redis::pipe()
        .hset_multiple(
            keys.job(partition, &job_id),
            &[
                ("status", "queued"),
                ("progress", "0"),
                ("created", &now.to_string()),
                ("updated", &now.to_string()),
                ("wallet", "old-wallet"),
                ("prompt", "from before the upgrade"),
                ("render", "v3"),
                ("model", "sora-2"),
            ],
        )
        .zadd(keys.schedule(partition), &job_id, now)
        .hincr(keys.stats(partition), "total", 1)
        .hincr(keys.stats(partition), "queued", 1)
        .exec_async(&mut redis)
        .await
        .unwrap();

    let view = stack.status(&job_id).await;
    assert_eq!(
        (&view["status"], &view["progress"], &view["createdAt"]),
        (&json!("queued"), &json!(0), &created_at)
    );

    let _worker = stack.spawn_worker();
    let view = wait_for_status(&stack, &job_id, LIMIT, "completed").await;
    assert_eq!(view["progress"], 100);
    assert!(view["soraJobId"].as_str().unwrap().starts_with("video_"));
    assert_eq!(view["walletAddress"], "old-wallet");
    assert_eq!(view["createdAt"], created_at);
    let video = stack.sim.get(view["soraJobId"].as_str().unwrap()).unwrap();
    assert_eq!(video.prompt, "from before the upgrade");
    let events = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&job_id), LIMIT)
        .await;
    assert_eq!(
        events.last().map(|e| e.status()),
        Some("completed"),
        "{events:#?}"
    );
    let state: Option<String> = redis::cmd("HGET")
        .arg(keys.job(partition, &job_id))
        .arg("state")
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(
        state.unwrap().starts_with(&format!("completed 100 {now} ")),
        "the poll stored the current layout"
    );
    let stats = stack.stats().await;
    assert_eq!((stats.queued_jobs, stats.completed_jobs), (0, 1));
}
