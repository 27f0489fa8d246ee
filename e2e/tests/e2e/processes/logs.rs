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

/// Capability URLs — signed content links, unsigned providers' per-job callback paths — open
/// something to whoever holds them: the access log shows where a request went, never its key.
#[tokio::test]
async fn capability_urls_never_reach_the_access_log() {
    let deployment = deploy(&[]).await;
    let http = reqwest::Client::new();
    let requests = [
        (
            "GET",
            "/api/videos/some-job/content?index=1&expires=99&sig=link-signature-not-logged",
        ),
        (
            "POST",
            "/api/providers/luma/callback/callback-token-not-logged?job=some-job",
        ),
    ];
    for (method, path) in requests {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let status = http
            .request(method, format!("{}{path}", deployment.api))
            .body("{}")
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_client_error(), "{path}: {status}");
    }
    eventually(Duration::from_secs(5), "both access-log lines", || async {
        (deployment
            .api_process
            .count_lines("/api/videos/some-job/content?index=1")
            == 1
            && deployment
                .api_process
                .count_lines("/api/providers/luma/callback/")
                == 1)
            .then_some(())
    })
    .await;
    let output = deployment.api_process.output().join("\n");
    for secret in ["link-signature-not-logged", "callback-token-not-logged"] {
        assert!(
            !output.contains(secret),
            "{secret} appears in the API's log:\n{output}"
        );
    }
}

/// A worker started with a key its provider refuses says so at start-up, naming the provider —
/// never the key.
#[tokio::test]
async fn a_refused_key_is_named_in_the_workers_start_up_log() {
    let deployment = deploy(&[]).await;
    let mut env = deployment.env.clone();
    env.insert("OPENAI_API_KEY".into(), "sk-refused-key-not-logged".into());
    let worker = Process::spawn("relay-worker", &[], &env);
    eventually(Duration::from_secs(10), "the key check's line", || async {
        (worker.count_lines("openai refuses our key") == 1).then_some(())
    })
    .await;
    let output = worker.output().join("\n");
    assert!(!output.contains("sk-refused-key-not-logged"), "{output}");
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

/// `LOG_FORMAT=json`: every line one JSON object; a job's lines name it (`job`), an API request's
/// lines carry its span: the caller's W3C trace id and, for a tenant's key, the tenant.
#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_job_the_tenant_and_the_trace() {
    let admin = "admin-key-json-logs";
    let deployment = deploy(&[
        ("AUTH", "on"),
        ("ADMIN_API_KEY", admin),
        ("LOG_FORMAT", "json"),
    ])
    .await;
    let worker = Process::spawn("relay-worker", &[], &deployment.env);
    let http = reqwest::Client::new();
    let tenant: Value = http
        .post(format!("{}/api/admin/tenants", deployment.api))
        .bearer_auth(admin)
        .json(&json!({"name": "json logs", "webhookSecret": SECRET}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let accepted: Value = http
        .post(format!("{}/api/generate", deployment.api))
        .bearer_auth(tenant["apiKey"].as_str().unwrap())
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&json!({"walletAddress": "w", "script": "logged as json", "renderVersion": "v3"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = accepted["jobId"].as_str().unwrap().to_owned();
    deployment
        .receiver
        .wait_for_final(std::slice::from_ref(&job), Duration::from_secs(20))
        .await;

    let parse = |process: &Process| -> Vec<Value> {
        process
            .output()
            .iter()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
            })
            .collect()
    };
    let api_lines = parse(&deployment.api_process);
    let accepted_line = api_lines
        .iter()
        .find(|line| line["message"] == "📥 job accepted")
        .unwrap_or_else(|| panic!("no acceptance line: {api_lines:?}"));
    assert_eq!(accepted_line["job"], job.as_str(), "{accepted_line}");
    assert_eq!(accepted_line["span"]["trace_id"], trace, "{accepted_line}");
    assert_eq!(
        accepted_line["span"]["tenant"], tenant["tenantId"],
        "{accepted_line}"
    );
    assert_eq!(accepted_line["span"]["route"], "/api/generate");
    let worker_lines = parse(&worker);
    for needle in ["Submitted to provider", "Webhook sent"] {
        assert!(
            worker_lines.iter().any(|line| line["job"] == job.as_str()
                && line["message"].as_str().is_some_and(|m| m.contains(needle))),
            "no {needle} line naming the job: {worker_lines:?}"
        );
    }
}
