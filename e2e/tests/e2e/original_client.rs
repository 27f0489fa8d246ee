//! The original design document's client code, run verbatim in Node.js (`e2e/node/receiver.mjs`:
//! express.json() + verifySignature with JSON.stringify and hex HMAC-SHA256), receives the
//! webhooks of jobs submitted with the document's curl body. Every webhook must pass its check.
//! Needs `node` and `npm ci` in e2e/node (scripts/test does both).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use e2e::processes::Process;
use e2e::stack::SECRET;
use e2e::{eventually, free_port, Stack};
use serde_json::{json, Value};

#[tokio::test]
async fn the_original_client_code_verifies_every_webhook() {
    let node_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("node");
    assert!(
        node_dir.join("node_modules/express").exists(),
        "run `npm ci` in {}",
        node_dir.display()
    );
    let port = free_port();
    let env: HashMap<String, String> = [
        ("PORT", port.to_string()),
        ("WEBHOOK_SECRET", SECRET.to_owned()),
        ("PATH", std::env::var("PATH").unwrap_or_default()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let receiver_script = node_dir.join("receiver.mjs");
    let node = Process::spawn_program("node", &[receiver_script.to_str().unwrap()], &env);
    let results_url = format!("http://127.0.0.1:{port}/results");
    eventually(
        Duration::from_secs(10),
        "the node receiver to listen",
        || async { reqwest::get(&results_url).await.ok().map(|_| ()) },
    )
    .await;

    let webhook_url = format!("http://127.0.0.1:{port}/webhooks/sora-status");
    let stack = Stack::start(Stack::quick_sim(), &[("WEBHOOK_URL", webhook_url.as_str())]).await;
    let _worker = stack.spawn_worker();
    let completed = stack.submit("Explain loops", json!({})).await;
    let failed = stack
        .submit("Explain loops, then sim:fail", json!({}))
        .await;

    let results: Value = eventually(
        Duration::from_secs(30),
        "both jobs' final webhooks at the node receiver",
        || async {
            let results: Value = reqwest::get(&results_url).await.ok()?.json().await.ok()?;
            let finals = results["accepted"]
                .as_array()?
                .iter()
                .filter(|a| matches!(a["body"]["status"].as_str(), Some("completed" | "failed")))
                .count();
            (finals == 2).then_some(results)
        },
    )
    .await;

    assert_eq!(
        results["rejected"],
        0,
        "every signature verified: {results:#}\n{:#?}",
        node.output()
    );
    let accepted = results["accepted"].as_array().unwrap();
    let of = |job: &str| {
        accepted
            .iter()
            .filter(|a| a["body"]["jobId"] == job)
            .collect::<Vec<_>>()
    };
    let done = of(&completed);
    let ui: Vec<&str> = done
        .iter()
        .flat_map(|a| a["ui"].as_array().unwrap())
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(ui.first(), Some(&"Video queued for processing"));
    assert!(ui.iter().any(|m| m.starts_with("Processing: ")), "{ui:?}");
    let video_url = done.last().unwrap()["body"]["videoUrl"].as_str().unwrap();
    assert_eq!(
        ui.last().copied(),
        Some(format!("Done! Video: {video_url}").as_str())
    );
    assert_eq!(done.last().unwrap()["downloads"], json!([video_url]));
    let failure = of(&failed);
    let last_ui = failure.last().unwrap()["ui"][0].as_str().unwrap();
    assert_eq!(
        last_ui,
        "Failed: The video could not be generated (simulated failure)."
    );
}
