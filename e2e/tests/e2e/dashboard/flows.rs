//! What a person does with the dashboard (`e2e/node/dashboard.mjs`): signs in with a tenant's key,
//! submits a job and watches its bar reach 100%, opens its page and plays its video, redelivers
//! a dead webhook once its receiver is back, reaches every view by keyboard (labels and contrast
//! checked on each), cancels a long job from its row.

use e2e::access::{new_tenant, stack};

use super::browse;

#[tokio::test]
async fn the_api_serves_the_dashboard_files_under_its_budget() {
    let stack = stack().await;
    let mut total = 0;
    for (path, kind) in [
        ("/dashboard", "text/html"),
        ("/dashboard/app.js", "text/javascript"),
        ("/dashboard/api.js", "text/javascript"),
        ("/dashboard/live.js", "text/javascript"),
        ("/dashboard/charts.js", "text/javascript"),
        ("/dashboard/views/overview.js", "text/javascript"),
        ("/dashboard/views/jobs.js", "text/javascript"),
        ("/dashboard/views/job.js", "text/javascript"),
        ("/dashboard/views/deliveries.js", "text/javascript"),
        ("/dashboard/views/providers.js", "text/javascript"),
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
    for missing in [
        "/dashboard/nothing.js",
        "/dashboard/../Cargo.toml",
        "/dashboard/views/",
    ] {
        let response = stack
            .http
            .get(format!("{}{missing}", stack.api))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{missing}");
    }
}

#[tokio::test]
async fn a_tenant_follows_a_job_to_its_video_and_redelivers_a_dead_webhook_in_chromium() {
    let content = tempfile::tempdir().unwrap();
    let stack = crate::custody::stack_keeping_videos(
        content.path(),
        &[
            // The receiver that is down is on this machine, and given up on after two tries.
            ("WEBHOOK_ALLOWED_NETS", "127.0.0.0/8"),
            ("WEBHOOK_MAX_ATTEMPTS", "2"),
            ("WEBHOOK_RETRY_INITIAL_MS", "200"),
        ],
    )
    .await;
    let _worker = stack.spawn_worker();
    let (_, key) = new_tenant(&stack, "dashboard user").await;
    let (code, output) = browse("dashboard.mjs", &[&stack.api, &key]).await;
    assert_eq!(code, Some(0), "{output}");
    for step in [
        "reached 100%",
        "played its video",
        "redelivered from the page",
        "reached by keyboard",
        "cancelled from the page",
    ] {
        assert!(output.contains(step), "{step}: {output}");
    }
    assert!(!output.contains(&key), "the key is not printed");
}
