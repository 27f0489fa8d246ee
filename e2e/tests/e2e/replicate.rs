//! The Replicate adapter against the simulator's Replicate contract (`/replicate/v1`): a job made
//! there from submission to a signed `completed` webhook, a lost submission found again across the
//! list's pages, and the provider's own error shapes read as the seam's classes.

use std::sync::Arc;
use std::time::Duration;

use e2e::Stack;
use relay_shared::job::NewJob;
use relay_shared::provider::replicate::ReplicatePredictions;
use relay_shared::provider::HttpAdapter;
use relay_shared::provider::{FailureClass, Lifecycle, Provider, Providers, VideoProvider};
use relay_shared::store::layout::new_job_id;
use relay_shared::store::Store;
use relay_worker::Worker;

const LIMIT: Duration = Duration::from_secs(30);
const MODEL: &str = "minimax/video-01";

fn replicate(stack: &Stack) -> ReplicatePredictions {
    let base = format!("{}/replicate/v1", stack.sim_url.trim_end_matches("/v1"));
    ReplicatePredictions::new(&base, "sk-sim".to_owned().into(), Duration::from_secs(5)).unwrap()
}

#[tokio::test]
async fn a_replicate_job_runs_to_completed_with_its_output_and_a_signed_webhook() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let provider = Provider::unlimited("replicate", Arc::new(replicate(&stack)), MODEL);
    let worker =
        Worker::with_providers(stack.settings.clone(), Providers::single(provider)).unwrap();
    let store = Store::connect(&stack.settings).unwrap();
    let job_id = new_job_id();
    let job = NewJob {
        provider: "replicate".into(),
        model: MODEL.into(),
        ..NewJob::new("0xwallet", "a red fox in the snow")
    };
    store.create_job(&job_id, &job).await.unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(worker.run_until_stopped(shutdown.clone()));
    let webhooks = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&job_id), LIMIT)
        .await;
    shutdown.cancel();
    running.await.unwrap().unwrap();

    let last = webhooks.last().unwrap();
    assert!(last.signature_ok && last.standard_ok, "{}", last.body);
    assert_eq!(last.status(), "completed", "{}", last.body);
    let prediction = last.json["soraJobId"].as_str().unwrap();
    let video_url = last.json["videoUrl"].as_str().unwrap();
    assert!(
        video_url.ends_with(&format!("/replicate/v1/files/{prediction}.mp4")),
        "{video_url}"
    );
    // Kept for an hour after completion, as Replicate keeps an API prediction's outputs.
    assert!(
        last.json["contentExpiresAt"].as_i64().is_some(),
        "{}",
        last.body
    );
    let view = stack.status(&job_id).await;
    assert_eq!(view["status"], "completed");
    assert_eq!(view["soraJobId"], prediction);
    assert_eq!(
        (&view["provider"], &view["model"]),
        (&"replicate".into(), &MODEL.into())
    );
    assert_eq!(stack.sim.counters().creates, 1);
}

#[tokio::test]
async fn a_lost_submission_is_found_again_across_the_lists_pages() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let replicate = replicate(&stack);
    let request = |prompt: &'static str| relay_shared::provider::VideoRequest {
        idempotency_key: "job",
        prompt,
        model: MODEL,
        seconds: None,
        frame: None,
        extra: Default::default(),
        callback_url: None,
    };
    let lost = replicate.create(&request("the lost one")).await.unwrap();
    // More than a page of newer predictions: the search follows the list's `next` cursor.
    for _ in 0..120 {
        replicate.create(&request("another")).await.unwrap();
    }
    let found = replicate.find("the lost one", 0).await.unwrap().unwrap();
    assert_eq!(found.id, lost.id);
    assert!(replicate.find("never made", 0).await.unwrap().is_none());
    assert!(
        stack.sim.counters().lists >= 4,
        "two searches over two pages each"
    );
    // Anything created before the intent is not a candidate.
    let later = relay_shared::time::now_unix_secs() + 3600;
    assert!(replicate
        .find("the lost one", later)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn replicate_errors_are_read_in_their_own_shape() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let replicate = replicate(&stack);
    let request = relay_shared::provider::VideoRequest {
        idempotency_key: "job",
        prompt: "a red fox",
        model: MODEL,
        seconds: Some(5),
        frame: None,
        extra: Default::default(),
        callback_url: None,
    };
    let created = replicate.create(&request).await.unwrap();
    assert_eq!(created.lifecycle, Lifecycle::Queued);
    stack.sim.set_faults(sora_sim::Faults {
        rate_429: 1.0,
        retry_after_secs: 3,
        ..Default::default()
    });
    let throttled = replicate.retrieve(&created.id).await.unwrap_err();
    assert_eq!(throttled.class(), FailureClass::RateLimited, "{throttled}");
    assert_eq!(throttled.retry_after(), Some(Duration::from_secs(3)));
    stack.sim.set_faults(sora_sim::Faults {
        rate_quota: 1.0,
        ..Default::default()
    });
    let broke = replicate.create(&request).await.unwrap_err();
    assert_eq!(broke.class(), FailureClass::Quota, "{broke}");
    stack.sim.set_faults(sora_sim::Faults::default());
    let missing = replicate.retrieve("no-such-prediction").await.unwrap_err();
    assert_eq!(missing.class(), FailureClass::InvalidInput, "{missing}");
    let wrong_key = ReplicatePredictions::new(
        &format!("{}/replicate/v1", stack.sim_url.trim_end_matches("/v1")),
        "sk-wrong".to_owned().into(),
        Duration::from_secs(5),
    )
    .unwrap();
    let refused = wrong_key.retrieve(&created.id).await.unwrap_err();
    assert_eq!(refused.class(), FailureClass::Auth, "{refused}");
}
