//! Submission limits over real HTTP: idempotency keys, body sizes, each tenant's rate and its cap
//! on jobs not yet finished.

use e2e::access::{new_tenant, stack, ADMIN};
use serde_json::Value;

#[tokio::test]
async fn an_idempotency_key_returns_the_same_job_and_refuses_a_different_body() {
    let stack = stack().await;
    let (_, alice) = new_tenant(&stack, "grace").await;
    let (_, bob) = new_tenant(&stack, "heidi").await;
    let post = |key: &str, idem: &str, body: &str| {
        stack
            .http
            .post(format!("{}/api/generate", stack.api))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .header("idempotency-key", idem)
            .body(body.to_owned())
            .send()
    };
    let body = r#"{"walletAddress": "w", "script": "once only", "renderVersion": "v3"}"#;
    let first: Value = post(&alice, "order-42", body)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reordered = r#"{"script":"once only","renderVersion":"v3","walletAddress":"w"}"#;
    let again = post(&alice, "order-42", reordered).await.unwrap();
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        again["jobId"], first["jobId"],
        "the same job, not a new one"
    );
    let stats = e2e::access::stats(&stack, &alice).await;
    assert_eq!(stats.total_jobs, 1);

    let different = post(
        &alice,
        "order-42",
        r#"{"walletAddress": "w", "script": "something else"}"#,
    )
    .await
    .unwrap();
    assert_eq!(different.status(), 422);
    let reply: Value = different.json().await.unwrap();
    assert_eq!(reply["error"]["code"], "idempotency_key_reused");

    // Keys are per tenant: bob's "order-42" is his own.
    let bobs: Value = post(&bob, "order-42", body)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(bobs["jobId"], first["jobId"]);
    let bad = post(&alice, "", body).await.unwrap();
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn oversized_bodies_are_a_json_413_on_every_endpoint() {
    let stack = stack().await;
    let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(70 * 1024));
    for path in [
        "/api/generate",
        "/api/admin/tenants",
        "/api/deliveries/recover",
    ] {
        let response = stack
            .http
            .post(format!("{}{path}", stack.api))
            .bearer_auth(ADMIN)
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{path}");
        let reply: Value = response.json().await.unwrap();
        assert_eq!(reply["error"]["code"], "payload_too_large", "{path}");
    }
}

async fn submit_status(stack: &e2e::Stack, key: &str) -> (u16, Option<String>, Value) {
    let response = stack
        .http
        .post(format!("{}/api/generate", stack.api))
        .bearer_auth(key)
        .json(&serde_json::json!({"walletAddress": "w", "script": "limited"}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, response.json().await.unwrap())
}

#[tokio::test]
async fn a_tenant_beyond_its_submission_rate_gets_429_with_retry_after() {
    let stack = e2e::Stack::start(
        e2e::Stack::quick_sim(),
        &[
            ("AUTH", "on"),
            ("ADMIN_API_KEY", ADMIN),
            ("TENANT_RATE_PER_MIN", "6"),
            ("TENANT_RATE_BURST", "2"),
        ],
    )
    .await;
    let (_, ivan) = new_tenant(&stack, "ivan").await;
    let (_, judy) = new_tenant(&stack, "judy").await;
    for _ in 0..2 {
        assert_eq!(submit_status(&stack, &ivan).await.0, 202);
    }
    let (status, retry_after, reply) = submit_status(&stack, &ivan).await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
    let wait: u64 = retry_after.expect("a Retry-After header").parse().unwrap();
    assert!(
        (1..=10).contains(&wait),
        "one token comes back in 10 s at 6 a minute: {wait}"
    );
    assert_eq!(
        submit_status(&stack, &judy).await.0,
        202,
        "judy has a bucket of her own"
    );
    assert_eq!(
        submit_status(&stack, ADMIN).await.0,
        202,
        "the administrator is not limited"
    );
}

#[tokio::test]
async fn a_tenant_at_its_active_jobs_cap_gets_429_until_one_finishes() {
    let stack = e2e::Stack::start(
        e2e::Stack::quick_sim(),
        &[
            ("AUTH", "on"),
            ("ADMIN_API_KEY", ADMIN),
            ("TENANT_MAX_ACTIVE_JOBS", "2"),
        ],
    )
    .await;
    let (_, kim) = new_tenant(&stack, "kim").await;
    for _ in 0..2 {
        assert_eq!(submit_status(&stack, &kim).await.0, 202);
    }
    let (status, retry_after, reply) = submit_status(&stack, &kim).await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (429, Some("too_many_active_jobs"))
    );
    assert!(retry_after.is_some());
    // Once the worker finishes them, there is room again.
    let _worker = stack.spawn_worker();
    e2e::eventually(
        std::time::Duration::from_secs(20),
        "kim's jobs to finish",
        || async {
            let stats = e2e::access::stats(&stack, &kim).await;
            (stats.completed_jobs == 2).then_some(())
        },
    )
    .await;
    assert_eq!(submit_status(&stack, &kim).await.0, 202);
}
