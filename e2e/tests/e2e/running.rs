//! `GET /api/jobs`: the running jobs, newest first, each tenant's own; filters by status and
//! provider; a final job leaves the list; bad filters are a 422.

use std::time::Duration;

use e2e::access::{call, new_tenant, stack, submit, ADMIN};
use e2e::Stack;
use reqwest::Method;
use serde_json::{json, Value};

fn ids(reply: &Value) -> Vec<String> {
    reply["jobs"]
        .as_array()
        .unwrap_or_else(|| panic!("no jobs: {reply}"))
        .iter()
        .map(|j| j["jobId"].as_str().unwrap().to_owned())
        .collect()
}

async fn list(stack: &Stack, key: &str, query: &str) -> (u16, Value) {
    call(stack, Method::GET, &format!("/api/jobs{query}"), key, None).await
}

#[tokio::test]
async fn each_tenant_lists_only_its_own_running_jobs_newest_first() {
    let stack = stack().await;
    let (_, alice) = new_tenant(&stack, "alice").await;
    let (_, bob) = new_tenant(&stack, "bob").await;
    let first = submit(&stack, &alice).await;
    let second = submit(&stack, &alice).await;
    let bobs = submit(&stack, &bob).await;
    let (alice, bob) = (alice.as_str(), bob.as_str());
    let list = |key, query| list(&stack, key, query);
    let (status, reply) = list(alice, "").await;
    assert_eq!(status, 200, "{reply}");
    let mut mine = ids(&reply);
    let created: Vec<&str> = reply["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["createdAt"].as_str().unwrap())
        .collect();
    assert!(
        created.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {created:?}"
    );
    mine.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(mine, expected);
    assert_eq!(reply["truncated"], false);
    assert_eq!(reply["jobs"][0]["status"], "queued");
    assert_eq!(ids(&list(bob, "").await.1), [bobs]);
    let (_, everyone) = list(ADMIN, "").await;
    assert_eq!(ids(&everyone).len(), 3);
    let (_, page) = list(ADMIN, "?limit=2").await;
    assert_eq!((ids(&page).len(), &page["truncated"]), (2, &json!(true)));
    assert!(ids(&list(alice, "?status=processing").await.1).is_empty());
    for bad in [
        "?status=completed",
        "?status=nonsense",
        "?limit=0",
        "?limit=1001",
    ] {
        let (status, reply) = list(ADMIN, bad).await;
        assert_eq!(status, 422, "{bad}: {reply}");
    }
    assert_eq!(list("", "").await.0, 401);
}

#[tokio::test]
async fn the_list_follows_jobs_as_they_run_and_end_and_filters_by_provider() {
    let stack = Stack::start_all_providers(Stack::quick_sim(), &[]).await;
    let _worker = stack.spawn_worker();
    let long = |provider: &str| json!({"provider": provider});
    let at_fal = stack
        .submit("sim:running_ms=60000 a long fox at fal", long("fal"))
        .await;
    let at_replicate = stack
        .submit(
            "sim:running_ms=60000 a long fox at replicate",
            long("replicate"),
        )
        .await;
    let quick = stack.submit("a quick fox", json!({})).await;
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&quick), Duration::from_secs(20))
        .await;
    let running = e2e::eventually(Duration::from_secs(10), "both processing", || async {
        let (_, reply) = stack.get("/api/jobs?status=processing").await;
        let found = ids(&reply);
        (found.len() == 2).then_some(found)
    })
    .await;
    assert!(running.contains(&at_fal) && running.contains(&at_replicate));
    assert!(!running.contains(&quick), "a final job is not running");
    let (_, fal) = stack.get("/api/jobs?provider=fal").await;
    assert_eq!(ids(&fal), std::slice::from_ref(&at_fal));
    assert_eq!(fal["jobs"][0]["provider"], "fal");
    assert!(fal["jobs"][0]["progress"].is_u64());
}
