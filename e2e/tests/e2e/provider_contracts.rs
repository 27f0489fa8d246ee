//! The OpenRouter and fal adapters against the simulator's contracts of them: a video made there
//! through the seam, cancellation where the provider has it, refusals of the input, and each
//! provider's own fault shapes (429 with its wait, 402 out of credit, 5xx, a wrong key) read as
//! the seam's classes.

use std::time::Duration;

use e2e::Stack;
use relay_shared::provider::fal::FalQueue;
use relay_shared::provider::openrouter::OpenRouterVideos;
use relay_shared::provider::HttpAdapter;
use relay_shared::provider::{FailureClass, Lifecycle, ProviderError, VideoProvider, VideoRequest};

pub(crate) fn root(stack: &Stack) -> String {
    stack.sim_url.trim_end_matches("/v1").to_owned()
}

fn openrouter_at(stack: &Stack, key: &str) -> OpenRouterVideos {
    let base = format!("{}/openrouter/api/v1", root(stack));
    OpenRouterVideos::new(&base, key.to_owned().into(), Duration::from_secs(5)).unwrap()
}

fn fal_at(stack: &Stack, key: &str) -> FalQueue {
    FalQueue::new(
        &format!("{}/fal", root(stack)),
        key.to_owned().into(),
        Duration::from_secs(5),
    )
    .unwrap()
}

pub(crate) fn request<'a>(
    prompt: &'a str,
    model: &'a str,
    seconds: Option<u32>,
) -> VideoRequest<'a> {
    VideoRequest {
        idempotency_key: "job",
        prompt,
        model,
        seconds,
        frame: None,
        extra: Default::default(),
        callback_url: None,
    }
}

/// Asks until the video is final (the simulator's timeline is about a second).
pub(crate) async fn final_state(provider: &dyn VideoProvider, id: &str) -> Lifecycle {
    e2e::eventually(Duration::from_secs(10), "a final state", || async {
        let job = provider.retrieve(id).await.unwrap();
        job.lifecycle.is_final().then_some(job.lifecycle)
    })
    .await
}

/// Each provider's faults, as the simulator answers them in its contract's shape.
pub(crate) async fn faults_read_as_classes(
    stack: &Stack,
    provider: &dyn VideoProvider,
    good: &VideoRequest<'_>,
) {
    stack.sim.set_faults(sora_sim::Faults {
        rate_429: 1.0,
        retry_after_secs: 3,
        ..Default::default()
    });
    let throttled = provider.create(good).await.unwrap_err();
    assert_eq!(throttled.class(), FailureClass::RateLimited, "{throttled}");
    assert_eq!(throttled.retry_after(), Some(Duration::from_secs(3)));
    stack.sim.set_faults(sora_sim::Faults {
        rate_quota: 1.0,
        ..Default::default()
    });
    let broke = provider.create(good).await.unwrap_err();
    assert_eq!(broke.class(), FailureClass::Quota, "{broke}");
    stack.sim.set_faults(sora_sim::Faults {
        rate_5xx: 1.0,
        ..Default::default()
    });
    let down = provider.create(good).await.unwrap_err();
    assert_eq!(down.class(), FailureClass::Transient, "{down}");
    stack.sim.set_faults(sora_sim::Faults::default());
}

#[tokio::test]
async fn openrouter_through_the_seam() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let openrouter = openrouter_at(&stack, "sk-sim");
    let good = request("a red fox", "google/veo-3.1", Some(8));
    let created = openrouter.create(&good).await.unwrap();
    assert_eq!(created.lifecycle, Lifecycle::Queued);
    let Lifecycle::Succeeded { outputs, .. } = final_state(&openrouter, &created.id).await else {
        panic!("not completed");
    };
    assert!(outputs[0]
        .url
        .ends_with(&format!("/videos/{}/content?index=0", created.id)));
    // Its content answers with the key: the completion is announced.
    let done = openrouter.retrieve(&created.id).await.unwrap();
    openrouter.check_content(&done).await.unwrap();
    // A moderated prompt fails as moderation; a duration the model does not take is the input's.
    let refused = openrouter
        .create(&request("sim:fail sim:moderation", "google/veo-3.1", None))
        .await
        .unwrap();
    assert!(matches!(
        final_state(&openrouter, &refused.id).await,
        Lifecycle::Failed {
            class: FailureClass::Moderation,
            ..
        }
    ));
    let bad = openrouter
        .create(&request("a fox", "google/veo-3.1", Some(5)))
        .await
        .unwrap_err();
    assert_eq!(bad.class(), FailureClass::InvalidInput, "{bad}");
    // An upstream that lost the video: its content answers 502, the completion is held back.
    let lost = openrouter
        .create(&request("sim:content_502 a fox", "google/veo-3.1", None))
        .await
        .unwrap();
    final_state(&openrouter, &lost.id).await;
    let lost = openrouter.retrieve(&lost.id).await.unwrap();
    let unavailable = openrouter.check_content(&lost).await.unwrap_err();
    assert!(
        matches!(unavailable, ProviderError::Unavailable { .. }),
        "{unavailable}"
    );
    // No cancel at OpenRouter.
    assert!(!openrouter.capabilities().can_cancel);
    assert!(openrouter.cancel(&created.id).await.is_err());
    faults_read_as_classes(&stack, &openrouter, &good).await;
    let wrong_key = openrouter_at(&stack, "sk-wrong")
        .retrieve(&created.id)
        .await
        .unwrap_err();
    assert_eq!(wrong_key.class(), FailureClass::Auth, "{wrong_key}");
}

#[tokio::test]
async fn fal_through_the_seam() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let fal = fal_at(&stack, "sk-sim");
    let model = "fal-ai/kling-video/v2.1/standard/text-to-video";
    let good = request("a red fox", model, Some(5));
    let created = fal.create(&good).await.unwrap();
    assert_eq!(
        created.id.split('/').take(3).collect::<Vec<_>>(),
        ["fal-ai", "kling-video", "requests"]
    );
    let Lifecycle::Succeeded { outputs, .. } = final_state(&fal, &created.id).await else {
        panic!("not completed");
    };
    assert!(outputs[0].url.ends_with(".mp4"), "{outputs:?}");
    // Failed inside COMPLETED: moderation told by error_type.
    let refused = fal
        .create(&request("sim:fail sim:moderation", model, None))
        .await
        .unwrap();
    assert!(matches!(
        final_state(&fal, &refused.id).await,
        Lifecycle::Failed {
            class: FailureClass::Moderation,
            ..
        }
    ));
    // fal validates the input at submission: 422 with its detail list.
    let bad = fal
        .create(&request("a fox", model, Some(7)))
        .await
        .unwrap_err();
    assert_eq!(bad.class(), FailureClass::InvalidInput, "{bad}");
    assert!(bad.to_string().contains("duration"), "{bad}");
    // Cancel a running request; a finished one cannot be.
    let slow = fal
        .create(&request("sim:running_ms=60000 a slow fox", model, None))
        .await
        .unwrap();
    fal.cancel(&slow.id).await.unwrap();
    assert!(matches!(
        final_state(&fal, &slow.id).await,
        Lifecycle::Failed { .. }
    ));
    assert!(fal.cancel(&created.id).await.is_err());
    assert_eq!(stack.sim.counters().cancels, 2);
    faults_read_as_classes(&stack, &fal, &good).await;
    let wrong_key = fal_at(&stack, "sk-wrong")
        .retrieve(&created.id)
        .await
        .unwrap_err();
    assert_eq!(wrong_key.class(), FailureClass::Auth, "{wrong_key}");
}

#[tokio::test]
async fn replicate_cancels_a_running_prediction() {
    use relay_shared::provider::replicate::ReplicatePredictions;
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let replicate = ReplicatePredictions::new(
        &format!("{}/replicate/v1", root(&stack)),
        "sk-sim".to_owned().into(),
        Duration::from_secs(5),
    )
    .unwrap();
    let slow = replicate
        .create(&request(
            "sim:running_ms=60000 a slow fox",
            "minimax/video-01",
            None,
        ))
        .await
        .unwrap();
    replicate.cancel(&slow.id).await.unwrap();
    assert_eq!(
        final_state(&replicate, &slow.id).await,
        Lifecycle::Cancelled
    );
}
