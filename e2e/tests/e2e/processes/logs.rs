//! Logs: no secrets, no whole webhook URLs, the access log as RUST_LOG says, no colour codes in a pipe.

use super::*;

#[tokio::test]
async fn keys_never_reach_the_logs() {
    let admin = "admin-key-that-must-not-be-logged";
    let deployment = deploy(&[("AUTH", "on"), ("ADMIN_API_KEY", admin)]).await;
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{}/api/admin/tenants", deployment.api))
        .bearer_auth(admin)
        .json(&json!({"name": "logged?", "webhookSecret": "tenant-secret-not-logged"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tenant_key = created["apiKey"].as_str().unwrap().to_owned();
    let status = http
        .get(format!("{}/api/sora/stats", deployment.api))
        .bearer_auth(&tenant_key)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let refused = http
        .get(format!("{}/api/sora/stats", deployment.api))
        .bearer_auth("srk_0123456789ab_wrong")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(refused, 401);
    let output = deployment.api_process.output().join("\n");
    assert!(
        output.contains("tenant created"),
        "the API logs at info: {output}"
    );
    for secret in [
        admin,
        tenant_key.as_str(),
        "tenant-secret-not-logged",
        "srk_0123456789ab_wrong",
    ] {
        assert!(
            !output.contains(secret),
            "{secret} appears in the API's log:\n{output}"
        );
    }
}

/// The access log is a line per request when its target is at info (the default), and costs
/// nothing when it is filtered out.
#[tokio::test]
async fn the_access_log_follows_rust_log() {
    let deployment = deploy(&[("RUST_LOG", "warn,actix_web::middleware::logger=info")]).await;
    let status = reqwest::get(format!("{}/api/sora/stats", deployment.api))
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    eventually(
        Duration::from_secs(5),
        "the request's access-log line",
        || async {
            (deployment
                .api_process
                .count_lines("\"GET /api/sora/stats HTTP/1.1\" 200")
                == 1)
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        deployment.api_process.count_lines("relay-api listening"),
        0,
        "info lines of other targets are filtered out"
    );
}

/// Logs written to a pipe or a file (a container's log, a log shipper) are plain text: colours are
/// for a person at a terminal.
#[tokio::test]
async fn logs_written_to_a_pipe_carry_no_colour_codes() {
    let deployment = deploy(&[]).await;
    eventually(
        Duration::from_secs(5),
        "the API's start-up line",
        || async { (deployment.api_process.count_lines("relay-api listening") == 1).then_some(()) },
    )
    .await;
    let output = deployment.api_process.output();
    assert!(
        output.iter().all(|line| !line.contains('\u{1b}')),
        "escape codes in the API's log: {output:?}"
    );
}

/// #15.17: webhook URLs carry credentials and path tokens: logs show their scheme and host and a
/// hash of the rest, never the URL itself.
#[tokio::test]
async fn webhook_urls_never_reach_the_logs_whole() {
    let deployment = deploy(&[]).await;
    let mut env = deployment.env.clone();
    let url = deployment
        .receiver
        .url
        .replace("http://", "http://hook-user:password-in-the-url@")
        + "?token=path-token-in-the-url";
    env.insert("WEBHOOK_URL".into(), url);
    let worker = Process::spawn("relay-worker", &[], &env);
    let id = submit(&deployment.api, "a logged delivery").await;
    deployment
        .receiver
        .wait_for_final(&[id], Duration::from_secs(20))
        .await;
    let output = worker.output().join("\n");
    assert!(
        output.contains("Webhook sent"),
        "the worker logs at info: {output}"
    );
    assert!(output.contains("127.0.0.1"), "the host is shown: {output}");
    for secret in ["password-in-the-url", "path-token-in-the-url", "hook-user"] {
        assert!(
            !output.contains(secret),
            "{secret} appears in the worker's log:\n{output}"
        );
    }
}
