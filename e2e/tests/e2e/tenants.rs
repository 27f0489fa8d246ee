//! Tenants and keys over real HTTP: each tenant sees, polls and counts only its own jobs, the
//! administrator sees everything, and rotated or revoked keys stop working at once.

use e2e::access::{call, new_tenant, stack, submit, ADMIN};
use e2e::Stack;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_tenant_sees_polls_and_counts_only_its_own_jobs() {
    let stack = stack().await;
    let (_, alice) = new_tenant(&stack, "alice").await;
    let (_, bob) = new_tenant(&stack, "bob").await;
    let job = submit(&stack, &alice).await;
    let status = format!("/api/videos/status/{job}");

    assert_eq!(
        call(&stack, Method::GET, &status, &alice, None).await.0,
        200
    );
    assert_eq!(call(&stack, Method::GET, &status, ADMIN, None).await.0, 200);
    let (code, reply) = call(&stack, Method::GET, &status, &bob, None).await;
    assert_eq!(
        (code, reply["error"]["code"].as_str()),
        (404, Some("job_not_found")),
        "another tenant's job does not exist for bob"
    );
    for path in [
        format!("/api/sora/poll/{job}"),
        format!("/api/deliveries/{job}:1/redeliver"),
    ] {
        assert_eq!(
            call(&stack, Method::POST, &path, &bob, None).await.0,
            404,
            "{path}"
        );
    }
    let deliveries = format!("/api/videos/{job}/deliveries");
    assert_eq!(
        call(&stack, Method::GET, &deliveries, &bob, None).await.0,
        404
    );
    assert_eq!(
        call(
            &stack,
            Method::POST,
            &format!("/api/sora/poll/{job}"),
            &alice,
            None
        )
        .await
        .0,
        202
    );

    let stats = |key: &'static str| {
        let stack = &stack;
        async move {
            call(stack, Method::GET, "/api/sora/stats", key, None)
                .await
                .1
        }
    };
    let (alice_stats, bob_stats) = (
        e2e::access::stats(&stack, &alice).await,
        e2e::access::stats(&stack, &bob).await,
    );
    assert_eq!(
        (Some(alice_stats.total_jobs), Some(bob_stats.total_jobs)),
        (Some(1), Some(0))
    );
    submit(&stack, ADMIN).await;
    assert_eq!(
        stats(ADMIN).await["total_jobs"],
        2,
        "the administrator counts every job"
    );

    // The counters follow the job through the worker, per tenant too.
    let _worker = stack.spawn_worker();
    e2e::eventually(
        std::time::Duration::from_secs(20),
        "alice's job to complete",
        || async {
            let view = call(&stack, Method::GET, &status, &alice, None).await.1;
            (view["status"] == "completed").then_some(())
        },
    )
    .await;
    let alice_stats = e2e::access::stats(&stack, &alice).await;
    assert_eq!(
        (
            Some(alice_stats.completed_jobs),
            Some(alice_stats.queued_jobs)
        ),
        (Some(1), Some(0)),
        "{alice_stats:?}"
    );
}

#[tokio::test]
async fn requests_without_a_valid_key_are_refused_and_administration_needs_the_admin_key() {
    let stack = stack().await;
    let (tenant, key) = new_tenant(&stack, "carol").await;
    for bad in [
        "",
        "not-a-key",
        "srk_000000000000_0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        let (status, reply) = call(&stack, Method::GET, "/api/sora/stats", bad, None).await;
        assert_eq!(
            (status, reply["error"]["code"].as_str()),
            (401, Some("unauthorized")),
            "{bad:?}"
        );
    }
    let response = stack
        .http
        .get(format!("{}/api/sora/stats", stack.api))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let (status, reply) = call(
        &stack,
        Method::POST,
        "/api/admin/tenants",
        &key,
        Some(json!({"name": "mallory"})),
    )
    .await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (status, _) = call(
        &stack,
        Method::POST,
        &format!("/api/admin/tenants/{tenant}/keys"),
        &key,
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, reply) = call(
        &stack,
        Method::POST,
        "/api/admin/tenants",
        ADMIN,
        Some(json!({"name": ""})),
    )
    .await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (422, Some("invalid_field"))
    );
}

#[tokio::test]
async fn rotated_and_revoked_keys_stop_working_at_once() {
    let stack = stack().await;
    let (tenant, first) = new_tenant(&stack, "dave").await;
    let keys = format!("/api/admin/tenants/{tenant}/keys");

    let (status, rotated) = call(&stack, Method::POST, &keys, ADMIN, None).await;
    assert_eq!(status, 201, "{rotated}");
    let second = rotated["apiKey"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&stack, Method::GET, "/api/sora/stats", &first, None)
            .await
            .0,
        401
    );
    assert_eq!(
        call(&stack, Method::GET, "/api/sora/stats", &second, None)
            .await
            .0,
        200
    );

    // An extra key alongside, then the older one revoked by id.
    let (_, extra) = call(
        &stack,
        Method::POST,
        &keys,
        ADMIN,
        Some(json!({"revokeOthers": false})),
    )
    .await;
    let third = extra["apiKey"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&stack, Method::GET, "/api/sora/stats", &second, None)
            .await
            .0,
        200
    );
    let revoke = format!("{keys}/{}", rotated["keyId"].as_str().unwrap());
    assert_eq!(
        call(&stack, Method::DELETE, &revoke, ADMIN, None).await.0,
        204
    );
    assert_eq!(
        call(&stack, Method::DELETE, &revoke, ADMIN, None).await.0,
        404
    );
    assert_eq!(
        call(&stack, Method::GET, "/api/sora/stats", &second, None)
            .await
            .0,
        401
    );
    assert_eq!(
        call(&stack, Method::GET, "/api/sora/stats", &third, None)
            .await
            .0,
        200
    );
    let (status, _) = call(
        &stack,
        Method::POST,
        "/api/admin/tenants/ten_nobody/keys",
        ADMIN,
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_tenants_webhooks_go_to_its_url_signed_with_its_secret() {
    let stack = Stack::start(
        Stack::quick_sim(),
        &[
            ("AUTH", "on"),
            ("ADMIN_API_KEY", ADMIN),
            ("WEBHOOK_ALLOWED_NETS", "127.0.0.0/8"),
        ],
    )
    .await;
    let own = e2e::receiver::Receiver::start("tenant-own-secret");
    let (status, reply) = call(
        &stack,
        Method::POST,
        "/api/admin/tenants",
        ADMIN,
        Some(json!({"name": "erin", "webhookUrl": own.url, "webhookSecret": "tenant-own-secret"})),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    let job = submit(&stack, reply["apiKey"].as_str().unwrap()).await;
    let _worker = stack.spawn_worker();
    let received = own
        .wait_for_final(
            std::slice::from_ref(&job),
            std::time::Duration::from_secs(20),
        )
        .await;
    assert!(!received.is_empty());
    assert!(
        received.iter().all(|r| r.signature_ok && r.job_id() == job),
        "every event verifies with the tenant's secret: {received:#?}"
    );
    assert!(
        stack.receiver.for_job(&job).is_empty(),
        "nothing went to the global URL"
    );

    let (status, reply) = call(
        &stack,
        Method::POST,
        "/api/admin/tenants",
        ADMIN,
        Some(json!({"name": "frank", "webhookSecret": "whsec_%%%not-base64"})),
    )
    .await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (422, Some("invalid_field")),
        "{reply}"
    );
}
