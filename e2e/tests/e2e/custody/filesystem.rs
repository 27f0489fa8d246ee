//! Custody in a directory, the stack in this process: the whole judged path — a client with no
//! key plays the video from the webhook's link after the provider deleted it, seeks into it, and
//! its checksum matches; tampered and expired links are refused; the video is deleted on request.

use std::time::Duration;

use e2e::access::{call, ADMIN};
use e2e::Stack;
use relay_shared::content::link::LinkSigner;
use reqwest::Method;
use serde_json::json;

use super::{fetch, sha256_hex, stack_keeping_videos, LINK_KEY};

const PROMPT: &str = "sim:bytes=3000000 a lighthouse at dusk";

#[tokio::test]
async fn a_client_without_a_key_plays_and_seeks_the_kept_video_after_the_provider_deleted_it() {
    let dir = tempfile::tempdir().unwrap();
    let stack = stack_keeping_videos(dir.path(), &[]).await;
    let base = stack.api.clone();
    let _worker = stack.spawn_worker();
    let body = json!({"walletAddress": "w", "script": PROMPT, "renderVersion": "v3"});
    let (status, reply) = call(&stack, Method::POST, "/api/generate", ADMIN, Some(body)).await;
    assert_eq!(status, 202, "{reply}");
    let id = reply["jobId"].as_str().unwrap().to_owned();
    let webhooks = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), Duration::from_secs(30))
        .await;
    let done = webhooks.iter().rfind(|r| r.job_id() == id).unwrap();
    assert!(done.signature_ok, "{}", done.body);
    assert_eq!(done.status(), "completed", "{}", done.body);
    let video_id = done.json["soraJobId"].as_str().unwrap();
    let expected = sora_sim::files::content_of(video_id, PROMPT);
    let sha = sha256_hex(&expected);
    assert_eq!(done.json["contentSha256"], sha.as_str(), "{}", done.body);
    assert_eq!(done.json["contentBytes"], 3_000_000);
    assert_eq!(done.json["contentType"], "video/mp4");
    // Added at the end: the original keys come first, in their order.
    assert!(done.body.ends_with(&format!(
        r#""progressSource":"provider","contentSha256":"{sha}","contentBytes":3000000,"contentType":"video/mp4"}}"#
    )));
    let link = done.json["videoUrl"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("{base}/api/videos/{id}/content?expires=")),
        "{link}"
    );

    // The provider deletes its copy.
    let sim_root = stack.sim_url.trim_end_matches("/v1");
    let purged = reqwest::Client::new()
        .delete(format!("{sim_root}/sim/videos/{video_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(purged.status(), 204);
    let gone = reqwest::Client::new()
        .get(format!("{}/videos/{video_id}/content", stack.sim_url))
        .bearer_auth("sk-sim")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404, "the provider no longer has it");

    // The whole video, with no key: its checksum matches.
    let whole = fetch(&link, &[]).await;
    assert_eq!(whole.status(), 200);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(header(&whole, "content-type").as_deref(), Some("video/mp4"));
    assert_eq!(header(&whole, "content-length").as_deref(), Some("3000000"));
    assert_eq!(header(&whole, "accept-ranges").as_deref(), Some("bytes"));
    let etag = format!("\"{sha}\"");
    assert_eq!(header(&whole, "etag"), Some(etag.clone()));
    assert_eq!(sha256_hex(&whole.bytes().await.unwrap()), sha);

    // Seeking: one range, a suffix, an open end; outside the video: 416.
    for (range, start, end) in [
        ("bytes=1000-1999", 1000usize, 1999usize),
        ("bytes=-100", 2_999_900, 2_999_999),
        ("bytes=2999990-", 2_999_990, 2_999_999),
    ] {
        let part = fetch(&link, &[("range", range)]).await;
        assert_eq!(part.status(), 206, "{range}");
        assert_eq!(
            header(&part, "content-range"),
            Some(format!("bytes {start}-{end}/3000000")),
            "{range}"
        );
        assert_eq!(
            part.bytes().await.unwrap(),
            expected[start..=end],
            "{range}"
        );
    }
    let outside = fetch(&link, &[("range", "bytes=3000000-")]).await;
    assert_eq!(outside.status(), 416);
    assert_eq!(
        header(&outside, "content-range").as_deref(),
        Some("bytes */3000000")
    );
    let not_modified = fetch(&link, &[("if-none-match", &etag)]).await;
    assert_eq!(not_modified.status(), 304);

    // The status view links to it too, with the same checksum.
    let view = admin_view(&stack, &id).await;
    assert_eq!(view["contentSha256"], sha.as_str());
    assert_eq!(view["contentBytes"], 3_000_000);
    let view_link = view["videoUrl"].as_str().unwrap();
    assert_eq!(
        fetch(view_link, &[("range", "bytes=0-3")]).await.status(),
        206
    );

    // Tampered links and expired ones are refused; without a link, a key is needed.
    let (path, query) = link.split_once('?').unwrap();
    let sig = query.split("sig=").nth(1).unwrap();
    let mut flipped = sig.to_owned().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let tampered = [
        link.replace(sig, std::str::from_utf8(&flipped).unwrap()),
        link.replace("expires=", "expires=9"),
        link.replace("content?", "content?index=1&"),
        link.replace(&id, "0f8fad5b-d9cb-469f-a165-70867728950e"),
    ];
    for bad in tampered {
        let refused = fetch(&bad, &[]).await;
        assert_eq!(refused.status(), 403, "{bad}");
        let body: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], "link_invalid", "{bad}: {body}");
    }
    let past = chrono::Utc::now().timestamp() - 1;
    let expired = LinkSigner::new(LINK_KEY).unwrap().link(&base, &id, 0, past);
    let refused = fetch(&expired, &[]).await;
    assert_eq!(refused.status(), 403);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "link_expired", "{body}");
    assert_eq!(fetch(path, &[]).await.status(), 401);

    // Deleted on request: the link answers 410, the file is gone, the view links nowhere.
    let (status, _) = call(
        &stack,
        Method::DELETE,
        &format!("/api/videos/{id}/content"),
        ADMIN,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let deleted = fetch(&link, &[]).await;
    assert_eq!(deleted.status(), 410);
    assert!(!dir.path().join(&id).join("0").exists());
    let view = admin_view(&stack, &id).await;
    assert_eq!(view["videoUrl"], serde_json::Value::Null, "{view}");
    assert_eq!(view["contentSha256"], sha.as_str(), "the record stays");
}

/// The job's status view, read with the administrator's key.
async fn admin_view(stack: &Stack, id: &str) -> serde_json::Value {
    let path = format!("/api/videos/status/{id}");
    let (status, view) = call(stack, Method::GET, &path, ADMIN, None).await;
    assert_eq!(status, 200, "{view}");
    view
}

/// Without custody the API proxies the provider's content with the server's key: the
/// original's `videoUrl` needed the provider key, which clients must not have.
#[tokio::test]
async fn without_custody_the_content_endpoint_proxies_the_provider_with_the_server_key() {
    let stack = Stack::start(
        Stack::quick_sim(),
        &[("AUTH", "on"), ("ADMIN_API_KEY", ADMIN)],
    )
    .await;
    let _worker = stack.spawn_worker();
    let prompt = "sim:bytes=200000 proxied";
    let body = json!({"walletAddress": "w", "script": prompt, "renderVersion": "v3"});
    let (_, reply) = call(&stack, Method::POST, "/api/generate", ADMIN, Some(body)).await;
    let id = reply["jobId"].as_str().unwrap().to_owned();
    let webhooks = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), Duration::from_secs(30))
        .await;
    let done = webhooks.iter().rfind(|r| r.job_id() == id).unwrap();
    assert_eq!(done.status(), "completed");
    assert_eq!(done.json.get("contentSha256"), None, "nothing kept");
    let video_id = done.json["soraJobId"].as_str().unwrap();
    let proxied = reqwest::Client::new()
        .get(format!("{}/api/videos/{id}/content", stack.api))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), 200);
    assert_eq!(
        proxied.bytes().await.unwrap(),
        sora_sim::files::content_of(video_id, prompt)
    );
    // Without a key: 401; a delete has nothing to delete.
    let (status, _) = call(
        &stack,
        Method::GET,
        &format!("/api/videos/{id}/content"),
        "",
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, reply) = call(
        &stack,
        Method::DELETE,
        &format!("/api/videos/{id}/content"),
        ADMIN,
        None,
    )
    .await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (409, Some("content_not_kept"))
    );
}

/// A worker that died after its upload completed but before the job's commit leaves the object
/// at the job's path: the next copy adopts it (hashing it from the store) instead of copying the
/// provider's video a second time.
#[tokio::test]
async fn a_video_already_kept_at_the_jobs_path_is_adopted_not_copied_again() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sora_sim::SimConfig {
        queued_ms: 100,
        running_ms: 3_000,
        ..sora_sim::SimConfig::default()
    };
    let stack = Stack::start(
        sim,
        &[
            ("CONTENT_STORE", dir.path().to_str().unwrap()),
            ("CONTENT_LINK_SECRET", LINK_KEY),
        ],
    )
    .await;
    let _worker = stack.spawn_worker();
    // Sent slowly: a dropped download cannot have been sent whole already.
    let prompt = "sim:bytes=2000000 sim:slow_content adopted";
    let id = stack.submit(prompt, json!({})).await;
    let processing = e2e::eventually(Duration::from_secs(10), "the video at the provider", || {
        let stack = &stack;
        let id = id.clone();
        async move {
            let view = stack.status(&id).await;
            view["soraJobId"].as_str().map(str::to_owned)
        }
    })
    .await;
    // What the dead worker's finished upload left.
    let kept = sora_sim::files::content_of(&processing, prompt);
    std::fs::create_dir_all(dir.path().join(&id)).unwrap();
    let path = dir.path().join(&id).join("0");
    std::fs::write(&path, &kept).unwrap();
    let inode =
        |p: &std::path::Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
    let before = inode(&path);
    let webhooks = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), Duration::from_secs(30))
        .await;
    let done = webhooks.iter().rfind(|r| r.job_id() == id).unwrap();
    assert_eq!(done.status(), "completed", "{}", done.body);
    assert_eq!(done.json["contentSha256"], sha256_hex(&kept).as_str());
    assert_eq!(inode(&path), before, "the object was not written again");
    let stats = stack.sim.counters();
    assert_eq!(
        (stats.downloads_begun, stats.downloads_finished),
        (1, 0),
        "the provider was asked (for the size and type) but nothing was copied"
    );
}
