//! The Luma adapter against the simulator's contract of it (`docs/providers/luma.md`): a
//! generation made there through the seam, moderation and input refusals, cancellation by
//! deletion, and Luma's fault shapes read as the seam's classes.

use std::time::Duration;

use e2e::Stack;
use relay_shared::provider::luma::LumaGenerations;
use relay_shared::provider::{FailureClass, HttpAdapter, Lifecycle, VideoProvider};

use crate::provider_contracts::{faults_read_as_classes, final_state, request, root};

fn luma_at(stack: &Stack, key: &str) -> LumaGenerations {
    LumaGenerations::new(
        &format!("{}/luma/dream-machine/v1", root(stack)),
        key.to_owned().into(),
        Duration::from_secs(5),
    )
    .unwrap()
}

#[tokio::test]
async fn luma_through_the_seam() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let luma = luma_at(&stack, "sk-sim");
    let good = request("a red fox", "ray-2", Some(5));
    let created = luma.create(&good).await.unwrap();
    assert_eq!(created.lifecycle, Lifecycle::Queued);
    let Lifecycle::Succeeded { outputs, .. } = final_state(&luma, &created.id).await else {
        panic!("not completed");
    };
    assert!(outputs[0].url.ends_with(".mp4"), "{outputs:?}");
    assert!(luma
        .download(&outputs[0].url, None)
        .await
        .unwrap()
        .status()
        .is_success());

    let refused = luma
        .create(&request("sim:moderation a fox", "ray-2", None))
        .await
        .unwrap();
    assert!(matches!(
        final_state(&luma, &refused.id).await,
        Lifecycle::Failed {
            class: FailureClass::Moderation,
            ..
        }
    ));
    let bad = luma
        .create(&request("a fox", "ray-2", Some(7)))
        .await
        .unwrap_err();
    assert_eq!(bad.class(), FailureClass::InvalidInput, "{bad}");
    assert!(bad.to_string().contains("duration"), "{bad}");

    // Cancelled by deleting the generation: it is gone, and the job stops being polled there.
    let slow = luma
        .create(&request("sim:running_ms=60000 a slow fox", "ray-2", None))
        .await
        .unwrap();
    luma.cancel(&slow.id).await.unwrap();
    assert_eq!(stack.sim.counters().cancels, 1);
    let gone = luma.retrieve(&slow.id).await.unwrap_err();
    assert_eq!(gone.class(), FailureClass::InvalidInput, "a 404: {gone}");

    faults_read_as_classes(&stack, &luma, &good).await;
    let wrong_key = luma_at(&stack, "sk-wrong")
        .retrieve(&created.id)
        .await
        .unwrap_err();
    assert_eq!(wrong_key.class(), FailureClass::Auth, "{wrong_key}");
}
