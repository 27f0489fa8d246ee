//! Custody in a real S3-compatible server (moto), with the real binaries as processes: a
//! multipart copy, presigned links, Range reads through the API, retention, and a worker killed
//! mid-copy — the copy completes once and the job completes once.

use std::time::Duration;

use e2e::eventually;
use e2e::processes::Process;
use e2e::s3::S3Server;
use serde_json::Value;

use super::{fetch, sha256_hex, LINK_KEY};
use crate::processes::{deploy, submit};

async fn sim_stats(sim: &str) -> Value {
    reqwest::get(format!("{sim}/sim/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_video_kept_in_s3_is_served_by_presigned_link_and_range_then_deleted_by_retention() {
    let s3 = S3Server::start("videos").await;
    let mut env: Vec<(String, String)> = s3.env("relay");
    env.push(("CONTENT_LINK".into(), "presigned".into()));
    // 0.00004 days: about 3.5 s.
    env.push(("CONTENT_RETENTION_DAYS".into(), "0.00004".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let deployment = deploy(&env).await;
    let _worker = Process::spawn("relay-worker", &[], &deployment.env);
    // 20 MB: three parts of a multipart upload.
    let prompt = "sim:bytes=20000000 a glacier calving";
    let id = submit(&deployment.api, prompt).await;
    let webhooks = deployment
        .receiver
        .wait_for_final(std::slice::from_ref(&id), Duration::from_secs(60))
        .await;
    let done = webhooks.iter().rfind(|r| r.job_id() == id).unwrap();
    assert_eq!(done.status(), "completed", "{}", done.body);
    let video_id = done.json["soraJobId"].as_str().unwrap();
    let expected = sora_sim::files::content_of(video_id, prompt);
    let sha = sha256_hex(&expected);
    assert_eq!(done.json["contentSha256"], sha.as_str());
    assert_eq!(done.json["contentBytes"], 20_000_000);
    assert_eq!(s3.keys().await, [format!("relay/{id}/0")]);

    // The presigned URL is the store's own, and needs no key.
    let presigned = done.json["videoUrl"].as_str().unwrap();
    assert!(presigned.starts_with(&s3.endpoint), "{presigned}");
    assert!(presigned.contains("X-Amz-Signature="), "{presigned}");
    let whole = fetch(presigned, &[]).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(sha256_hex(&whole.bytes().await.unwrap()), sha);

    // Through the API (open on loopback in this deployment), a range read from S3.
    let content = format!("{}/api/videos/{id}/content", deployment.api);
    let part = fetch(&content, &[("range", "bytes=10000000-10000099")]).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.bytes().await.unwrap(),
        expected[10_000_000..10_000_100]
    );

    // Retention deletes it from the bucket; the API says it is gone.
    eventually(
        Duration::from_secs(30),
        "retention to delete the video",
        || async { s3.keys().await.is_empty().then_some(()) },
    )
    .await;
    eventually(Duration::from_secs(10), "the job to record it", || async {
        (fetch(&content, &[]).await.status() == 410).then_some(())
    })
    .await;
    let view: Value = reqwest::get(format!("{}/api/videos/status/{id}", deployment.api))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["videoUrl"], Value::Null, "{view}");
}

#[tokio::test]
async fn a_worker_killed_mid_copy_leaves_one_copy_and_one_completion() {
    let s3 = S3Server::start("videos").await;
    let mut env: Vec<(String, String)> = s3.env("kept");
    env.push(("CONTENT_LINK_SECRET".into(), LINK_KEY.into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let deployment = deploy(&env).await;
    // About 6 s to download at the simulator's slow rate.
    let prompt = "sim:bytes=6000000 sim:slow_content a long aurora";
    let first = Process::spawn("relay-worker", &[], &deployment.env);
    let id = submit(&deployment.api, prompt).await;
    eventually(Duration::from_secs(30), "the copy to begin", || async {
        (sim_stats(&deployment.sim).await["downloadsBegun"] == 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    drop(first); // SIGKILL, half-way through the copy
    assert_eq!(sim_stats(&deployment.sim).await["downloadsFinished"], 0);
    assert!(s3.keys().await.is_empty(), "no half video is visible");

    let second = Process::spawn("relay-worker", &[], &deployment.env);
    let webhooks = deployment
        .receiver
        .wait_for_final(std::slice::from_ref(&id), Duration::from_secs(60))
        .await;
    let completed: Vec<_> = webhooks
        .iter()
        .filter(|r| r.job_id() == id && r.status() == "completed")
        .collect();
    assert_eq!(completed.len(), 1, "one completion");
    let video_id = completed[0].json["soraJobId"].as_str().unwrap();
    let sha = sha256_hex(&sora_sim::files::content_of(video_id, prompt));
    assert_eq!(completed[0].json["contentSha256"], sha.as_str());
    let stats = sim_stats(&deployment.sim).await;
    assert_eq!(stats["creates"], 1, "{stats}");
    assert_eq!(
        stats["downloadsFinished"], 1,
        "the copy completed once: {stats}"
    );
    assert_eq!(s3.keys().await, [format!("kept/{id}/0")]);
    let link = completed[0].json["videoUrl"].as_str().unwrap();
    let whole = fetch(link, &[]).await;
    assert_eq!(sha256_hex(&whole.bytes().await.unwrap()), sha);
    assert_eq!(
        second.count_lines("Kept 1 output(s)"),
        1,
        "{:#?}",
        second.output()
    );
}
