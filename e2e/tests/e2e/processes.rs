//! The real binaries as separate processes: configuration from the environment, several workers
//! sharing one Redis, and a clean stop on SIGTERM.

use std::collections::HashMap;
use std::time::Duration;

use e2e::processes::Process;
use e2e::stack::{test_env, SECRET};
use e2e::{eventually, free_port, Receiver, RedisServer};
use serde_json::{json, Value};

struct Deployment {
    _redis: e2e::stack::Redis,
    receiver: Receiver,
    env: HashMap<String, String>,
    api: String,
    sim: String,
    _sim_process: Process,
    api_process: Process,
}

async fn deploy(extra_env: &[(&str, &str)]) -> Deployment {
    let redis = RedisServer::start();
    let receiver = Receiver::start(SECRET);
    let sim_port = free_port();
    let sim = format!("http://127.0.0.1:{sim_port}");
    let redis = e2e::stack::Redis::Single(redis);
    let mut env = test_env(&redis, &format!("{sim}/v1"), &receiver.url);
    let api_port = free_port();
    env.insert("PORT".into(), api_port.to_string());
    env.insert("SIM_PORT".into(), sim_port.to_string());
    env.insert("SIM_QUEUED_MS".into(), "200".into());
    env.insert("SIM_RUNNING_MS".into(), "800".into());
    for (k, v) in extra_env {
        env.insert(k.to_string(), v.to_string());
    }
    let sim_process = Process::spawn("sora-sim", &[], &env);
    let api_process = Process::spawn("relay-api", &[], &env);
    let api = format!("http://127.0.0.1:{api_port}");
    let http = reqwest::Client::new();
    eventually(
        Duration::from_secs(10),
        "the API and simulator to answer",
        || async {
            let api_up = http
                .get(format!("{api}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            let sim_up = http.get(format!("{sim}/sim/stats")).send().await.is_ok();
            (api_up && sim_up).then_some(())
        },
    )
    .await;
    Deployment {
        _redis: redis,
        receiver,
        env,
        api,
        sim,
        _sim_process: sim_process,
        api_process,
    }
}

async fn submit(api: &str, script: &str) -> String {
    let reply: Value = reqwest::Client::new()
        .post(format!("{api}/api/generate"))
        .json(&json!({"walletAddress": "test-wallet", "script": script, "renderVersion": "v3"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["jobId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn two_worker_processes_share_the_load_and_submit_each_job_once() {
    // Idle waits longer than the Redis client's default 500 ms reply timeout: blocking waits must
    // not be mistaken for a broken connection.
    let deployment = deploy(&[
        ("WORKER_CONCURRENCY", "4"),
        ("SIM_LATENCY_MS", "30"),
        ("WORKER_IDLE_MAX_MS", "2000"),
    ])
    .await;
    let workers = [
        Process::spawn("relay-worker", &[], &deployment.env),
        Process::spawn("relay-worker", &[], &deployment.env),
    ];
    let mut ids = Vec::new();
    for n in 0..40 {
        ids.push(submit(&deployment.api, &format!("shared job {n}")).await);
    }
    let all = deployment
        .receiver
        .wait_for_final(&ids, Duration::from_secs(60))
        .await;
    assert!(all.iter().all(|r| r.signature_ok), "every webhook verifies");
    let finals = all.iter().filter(|r| r.status() == "completed").count();
    assert_eq!(finals, 40, "exactly one completed webhook per job");

    let sim: Value = reqwest::get(format!("{}/sim/stats", deployment.sim))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sim["creates"], 40);
    assert!(
        sim["createsByPrompt"]
            .as_object()
            .unwrap()
            .values()
            .all(|n| n == 1),
        "{sim}"
    );

    let submitted: Vec<usize> = workers
        .iter()
        .map(|w| w.count_lines("Submitted to provider"))
        .collect();
    let polled: Vec<usize> = workers.iter().map(|w| w.count_lines("Polling")).collect();
    println!("submissions per worker: {submitted:?}; poll rounds per worker: {polled:?}");
    assert_eq!(submitted.iter().sum::<usize>(), 40);
    assert!(
        polled.iter().all(|&n| n > 0),
        "both workers polled: {polled:?}"
    );
    assert!(workers[0].count_lines("polling service started") == 1);
    for worker in &workers {
        assert_eq!(
            worker.count_lines("redis unavailable"),
            0,
            "{:#?}",
            worker.output()
        );
    }
}

#[tokio::test]
async fn a_worker_stops_cleanly_on_sigterm() {
    let deployment = deploy(&[]).await;
    let mut worker = Process::spawn("relay-worker", &[], &deployment.env);
    let id = submit(&deployment.api, "before the stop").await;
    deployment
        .receiver
        .wait_for_final(&[id], Duration::from_secs(20))
        .await;
    assert_eq!(worker.terminate(), Some(0), "{:#?}", worker.output());
    let mut api = deployment.api_process;
    assert_eq!(api.terminate(), Some(0), "{:#?}", api.output());
}

#[test]
fn a_bad_setting_stops_start_up_with_a_message_naming_it() {
    let env: HashMap<String, String> = [("PORT", "not-a-port"), ("PATH", "/usr/bin:/bin")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for binary in ["relay-api", "relay-worker"] {
        let mut process = Process::spawn(binary, &[], &env);
        assert_eq!(process.wait(), Some(1), "{binary}");
        let output = process.output().join("\n");
        assert!(
            output.contains("invalid configuration") && output.contains("port"),
            "{binary}: {output}"
        );
    }
    let env: HashMap<String, String> = [("POLL_INITIAL_INTERVAL_MS", "0")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut process = Process::spawn("relay-worker", &[], &env);
    assert_eq!(process.wait(), Some(1));
    assert!(process
        .output()
        .join("\n")
        .contains("poll_initial_interval_ms"));
}

#[test]
fn the_api_refuses_to_start_open_to_the_network_or_closed_without_an_admin_key() {
    let cases = [
        (vec![("AUTH", "off"), ("HOST", "0.0.0.0")], "HOST=127.0.0.1"),
        (vec![("AUTH", "on")], "ADMIN_API_KEY"),
    ];
    for (vars, reason) in cases {
        let mut env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.insert("PORT".into(), e2e::free_port().to_string());
        let mut api = Process::spawn("relay-api", &[], &env);
        assert_eq!(api.wait(), Some(1), "{vars:?}");
        let output = api.output().join("\n");
        assert!(output.contains(reason), "{vars:?}: {output}");
    }
}

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

/// A worker whose log output goes nowhere (a log shipper that died: stdout and stderr a closed
/// pipe) must still stop on SIGTERM. It used to hang: reporting the failed log write panicked the
/// task that handles the signal.
#[tokio::test]
async fn a_worker_whose_log_pipe_is_closed_still_stops_on_sigterm() {
    let redis = e2e::stack::Redis::Single(RedisServer::start());
    let env = test_env(&redis, "http://127.0.0.1:9/v1", "");
    let mut worker = std::process::Command::new(e2e::processes::binary("relay-worker"))
        .envs(&env)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("relay-worker starts");
    drop(worker.stdout.take());
    drop(worker.stderr.take());
    // Idle and running: blocked on its wake list.
    let e2e::stack::Redis::Single(server) = &redis else {
        unreachable!()
    };
    let port = server.port.to_string();
    eventually(
        Duration::from_secs(10),
        "the worker to wait for work",
        || {
            let clients = std::process::Command::new("redis-cli")
                .args(["-p", &port, "CLIENT", "LIST"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            async move { clients.contains("cmd=blpop").then_some(()) }
        },
    )
    .await;
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status();
    let exited = eventually(Duration::from_secs(10), "the worker to exit", || {
        let status = worker.try_wait().ok().flatten();
        async move { status }
    })
    .await;
    assert_eq!(exited.code(), Some(0));
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
