//! Submission limits over real HTTP: idempotency keys and body sizes.

use e2e::access::{call, new_tenant, stack, ADMIN};
use reqwest::Method;
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
    let stats = call(&stack, Method::GET, "/api/sora/stats", &alice, None)
        .await
        .1;
    assert_eq!(stats["total_jobs"], 1);

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
