//! The dashboard in a real browser: Debian's Chromium driven by playwright-core (scripts in
//! `e2e/node/`). [`flows`]: what a person does with it, from the keyboard; [`load`]: a thousand
//! running jobs moving at once, frame times measured; [`data`] and [`trouble`]: what its views
//! read, against what happened. The API serves the page's files itself,
//! with a content security policy, in well under the 200 KB budget. Needs `/usr/bin/chromium` and
//! `npm ci` in e2e/node (scripts/test installs both); a failure leaves a screenshot in
//! `target/dashboard-screenshots/`.

mod data;
mod flows;
mod load;
mod trouble;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use e2e::access::call;
use e2e::processes::Process;
use e2e::Stack;
use reqwest::Method;
use serde_json::Value;

/// `name`'s count over the series (the test may straddle a minute).
pub(super) fn counted(minutes: &Value, name: &str) -> i64 {
    minutes["minutes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["counts"][name].as_i64().unwrap_or(0))
        .sum()
}

/// A `GET` with `key` that must answer 200: its body.
pub(super) async fn get(stack: &Stack, key: &str, path: &str) -> Value {
    let (status, reply) = call(stack, Method::GET, path, key, None).await;
    assert_eq!(status, 200, "{path}: {reply}");
    reply
}

/// Runs `e2e/node/<script>` with `args` then the screenshot directory; its exit code and output.
async fn browse(script: &str, args: &[&str]) -> (Option<i32>, String) {
    let node_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("node");
    assert!(
        node_dir.join("node_modules/playwright-core").exists(),
        "run `npm ci` in {}",
        node_dir.display()
    );
    let shots: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/dashboard-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let env: HashMap<String, String> = ["PATH", "HOME"]
        .into_iter()
        .map(|k| (k.to_owned(), std::env::var(k).unwrap_or_default()))
        .collect();
    let script = node_dir.join(script);
    let mut argv: Vec<&str> = vec![script.to_str().unwrap()];
    argv.extend(args);
    argv.push(shots.to_str().unwrap());
    let mut browser = Process::spawn_program("node", &argv, &env);
    tokio::task::spawn_blocking(move || {
        let code = browser.wait();
        (code, browser.output().join("\n"))
    })
    .await
    .unwrap()
}
