//! The dashboard in a real browser: Debian's Chromium driven by playwright-core
//! (`e2e/node/dashboard.mjs`) signs in with a tenant's key, submits a job from the page and
//! watches its progress bar reach 100% as the live events arrive, then cancels a long job from
//! its row. The API serves the page's
//! files itself, with a content security policy, in well under the 200 KB budget. Needs
//! `/usr/bin/chromium` and `npm ci` in e2e/node (scripts/test installs both); a failure leaves
//! a screenshot in `target/dashboard-screenshots/`.

use std::collections::HashMap;
use std::path::Path;

use e2e::access::{new_tenant, stack};
use e2e::processes::Process;

#[tokio::test]
async fn the_api_serves_the_dashboard_files_under_its_budget() {
    let stack = stack().await;
    let mut total = 0;
    for (path, kind) in [
        ("/dashboard", "text/html"),
        ("/dashboard/app.js", "text/javascript"),
        ("/dashboard/style.css", "text/css"),
    ] {
        let response = stack
            .http
            .get(format!("{}{path}", stack.api))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers["content-type"].to_str().unwrap().starts_with(kind),
            "{path}: {headers:?}"
        );
        assert!(headers.contains_key("content-security-policy"), "{path}");
        total += response.bytes().await.unwrap().len();
    }
    assert!(total < 200 * 1024, "first load {total} bytes");
    let missing = stack
        .http
        .get(format!("{}/dashboard/nothing.js", stack.api))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn a_tenant_signs_in_submits_and_cancels_jobs_and_watches_the_bar_reach_100_in_chromium() {
    let stack = stack().await;
    let _worker = stack.spawn_worker();
    let (_, key) = new_tenant(&stack, "dashboard user").await;
    let node_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("node");
    assert!(
        node_dir.join("node_modules/playwright-core").exists(),
        "run `npm ci` in {}",
        node_dir.display()
    );
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/dashboard-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let env: HashMap<String, String> = ["PATH", "HOME"]
        .into_iter()
        .map(|k| (k.to_owned(), std::env::var(k).unwrap_or_default()))
        .collect();
    let script = node_dir.join("dashboard.mjs");
    let mut browser = Process::spawn_program(
        "node",
        &[
            script.to_str().unwrap(),
            &stack.api,
            &key,
            shots.to_str().unwrap(),
        ],
        &env,
    );
    let (code, output) = tokio::task::spawn_blocking(move || {
        let code = browser.wait();
        (code, browser.output().join("\n"))
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("reached 100%"), "{output}");
    assert!(output.contains("cancelled from the page"), "{output}");
    assert!(!output.contains(&key), "the key is not printed");
}
