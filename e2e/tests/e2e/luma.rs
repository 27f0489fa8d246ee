//! The Luma adapter against the simulator's contract of it (`docs/providers/luma.md`): a
//! generation made there through the seam, moderation and input refusals, cancellation by
//! deletion, and Luma's fault shapes read as the seam's classes; and its unsigned callbacks through
//! the real API and worker, believed only at the job's own unguessable path.

use std::time::Duration;

use e2e::Stack;
use relay_shared::provider::luma::LumaGenerations;
use relay_shared::provider::{FailureClass, HttpAdapter, Lifecycle, VideoProvider};

use serde_json::{json, Value};
use std::time::Instant;

use crate::provider_callbacks::{callbacks, SLOW_POLLS};
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

/// Luma signs nothing: its callbacks come to the job's own unguessable path and finish the job as
/// early as signed ones; the same body at the plain path, at another job's path or with a token
/// one character off changes nothing.
#[tokio::test]
async fn unsigned_callbacks_are_believed_only_at_the_jobs_own_path() {
    let stack = Stack::start_all_providers(Stack::quick_sim(), SLOW_POLLS)
        .await
        .with_callbacks();
    let _worker = stack.spawn_worker();
    let started = Instant::now();
    let done = stack
        .submit("a fox at luma", json!({"provider": "luma"}))
        .await;
    let slow = stack
        .submit(
            "sim:running_ms=60000 a slow fox at luma",
            json!({"provider": "luma"}),
        )
        .await;
    let webhooks = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&done), Duration::from_secs(20))
        .await;
    assert!(started.elapsed() < Duration::from_secs(20));
    let last = webhooks.iter().rfind(|r| r.job_id() == done).unwrap();
    assert_eq!(last.status(), "completed", "{}", last.body);

    let of = |sent: &[Value], job: &str| -> Vec<Value> {
        sent.iter()
            .filter(|c| {
                c["provider"] == "luma"
                    && c["url"].as_str().unwrap().ends_with(&format!("?job={job}"))
            })
            .cloned()
            .collect()
    };
    let (done_calls, slow_calls) =
        e2e::eventually(Duration::from_secs(10), "both jobs' callbacks", || async {
            let sent = callbacks(&stack).await;
            let (done_calls, slow_calls) = (of(&sent, &done), of(&sent, &slow));
            (!done_calls.is_empty() && !slow_calls.is_empty()).then_some((done_calls, slow_calls))
        })
        .await;
    assert!(
        done_calls.iter().all(|c| c["status"] == 200),
        "{done_calls:#?}"
    );
    let path_of = |call: &Value| call["url"].as_str().unwrap().to_owned();
    let token = relay_shared::provider::callback::token::for_job(
        e2e::stack::CALLBACK_TOKEN_SECRET.as_bytes(),
        "luma",
        &slow,
    );
    assert_eq!(
        path_of(&slow_calls[0]),
        format!(
            "{}/api/providers/luma/callback/{token}?job={slow}",
            stack.api
        ),
        "the path is the job's token"
    );
    // The slow job's own started callback claims it completed: believed only as far as a poll,
    // which finds it still dreaming.
    let claim = slow_calls[0]["body"]
        .as_str()
        .unwrap()
        .replace("\"dreaming\"", "\"completed\"");
    let retrieves = stack.sim.counters().retrieves;
    let post = |url: String, body: String| {
        let http = stack.http.clone();
        async move {
            let response = http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let done_token = path_of(&done_calls[0]);
    let done_token = done_token
        .rsplit_once("/callback/")
        .unwrap()
        .1
        .split('?')
        .next()
        .unwrap();
    let mut off_by_one = token.clone();
    off_by_one.replace_range(..1, if token.starts_with('A') { "B" } else { "A" });
    for url in [
        format!("{}/api/providers/luma/callback?job={slow}", stack.api),
        format!(
            "{}/api/providers/luma/callback/{done_token}?job={slow}",
            stack.api
        ),
        format!(
            "{}/api/providers/luma/callback/{off_by_one}?job={slow}",
            stack.api
        ),
    ] {
        let (status, body) = post(url.clone(), claim.clone()).await;
        assert_eq!(status, 401, "{url}: {body}");
        assert_eq!(body["error"]["code"], "invalid_signature", "{body}");
    }
    // A signed provider has no tokened path.
    let (status, _) = post(
        format!(
            "{}/api/providers/fal/callback/{token}?job={slow}",
            stack.api
        ),
        claim.clone(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        stack.sim.counters().retrieves,
        retrieves,
        "nothing polled early"
    );
    let (status, body) = post(path_of(&slow_calls[0]), claim).await;
    assert_eq!((status, &body["polling"]), (200, &json!(true)), "{body}");
    e2e::eventually(Duration::from_secs(10), "the early poll", || async {
        (stack.sim.counters().retrieves > retrieves).then_some(())
    })
    .await;
    let view = stack.status(&slow).await;
    assert!(
        matches!(view["status"].as_str(), Some("queued" | "processing")),
        "the poll tells the truth: {view}"
    );
}
