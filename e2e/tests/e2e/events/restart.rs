//! A client follows a job across a restart of the API process it was connected to: it reconnects
//! (to the new process) with its `Last-Event-ID` and misses nothing.

use std::time::Duration;

use e2e::eventually;
use e2e::processes::Process;
use e2e::sse::{EventStream, Frame};

use super::{assert_whole, by_sequence};
use crate::processes::{deploy, submit};

#[tokio::test]
async fn a_job_followed_across_a_restart_of_its_api_process_misses_no_event() {
    let mut deployment = deploy(&[
        ("SIM_RUNNING_MS", "4000"),
        ("POLL_INITIAL_INTERVAL_MS", "300"),
    ])
    .await;
    let _worker = Process::spawn("relay-worker", &[], &deployment.env);
    let id = submit(&deployment.api, "followed across a restart").await;
    let url = format!("{}/api/videos/{id}/events", deployment.api);

    let mut stream = EventStream::open(&url, None, None).await.unwrap();
    let mut frames: Vec<Frame> = Vec::new();
    while frames.is_empty() {
        let frame = stream.next_within(Duration::from_secs(20)).await.unwrap();
        if frame.comment.is_none() {
            frames.push(frame);
        }
    }
    // The API process stops (SIGTERM): it ends its event streams at once rather than making its
    // graceful stop wait for them.
    let stopping = std::time::Instant::now();
    assert_eq!(deployment.api_process.terminate(), Some(0));
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "the stop took {:?}",
        stopping.elapsed()
    );
    while let Some(frame) = stream.next().await {
        if frame.comment.is_none() {
            frames.push(frame);
        }
    }
    // A new process on the same address; the client resumes where it was.
    deployment.api_process = Process::spawn("relay-api", &[], &deployment.env);
    let last = frames.last().unwrap().id.clone().unwrap();
    let mut resumed = eventually(Duration::from_secs(10), "the new API process", || async {
        EventStream::open(&url, None, Some(&last)).await.ok()
    })
    .await;
    let after_restart = resumed.events_until_end(Duration::from_secs(30)).await;
    assert!(
        !after_restart.is_empty(),
        "the job was still running at the restart"
    );
    frames.extend(after_restart);
    let events = by_sequence(&frames);
    assert_whole(&events);
    assert!(events.len() >= 3, "{events:?}");
}
