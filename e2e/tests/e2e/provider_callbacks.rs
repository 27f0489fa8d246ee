//! Providers' signed callbacks through the real API and worker: a real one, sent by the
//! simulator when the video ends, finishes the job long before its next poll; a forged one, a
//! stale one and one moved to another job's URL change nothing; a correctly signed one that lies
//! about the video only brings a poll forward, and the poll tells the truth.

use std::time::{Duration, Instant};

use e2e::Stack;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use sora_sim::config::DEFAULT_OPENROUTER_SECRET;

/// Polls so far apart that only a callback can finish a job within the test.
pub(crate) const SLOW_POLLS: &[(&str, &str)] = &[
    ("POLL_INITIAL_INTERVAL_MS", "30000"),
    ("POLL_MAX_INTERVAL_MS", "60000"),
];

#[tokio::test]
async fn a_real_callback_finishes_a_job_long_before_its_next_poll() {
    let stack = Stack::start_all_providers(Stack::quick_sim(), SLOW_POLLS)
        .await
        .with_callbacks();
    let _worker = stack.spawn_worker();
    let started = Instant::now();
    let mut ids = Vec::new();
    for provider in ["openrouter", "replicate", "fal"] {
        ids.push(
            stack
                .submit(
                    &format!("a fox at {provider}"),
                    json!({ "provider": provider }),
                )
                .await,
        );
    }
    let webhooks = stack
        .receiver
        .wait_for_final(&ids, Duration::from_secs(20))
        .await;
    // The first poll after the submission would be 30 s later.
    assert!(started.elapsed() < Duration::from_secs(20));
    for id in &ids {
        let last = webhooks.iter().rfind(|r| r.job_id() == id).unwrap();
        assert_eq!(last.status(), "completed", "{}", last.body);
    }
    let sent = callbacks(&stack).await;
    for provider in ["openrouter", "replicate", "fal"] {
        let theirs: Vec<&Value> = sent.iter().filter(|c| c["provider"] == provider).collect();
        assert!(!theirs.is_empty(), "{provider} called back");
        assert!(
            theirs.iter().all(|c| c["status"] == 200),
            "every callback accepted at once: {theirs:#?}"
        );
        assert!(
            theirs
                .iter()
                .all(|c| c["url"].as_str().unwrap().starts_with(&format!(
                    "{}/api/providers/{provider}/callback?job=",
                    stack.api
                ))),
            "{theirs:#?}"
        );
        // Replayed as sent: fine, and nothing to do for a final job. With one byte of the body
        // changed: refused.
        let sent = theirs.last().unwrap();
        let body = sent["body"].as_str().unwrap();
        let (status, reply) = replay(&stack, sent, body).await;
        assert_eq!((status, &reply["polling"]), (200, &json!(false)), "{reply}");
        let tampered = body.replacen("\"", "\" ", 1);
        let (status, reply) = replay(&stack, sent, &tampered).await;
        assert_eq!(status, 401, "{provider}: {reply}");
    }
}

/// A callback the simulator sent, sent again with `body`.
async fn replay(stack: &Stack, sent: &Value, body: &str) -> (u16, Value) {
    let mut request = stack
        .http
        .post(sent["url"].as_str().unwrap())
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in sent["headers"].as_object().unwrap() {
        request = request.header(name, value.as_str().unwrap());
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn forged_stale_and_misdirected_callbacks_change_nothing() {
    let stack = Stack::start_all_providers(Stack::quick_sim(), SLOW_POLLS)
        .await
        .with_callbacks();
    let _worker = stack.spawn_worker();
    let job = stack
        .submit(
            "sim:running_ms=60000 a slow fox",
            json!({"provider": "openrouter"}),
        )
        .await;
    let other = stack
        .submit(
            "sim:running_ms=60000 another fox",
            json!({"provider": "openrouter"}),
        )
        .await;
    let video = submitted(&stack, &job).await;
    submitted(&stack, &other).await;
    let claim = json!({"type": "video.generation.completed", "created_at": "2026-12-03T00:00:00.000Z",
        "data": {"id": video, "status": "completed", "unsigned_urls": ["https://evil.example/x.mp4"]}})
    .to_string();
    let now = relay_shared::time::now_unix_secs();
    let retrieves = stack.sim.counters().retrieves;

    // Forged: signed with another secret. Stale: the right secret, ten minutes old.
    for (secret, t) in [
        ("not the secret", now),
        (DEFAULT_OPENROUTER_SECRET, now - 600),
    ] {
        let (status, body) =
            post_callback(&stack, "openrouter", &job, &sign(secret, t, &claim), &claim).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], "invalid_signature");
    }
    // No signature at all; an unknown provider.
    let (status, _) = post_callback(&stack, "openrouter", &job, "", &claim).await;
    assert_eq!(status, 401);
    let (status, _) = post_callback(&stack, "runwayml", &job, "", &claim).await;
    assert_eq!(status, 404);
    // Signed, but about this job's video sent to the other job's URL: ignored.
    let good = sign(DEFAULT_OPENROUTER_SECRET, now, &claim);
    let (status, body) = post_callback(&stack, "openrouter", &other, &good, &claim).await;
    assert_eq!((status, &body["polling"]), (200, &json!(false)), "{body}");
    assert_eq!(
        stack.sim.counters().retrieves,
        retrieves,
        "nothing was polled early"
    );

    // Signed and about this job, but lying: only a poll, which finds the video still running.
    let (status, body) = post_callback(&stack, "openrouter", &job, &good, &claim).await;
    assert_eq!((status, &body["polling"]), (200, &json!(true)), "{body}");
    e2e::eventually(Duration::from_secs(10), "the early poll", || async {
        (stack.sim.counters().retrieves > retrieves).then_some(())
    })
    .await;
    // The same callback again (a provider's retry): still only a poll.
    let (status, _) = post_callback(&stack, "openrouter", &job, &good, &claim).await;
    assert_eq!(status, 200);
    for id in [&job, &other] {
        let view = stack.status(id).await;
        assert!(
            matches!(view["status"].as_str(), Some("queued" | "processing")),
            "{view}"
        );
        assert_eq!(view["videoUrl"], Value::Null, "{view}");
    }
    assert!(stack
        .receiver
        .all()
        .iter()
        .all(|r| r.status() != "completed"));
}

/// The job's video id at the provider, once it is submitted.
async fn submitted(stack: &Stack, job: &str) -> String {
    e2e::eventually(Duration::from_secs(10), "the submission", || async {
        stack.status(job).await["soraJobId"]
            .as_str()
            .map(str::to_owned)
    })
    .await
}

/// `X-OpenRouter-Signature` for `body` at `t` with `secret`.
fn sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t},{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn post_callback(
    stack: &Stack,
    provider: &str,
    job: &str,
    signature: &str,
    body: &str,
) -> (u16, Value) {
    let mut request = stack
        .http
        .post(format!(
            "{}/api/providers/{provider}/callback?job={job}",
            stack.api
        ))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if !signature.is_empty() {
        request = request.header("x-openrouter-signature", signature);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

pub(crate) async fn callbacks(stack: &Stack) -> Vec<Value> {
    let root = stack.sim_url.trim_end_matches("/v1");
    stack
        .http
        .get(format!("{root}/sim/callbacks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
