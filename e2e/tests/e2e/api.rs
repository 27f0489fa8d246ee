//! The API's contract with clients: bad input is always a 4xx with the JSON error envelope, ids
//! that do not exist are 404s, and the force-poll and health endpoints do what they say.

use std::time::{Duration, Instant};

use e2e::Stack;
use serde_json::{json, Value};
use sora_sim::SimConfig;

fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], want_code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

async fn raw_post(
    stack: &Stack,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = stack
        .http
        .post(format!("{}{path}", stack.api))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn bad_input_gets_a_clear_json_error_and_never_a_5xx() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let json_type = "application/json";

    let (s, b) = raw_post(&stack, "/api/generate", json_type, "{\"walletAddress\": ").await;
    assert_error(s, &b, 400, "invalid_json");
    let (s, b) = raw_post(
        &stack,
        "/api/generate",
        "text/plain",
        r#"{"walletAddress":"w","script":"s"}"#,
    )
    .await;
    assert_error(s, &b, 415, "unsupported_media_type");
    let (s, b) = raw_post(
        &stack,
        "/api/generate",
        "application/x-www-form-urlencoded",
        "script=s",
    )
    .await;
    assert_error(s, &b, 415, "unsupported_media_type");
    let (s, b) = raw_post(&stack, "/api/generate", json_type, "").await;
    assert_error(s, &b, 400, "invalid_json");
    let (s, b) = raw_post(&stack, "/api/generate", json_type, vec![b' '; 70 * 1024]).await;
    assert_error(s, &b, 413, "payload_too_large");

    for (body, code) in [
        (json!({"script": "s"}), "invalid_field"),
        (json!({"walletAddress": "w"}), "invalid_field"),
        (json!({"walletAddress": "w", "script": ""}), "invalid_field"),
        (
            json!({"walletAddress": ["w"], "script": "s"}),
            "invalid_field",
        ),
        (json!({"walletAddress": "w", "script": 5}), "invalid_field"),
        (
            json!({"walletAddress": "w", "script": "s", "seconds": 8}),
            "invalid_field",
        ),
        (
            json!({"walletAddress": "w", "script": "s", "size": "huge"}),
            "invalid_field",
        ),
        (
            json!({"walletAddress": "w", "script": "s", "metadata": "x"}),
            "invalid_field",
        ),
        (
            json!({"walletAddress": "w", "script": "x".repeat(10_001)}),
            "invalid_field",
        ),
        (json!("just a string"), "invalid_field"),
    ] {
        let (s, b) = stack.post_json("/api/generate", &body).await;
        assert_error(s, &b, 422, code);
    }
    let (s, b) = stack
        .post_json(
            "/api/generate",
            &json!({"walletAddress": "w", "script": "s", "renderVersion": "v2"}),
        )
        .await;
    assert_error(s, &b, 422, "unsupported_render_version");
    assert!(b["error"]["message"].as_str().unwrap().contains("v3"));

    for id in [
        "job-123",
        "00000000-0000-4000-8000-000000000000",
        "%2e%2e%2fetc",
    ] {
        let (s, b) = stack.get(&format!("/api/videos/status/{id}")).await;
        assert_error(s, &b, 404, "job_not_found");
        let (s, b) = stack
            .post_json(&format!("/api/sora/poll/{id}"), &json!({}))
            .await;
        assert_error(s, &b, 404, "job_not_found");
    }
    let (s, b) = stack.get("/api/nothing-here").await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = stack.get("/api/generate").await;
    assert_error(s, &b, 405, "method_not_allowed");

    // Nothing above created a job.
    assert_eq!(stack.stats().await.total_jobs, 0);
}

#[tokio::test]
async fn the_original_curl_request_is_accepted() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let (status, body) = raw_post(
        &stack,
        "/api/generate",
        "application/json",
        r#"{
    "walletAddress": "test-wallet",
    "script": "Explain loops",
    "renderVersion": "v3"
  }"#,
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["jobId", "status"]
    );
    let view = stack.status(body["jobId"].as_str().unwrap()).await;
    assert_eq!(
        (view["status"].as_str(), view["progress"].as_i64()),
        (Some("queued"), Some(0))
    );
}

#[tokio::test]
async fn force_poll_makes_a_waiting_job_polled_at_once() {
    // Polls are a minute apart, so only the force poll can explain a prompt second poll.
    let slow_polls = [
        ("POLL_INITIAL_INTERVAL_MS", "60000"),
        ("POLL_MAX_INTERVAL_MS", "60000"),
        ("WORKER_IDLE_MAX_MS", "60000"),
    ];
    let stack = Stack::start(
        SimConfig {
            queued_ms: 0,
            running_ms: 600_000,
            ..SimConfig::default()
        },
        &slow_polls,
    )
    .await;
    let _worker = stack.spawn_worker();
    let job_id = stack.submit("force me", json!({})).await;
    stack
        .receiver
        .wait_until(Duration::from_secs(10), "the queued webhook", |all| {
            all.iter().any(|r| r.status() == "queued")
        })
        .await;
    tokio::task::yield_now().await;

    let asked = Instant::now();
    let (status, view) = stack
        .post_json(&format!("/api/sora/poll/{job_id}"), &json!({}))
        .await;
    assert_eq!(status, 202, "{view}");
    assert_eq!(view["jobId"], job_id.as_str());
    stack
        .receiver
        .wait_until(Duration::from_secs(5), "the processing webhook", |all| {
            all.iter().any(|r| r.status() == "processing")
        })
        .await;
    let took = asked.elapsed();
    println!("force poll to webhook: {took:?}");
    // Typically 15-45 ms; the bound leaves room for a loaded CI machine while staying far below
    // the minute the job would otherwise wait.
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn force_poll_of_a_finished_job_is_a_conflict() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let _worker = stack.spawn_worker();
    let job_id = stack.submit("quick", json!({})).await;
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&job_id), Duration::from_secs(20))
        .await;
    let (status, body) = stack
        .post_json(&format!("/api/sora/poll/{job_id}"), &json!({}))
        .await;
    assert_error(status, &body, 409, "job_terminal");
}

#[tokio::test]
async fn readiness_follows_redis_and_the_api_answers_503_while_it_is_down() {
    let mut stack = Stack::start(Stack::quick_sim(), &[]).await;
    let job_id = stack.submit("kept across a restart", json!({})).await;
    assert_eq!(stack.get("/readyz").await.0, 200);
    assert_eq!(stack.get("/healthz").await.0, 200);

    stack.redis.server().kill();
    let (s, b) = stack.get("/readyz").await;
    assert_error(s, &b, 503, "redis_unavailable");
    let response = stack
        .http
        .post(format!("{}/api/generate", stack.api))
        .json(&json!({"walletAddress": "w", "script": "s"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        stack.get("/healthz").await.0,
        200,
        "alive even without redis"
    );

    stack.redis.server().restart();
    e2e::eventually(
        Duration::from_secs(10),
        "readiness after redis returns",
        || async { (stack.get("/readyz").await.0 == 200).then_some(()) },
    )
    .await;
    assert_eq!(
        stack.status(&job_id).await["status"],
        "queued",
        "the job survived the restart"
    );
}

#[tokio::test]
async fn the_openapi_document_covers_every_endpoint_and_its_errors() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let (status, doc) = stack.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/api/admin/tenants",
            "/api/admin/tenants/{tenant_id}/keys",
            "/api/admin/tenants/{tenant_id}/keys/{key_id}",
            "/api/deliveries/dead",
            "/api/deliveries/failing",
            "/api/deliveries/recover",
            "/api/deliveries/{delivery_id}/redeliver",
            "/api/events",
            "/api/generate",
            "/api/jobs",
            "/api/openapi.json",
            "/api/providers",
            "/api/providers/{provider}/callback",
            "/api/providers/{provider}/callback/{token}",
            "/api/sora/poll/{job_id}",
            "/api/sora/stats",
            "/api/stats/minutes",
            "/api/videos/status/{job_id}",
            "/api/videos/{job_id}/cancel",
            "/api/videos/{job_id}/content",
            "/api/videos/{job_id}/deliveries",
            "/api/videos/{job_id}/events",
            "/api/videos/{job_id}/polls",
            "/api/videos/{job_id}/submission",
            "/healthz",
            "/metrics",
            "/readyz",
        ]
    );
    // Every operation that needs a key documents the 401, with the one error body.
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            if path.starts_with("/api/") && path != "/api/openapi.json" {
                let unauthorized =
                    &operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(
                    unauthorized, "#/components/schemas/ErrorBody",
                    "{method} {path}"
                );
            }
        }
    }
}
