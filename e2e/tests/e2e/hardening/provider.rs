//! The provider: default request options, a provider that keeps failing, content that cannot be
//! fetched.

use super::*;

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
