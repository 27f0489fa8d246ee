//! Lost submissions the provider cannot settle: the unknown mark, its policy, the operator's
//! decision.

use relay_shared::provider::HttpAdapter;

use super::*;

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
