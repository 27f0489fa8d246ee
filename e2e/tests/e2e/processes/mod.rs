//! The real binaries as separate processes: configuration from the environment, several workers
//! sharing one Redis, and a clean stop on SIGTERM.
//!
//! The tests live in modules by theme; this one holds the deployment they start.

mod logs;
mod startup;
mod workers;

use std::collections::HashMap;
use std::time::Duration;

use e2e::processes::Process;
use e2e::stack::{test_env, SECRET};
use e2e::{eventually, free_port, Receiver, RedisServer};
use serde_json::{json, Value};

pub(crate) struct Deployment {
    _redis: e2e::stack::Redis,
    pub receiver: Receiver,
    pub env: HashMap<String, String>,
    pub api: String,
    pub sim: String,
    _sim_process: Process,
    pub api_process: Process,
}

pub(crate) async fn deploy(extra_env: &[(&str, &str)]) -> Deployment {
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

pub(crate) async fn submit(api: &str, script: &str) -> String {
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
