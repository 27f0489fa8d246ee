//! The relay behind a real OpenAI-compatible gateway: a LiteLLM proxy (PyPI, pinned, in
//! `.run/litellm-venv`, which scripts/test installs) routing `/v1/videos` to the project's own
//! simulator. What LiteLLM does differently from the OpenAI contract, and this test meets for real:
//! its list answers 400 "LLM Provider NOT provided", HEAD on content answers 405, its video ids
//! encode the route (and change between create and retrieve), and a failed video may be reported
//! `completed` with content that answers 500 (issue #15.8).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use e2e::processes::Process;
use e2e::{eventually, free_port, Stack};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(60);
const GATEWAY_KEY: &str = "sk-gateway";

/// A LiteLLM proxy on a free port, routing model `sora-2` to `upstream` (an OpenAI `/v1` base).
struct Gateway {
    url: String,
    _process: Process,
    _config: tempfile::TempDir,
}

impl Gateway {
    async fn start(upstream: &str) -> Self {
        let litellm =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../.run/litellm-venv/bin/litellm");
        assert!(
            litellm.exists(),
            "{} is missing: scripts/test installs the LiteLLM proxy (pinned) into .run/litellm-venv",
            litellm.display()
        );
        let config = tempfile::tempdir().unwrap();
        let file = config.path().join("config.yaml");
        std::fs::write(
            &file,
            format!(
                "model_list:\n  - model_name: sora-2\n    litellm_params:\n      model: openai/sora-2\n      api_base: {upstream}\n      api_key: sk-sim\ngeneral_settings:\n  master_key: {GATEWAY_KEY}\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let env: HashMap<String, String> = [
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("HOME", config.path().to_string_lossy().into_owned()),
            // No network here: the bundled model cost map, not a download.
            ("LITELLM_LOCAL_MODEL_COST_MAP", "True".to_owned()),
            ("LITELLM_TELEMETRY", "False".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let process = Process::spawn_program(
            &litellm,
            &[
                "--config",
                &file.to_string_lossy(),
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ],
            &env,
        );
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        eventually(
            Duration::from_secs(120),
            "the LiteLLM proxy to answer",
            || async {
                let up = http
                    .get(format!("{url}/health/liveliness"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                up.then_some(())
            },
        )
        .await;
        Self {
            url: format!("{url}/v1"),
            _process: process,
            _config: config,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_relay_works_behind_a_real_litellm_proxy() {
    let stack = Stack::start(
        Stack::quick_sim(),
        &[
            ("PROVIDER_FAILURE_MAX_SECS", "3"),
            ("SUBMISSION_UNKNOWN_MAX_SECS", "3"),
            ("SUBMISSION_UNKNOWN_POLICY", "resubmit"),
        ],
    )
    .await;
    // The stack's simulator is the gateway's upstream; the worker talks to the gateway only.
    let gateway = Gateway::start(&stack.sim_url).await;
    let mut settings = stack.settings.clone();
    settings.openai.base_url = gateway.url.clone();
    settings.openai.api_key = GATEWAY_KEY.to_owned().into();

    // A worker killed mid-create (its intent recorded, no answer stored), before any worker runs.
    let lost = stack.submit("lost in the gateway", json!({})).await;
    let keys = stack.keys();
    let p = keys.partition_of(&lost).unwrap();
    let mut conn = redis::Client::open(stack.redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let (secs, micros): (i64, i64) = redis::cmd("TIME").query_async(&mut conn).await.unwrap();
    let _: () = redis::cmd("HSET")
        .arg(keys.job(p, &lost))
        .arg("submit_at")
        .arg(secs * 1000 + micros / 1000)
        .query_async(&mut conn)
        .await
        .unwrap();
    // The original body, through the gateway to completion, progress webhooks included.
    let plain = stack.submit("a cat through the gateway", json!({})).await;
    // A video the gateway reports completed although its content answers 500.
    let broken = stack
        .submit("sim:content_500 reported completed, but failed", json!({}))
        .await;
    let _worker = stack.spawn_worker_with(settings);

    // The gateway cannot list: the lost submission's outcome is unknown, and shown as such...
    eventually(LIMIT, "the lost submission to show as unknown", || async {
        (stack.status(&lost).await["submission"] == "unknown").then_some(())
    })
    .await;
    let received = stack
        .receiver
        .wait_for_final(&[plain.clone(), broken.clone(), lost.clone()], LIMIT)
        .await;
    assert!(received.iter().all(|r| r.signature_ok));
    let view = stack.status(&plain).await;
    assert_eq!(view["status"], "completed", "{view}");
    assert!(
        view["videoUrl"].as_str().unwrap().starts_with(&gateway.url),
        "{view}"
    );
    let broken_statuses: Vec<&str> = received
        .iter()
        .filter(|r| r.job_id() == broken)
        .map(|r| r.status())
        .collect();
    assert!(
        !broken_statuses.contains(&"completed"),
        "{broken_statuses:?}"
    );
    assert_eq!(stack.status(&broken).await["status"], "failed");
    // ... then resubmitted by policy, and done: the video was made once.
    assert_eq!(stack.status(&lost).await["status"], "completed");
    let creates = stack.sim.counters().creates_by_prompt;
    assert_eq!(creates.get("lost in the gateway"), Some(&1), "{creates:?}");
}
