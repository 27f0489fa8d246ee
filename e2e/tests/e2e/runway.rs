//! The Runway adapter against the simulator's contract of it (`docs/providers/runway.md`): text-
//! and image-to-video, progress while running, THROTTLED as waiting, moderation and input
//! refusals, cancellation, Runway's fault shapes read as the seam's classes, and the version
//! header every request must carry.

use std::time::Duration;

use e2e::Stack;
use relay_shared::provider::runway::{RunwayTasks, API_VERSION};
use relay_shared::provider::{FailureClass, HttpAdapter, Lifecycle, VideoProvider};
use serde_json::json;

use crate::provider_contracts::{faults_read_as_classes, final_state, request, root};

fn runway_at(stack: &Stack, key: &str) -> RunwayTasks {
    RunwayTasks::new(
        &format!("{}/runway", root(stack)),
        key.to_owned().into(),
        Duration::from_secs(5),
    )
    .unwrap()
}

#[tokio::test]
async fn runway_through_the_seam() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let runway = runway_at(&stack, "sk-sim");
    let good = request("a red fox", "gen4.5", Some(5));
    let created = runway.create(&good).await.unwrap();
    assert_eq!(created.lifecycle, Lifecycle::Queued);
    let Lifecycle::Succeeded {
        outputs,
        expires_at,
    } = final_state(&runway, &created.id).await
    else {
        panic!("not completed");
    };
    assert!(outputs[0].url.ends_with(".mp4"), "{outputs:?}");
    assert!(expires_at.is_some(), "outputs are kept a day at least");
    let file = runway.download(&outputs[0].url, None).await.unwrap();
    assert!(file.status().is_success());

    // Progress while running, from `progress` (0–1).
    let slow = runway
        .create(&request("sim:running_ms=3000 a slow fox", "gen4.5", None))
        .await
        .unwrap();
    let progress = e2e::eventually(Duration::from_secs(10), "a progress figure", || async {
        match runway.retrieve(&slow.id).await.unwrap().lifecycle {
            Lifecycle::Running { progress: Some(p) } if p > 0 => Some(p),
            _ => None,
        }
    })
    .await;
    assert!(progress < 100, "{progress}");
    // Cancelled while running.
    runway.cancel(&slow.id).await.unwrap();
    assert_eq!(final_state(&runway, &slow.id).await, Lifecycle::Cancelled);

    // THROTTLED (over the account's concurrency) is waiting, not failing.
    let throttled = runway
        .create(&request("sim:throttled sim:running_ms=200", "gen4.5", None))
        .await
        .unwrap();
    assert_eq!(
        runway.retrieve(&throttled.id).await.unwrap().lifecycle,
        Lifecycle::Queued
    );
    assert!(matches!(
        final_state(&runway, &throttled.id).await,
        Lifecycle::Succeeded { .. }
    ));

    // A safety refusal is moderation; a refusal of the input is invalid input, with its issues.
    let refused = runway
        .create(&request("sim:moderation a fox", "gen4.5", None))
        .await
        .unwrap();
    match final_state(&runway, &refused.id).await {
        Lifecycle::Failed { class, message } => {
            assert_eq!(class, FailureClass::Moderation);
            assert!(message.contains("SAFETY.INPUT.TEXT"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let too_long = runway
        .create(&request("a fox", "gen4.5", Some(11)))
        .await
        .unwrap_err();
    assert_eq!(too_long.class(), FailureClass::InvalidInput, "{too_long}");
    assert!(too_long.to_string().contains("duration"), "{too_long}");

    // With a promptImage in the options: image-to-video.
    let mut from_image = request("the fox runs", "gen4_turbo", Some(5));
    from_image
        .extra
        .insert("promptImage".into(), json!("https://example.com/fox.png"));
    let animated = runway.create(&from_image).await.unwrap();
    assert!(matches!(
        final_state(&runway, &animated.id).await,
        Lifecycle::Succeeded { .. }
    ));

    faults_read_as_classes(&stack, &runway, &good).await;
    let wrong_key = runway_at(&stack, "sk-wrong")
        .retrieve(&created.id)
        .await
        .unwrap_err();
    assert_eq!(wrong_key.class(), FailureClass::Auth, "{wrong_key}");

    // The simulator holds Runway's rule: a request without the version header is refused.
    let url = format!("{}/runway/v1/tasks/{}", root(&stack), created.id);
    let http = reqwest::Client::new();
    let bare = http.get(&url).bearer_auth("sk-sim").send().await.unwrap();
    assert_eq!(bare.status(), 400);
    let versioned = http
        .get(&url)
        .bearer_auth("sk-sim")
        .header("X-Runway-Version", API_VERSION)
        .send()
        .await
        .unwrap();
    assert_eq!(versioned.status(), 200);
}
