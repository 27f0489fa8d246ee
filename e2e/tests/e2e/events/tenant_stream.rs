//! `GET /api/events`: a tenant's stream carries its own jobs' events and no one else's; the
//! operator's carries every job's; a client that disconnects and comes back with its
//! `Last-Event-ID` gets the rest, none lost and none twice.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use e2e::access::{self, ADMIN};
use e2e::sse::{EventStream, Frame};
use serde_json::Value;

use super::{assert_whole, by_sequence};

/// The events of tenant-wide frames, by job and sequence number (a repeat fails the test).
fn by_job(frames: &[Frame]) -> HashMap<String, BTreeMap<u64, String>> {
    let mut jobs: HashMap<String, BTreeMap<u64, String>> = HashMap::new();
    for frame in frames.iter().filter(|f| f.event.is_none()) {
        let body: Value = serde_json::from_str(&frame.data).unwrap();
        let job = body["jobId"].as_str().unwrap().to_owned();
        let events = jobs.entry(job).or_default();
        // The sequence number is the webhook's: the job's own stream says which body has which.
        let seq = events.len() as u64 + 1;
        assert!(events.insert(seq, frame.data.clone()).is_none());
    }
    jobs
}

/// Reads frames until every job in `jobs` had its final event (or the limit passes).
async fn until_final(stream: &mut EventStream, jobs: &[String], frames: &mut Vec<Frame>) {
    let done = |frames: &Vec<Frame>| {
        jobs.iter().all(|job| {
            frames.iter().any(|f| {
                let body: Value = serde_json::from_str(&f.data).unwrap_or_default();
                body["jobId"] == job.as_str()
                    && matches!(body["status"].as_str(), Some("completed" | "failed"))
            })
        })
    };
    while !done(frames) {
        let frame = stream
            .next_within(Duration::from_secs(30))
            .await
            .unwrap_or_else(|| panic!("the stream ended or fell silent: {frames:?}"));
        if frame.comment.is_none() {
            frames.push(frame);
        }
    }
}

#[tokio::test]
async fn a_tenant_follows_its_own_jobs_across_a_reconnection_and_the_operator_follows_all() {
    let admin = ADMIN;
    let stack = access::stack().await;
    let (_, alpha) = access::new_tenant(&stack, "alpha").await;
    let (_, beta) = access::new_tenant(&stack, "beta").await;
    let url = format!("{}/api/events", stack.api);

    let mut stream = EventStream::open(&url, Some(&alpha), None).await.unwrap();
    let ready = stream.next().await.unwrap();
    assert_eq!(ready.event.as_deref(), Some("ready"), "{ready:?}");
    let start = ready.id.clone().unwrap();
    assert_eq!(start.split(',').count(), 16, "a position per partition");

    let alphas = vec![
        access::submit(&stack, &alpha).await,
        access::submit(&stack, &alpha).await,
    ];
    let betas = vec![access::submit(&stack, &beta).await];
    let _worker = stack.spawn_worker();

    // Three events, then the connection drops; the client comes back with the last id it saw.
    let mut frames = Vec::new();
    while frames.len() < 3 {
        let frame = stream.next_within(Duration::from_secs(30)).await.unwrap();
        if frame.comment.is_none() {
            frames.push(frame);
        }
    }
    drop(stream);
    let resume_from = frames.last().unwrap().id.clone().unwrap();
    let mut resumed = EventStream::open(&url, Some(&alpha), Some(&resume_from))
        .await
        .unwrap();
    let ready = resumed.next().await.unwrap();
    assert_eq!(ready.id.as_deref(), Some(resume_from.as_str()));
    until_final(&mut resumed, &alphas, &mut frames).await;

    // Exactly each of alpha's jobs' events, as the job's own stream has them; nothing of beta's.
    let seen = by_job(&frames);
    assert_eq!(seen.len(), 2, "{:?}", seen.keys());
    for job in &alphas {
        let mut own = EventStream::open(
            &format!("{}/api/videos/{job}/events", stack.api),
            Some(admin),
            None,
        )
        .await
        .unwrap();
        let own = by_sequence(&own.events_until_end(Duration::from_secs(10)).await);
        assert_whole(&own);
        assert_eq!(
            seen[job], own,
            "job {job}: the tenant's stream, resumed, has every event once"
        );
    }

    // The operator, from the same starting position, sees every job's events.
    let mut all = EventStream::open(&url, Some(admin), Some(&start))
        .await
        .unwrap();
    let mut every = Vec::new();
    let jobs: Vec<String> = alphas.iter().chain(&betas).cloned().collect();
    until_final(&mut all, &jobs, &mut every).await;
    assert_eq!(by_job(&every).len(), 3);
}
