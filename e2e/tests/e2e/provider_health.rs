//! Providers whose every call fails for a reason retrying cannot fix — our key refused, a model
//! gone — are named by `/readyz` (from what the workers saw, shared through Redis) and by the
//! worker's start-up log (its key check); an answer ends the warning.

use std::time::Duration;

use e2e::Stack;
use serde_json::{json, Value};

async fn warnings(stack: &Stack) -> Vec<Value> {
    let (status, body) = stack.get("/readyz").await;
    assert_eq!(
        status, 200,
        "a provider's trouble does not make the API unready: {body}"
    );
    assert_eq!(body["status"], "ready");
    body["warnings"].as_array().unwrap().clone()
}

#[tokio::test]
async fn readyz_names_a_refused_key_and_a_retired_model_until_an_answer_ends_them() {
    let stack =
        Stack::start_all_providers(Stack::quick_sim(), &[("FAL_KEY", "not-fals-key")]).await;
    assert!(warnings(&stack).await.is_empty(), "nothing seen yet");
    let _worker = stack.spawn_worker();
    // The worker checks every key at start-up: fal's is refused.
    let refused = e2e::eventually(Duration::from_secs(10), "fal's refusal", || async {
        warnings(&stack)
            .await
            .into_iter()
            .find(|w| w["provider"] == "fal")
    })
    .await;
    assert_eq!(refused["problem"], "auth", "{refused}");
    assert!(
        refused["detail"].as_str().unwrap().contains("401"),
        "{refused}"
    );
    assert!(!refused["detail"].as_str().unwrap().contains("not-fals-key"));
    assert_eq!(refused["lastSuccessAt"], Value::Null);

    // A create naming a model Veo does not have.
    let gone = stack
        .submit(
            "a fox by a model that is gone",
            json!({"provider": "veo", "model": "imagen-0-retired"}),
        )
        .await;
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&gone), Duration::from_secs(20))
        .await;
    let all = warnings(&stack).await;
    let retired = all
        .iter()
        .find(|w| w["provider"] == "veo")
        .unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(
        (retired["problem"].as_str(), retired["model"].as_str()),
        (Some("retired"), Some("imagen-0-retired"))
    );
    // Every other enabled provider took its key: no warning for them.
    assert_eq!(all.len(), 2, "{all:?}");

    // An answer after the refusal ends fal's warning (as a worker with the fixed key records).
    stack
        .store()
        .note_provider("fal", relay_shared::store::Seen::Answer { model: None })
        .await
        .unwrap();
    let left: Vec<Value> = warnings(&stack).await;
    assert!(left.iter().all(|w| w["provider"] != "fal"), "{left:?}");
}
