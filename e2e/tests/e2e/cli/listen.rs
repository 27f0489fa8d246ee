//! `relayctl listen` receives the relay's webhooks, verifies both schemes, forwards them to a
//! handler of yours and saves them; `relayctl verify` checks a saved one again.

use std::time::Duration;

use e2e::processes::{binary, Process};
use e2e::stack::SECRET;
use e2e::{eventually, free_port, Receiver};
use std::collections::HashMap;

use super::relayctl;
use crate::processes::{deploy, submit};

#[tokio::test]
async fn listen_verifies_forwards_and_saves_each_webhook_and_verify_checks_a_saved_one() {
    let saved = tempfile::tempdir().unwrap();
    let handler = Receiver::start(SECRET);
    let port = free_port();
    let env: HashMap<String, String> = [
        ("WEBHOOK_SECRET".to_owned(), SECRET.to_owned()),
        ("PATH".to_owned(), "/usr/bin:/bin".to_owned()),
    ]
    .into();
    let port_arg = port.to_string();
    let listener = Process::spawn_program(
        binary("relayctl"),
        &[
            "listen",
            "--port",
            &port_arg,
            "--forward",
            &handler.url,
            "--save",
            saved.path().to_str().unwrap(),
            "--json",
        ],
        &env,
    );
    let listen_url = format!("http://127.0.0.1:{port}/hook");
    eventually(
        Duration::from_secs(10),
        "relayctl listen to answer",
        || async {
            reqwest::Client::new()
                .get(&listen_url)
                .send()
                .await
                .ok()
                .map(drop)
        },
    )
    .await;

    let deployment = deploy(&[("WEBHOOK_URL", &listen_url)]).await;
    let _worker = Process::spawn("relay-worker", &[], &deployment.env);
    let job = submit(&deployment.api, "heard locally").await;
    // Forwarded: the handler behind relayctl gets every webhook, signatures intact.
    let forwarded = handler
        .wait_for_final(std::slice::from_ref(&job), Duration::from_secs(30))
        .await;
    assert!(forwarded.iter().all(|r| r.signature_ok && r.standard_ok));

    let lines: Vec<serde_json::Value> =
        eventually(Duration::from_secs(5), "listen's lines", || async {
            let lines: Vec<serde_json::Value> = listener
                .output()
                .iter()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect();
            (lines.len() >= forwarded.len()).then_some(lines)
        })
        .await;
    for line in &lines {
        assert_eq!(line["xSignature"], true, "{line}");
        assert_eq!(line["webhookSignature"], true, "{line}");
        assert_eq!(line["forwarded"]["Ok"], 200, "{line}");
        assert_eq!(line["event"]["jobId"], job.as_str());
    }

    // Each webhook saved; verify checks it again, and refuses a wrong secret or a changed body.
    let files: Vec<_> = std::fs::read_dir(saved.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), lines.len());
    let file = files[0].to_str().unwrap().to_owned();
    let good = relayctl(
        "http://unused",
        None,
        &["verify", &file, "--secret", SECRET],
        &[],
    )
    .await;
    assert_eq!(good.code, Some(0), "{}{}", good.stdout, good.stderr);
    assert!(
        good.stdout.contains("x-signature") && good.stdout.contains("✔ valid"),
        "{}",
        good.stdout
    );
    let wrong = relayctl(
        "http://unused",
        None,
        &["verify", &file, "--secret", "not-it"],
        &[],
    )
    .await;
    assert_eq!(wrong.code, Some(1), "{}", wrong.stdout);
    let tampered = saved.path().join("tampered.http");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"progress\":", "\"progress\":1");
    std::fs::write(&tampered, text).unwrap();
    let changed = relayctl(
        "http://unused",
        None,
        &["verify", tampered.to_str().unwrap(), "--json"],
        &[("WEBHOOK_SECRET", SECRET)],
    )
    .await;
    assert_eq!(changed.code, Some(1));
    assert_eq!(changed.json_lines()[0]["valid"], false);
}
