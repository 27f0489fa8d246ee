//! Sending webhooks: how many at once, refused URLs, what a tenant may see of the operator's.

use super::*;

/// #15.13: WEBHOOK_CONCURRENCY bounds the sends of a worker process, not the batches.
#[tokio::test]
async fn webhook_concurrency_bounds_the_sends_at_once() {
    let stack = Stack::start(
        SimConfig {
            queued_ms: 0,
            running_ms: 200,
            ..SimConfig::default()
        },
        &[("WEBHOOK_CONCURRENCY", "4")],
    )
    .await;
    stack.receiver.hold_each(Duration::from_millis(150));
    let mut ids = Vec::new();
    for n in 0..30 {
        ids.push(stack.submit(&format!("many webhooks {n}"), json!({})).await);
    }
    let _worker = stack.spawn_worker();
    stack
        .receiver
        .wait_for_final(&ids, Duration::from_secs(60))
        .await;
    let peak = stack.receiver.peak_concurrency();
    assert!(peak <= 4, "{peak} webhooks were being sent at once");
    assert!(peak >= 3, "the four slots were used ({peak})");
}

/// #15.15: a refused webhook URL's message says that it is refused, not where its host points.
#[tokio::test]
async fn a_refused_webhook_url_does_not_tell_where_its_host_resolves() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    for url in ["https://localhost/hook", "https://localhost:8443/hook"] {
        let (status, reply) = stack
            .post_json(
                "/api/generate",
                &json!({"walletAddress": "w", "script": "s", "webhookUrl": url}),
            )
            .await;
        assert_eq!(status, 422, "{reply}");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.contains("localhost"), "{message}");
        for address in ["127.0.0.1", "::1"] {
            assert!(!message.contains(address), "{message}");
        }
    }
}

/// #15.14: a tenant sees its own endpoints' details only: an attempt at the operator's URL shows
/// neither that URL nor its answer.
#[tokio::test]
async fn a_tenant_does_not_see_the_operators_endpoint_or_its_answers() {
    let stack = Stack::start(
        Stack::quick_sim(),
        &[("AUTH", "on"), ("ADMIN_API_KEY", ADMIN)],
    )
    .await;
    // The operator's receiver, with a token in its URL and an answer of its own.
    stack.receiver.fail_next(Failing::times(1, 500));
    let (_, key) = e2e::access::new_tenant(&stack, "no-url-of-its-own").await;
    let id = submit_as(&stack, &key, "goes to the operator's URL").await;
    let _worker = stack.spawn_worker();
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), LIMIT)
        .await;
    let path = format!("/api/videos/{id}/deliveries");
    let (status, as_tenant) = call(&stack, Method::GET, &path, &key, None).await;
    assert_eq!(status, 200, "{as_tenant}");
    let text = as_tenant.to_string();
    let port = stack
        .receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    for leak in [
        port,
        "sora-status",
        "refused by the test receiver",
        "\"ok\":true",
    ] {
        assert!(!text.contains(leak), "the tenant sees {leak:?}: {text}");
    }
    let attempts = as_tenant["deliveries"][0]["attempts"].as_array().unwrap();
    assert!(
        !attempts.is_empty(),
        "the tenant still sees that and when attempts were made"
    );
    // The operator sees everything.
    let (_, as_admin) = call(&stack, Method::GET, &path, ADMIN, None).await;
    assert!(as_admin
        .to_string()
        .contains("refused by the test receiver"));
}
