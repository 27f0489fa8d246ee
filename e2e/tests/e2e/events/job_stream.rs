//! `GET /api/videos/{jobId}/events`: every event of the job once, in order, with the webhook's
//! body; what came before a connection first; the end after the final event; resuming.

use std::time::Duration;

use e2e::access::{self, ADMIN};
use e2e::sse::EventStream;
use e2e::Stack;
use serde_json::{json, Value};

use super::{assert_whole, by_sequence};

#[tokio::test]
async fn a_job_stream_sends_each_event_once_with_the_webhook_body_and_ends_after_the_final_one() {
    let stack = Stack::start(Stack::quick_sim(), &[("EVENTS_HEARTBEAT_SECS", "1")]).await;
    let id = stack.submit("followed live", json!({})).await;
    let url = format!("{}/api/videos/{id}/events", stack.api);
    // Connected before any worker runs: every event after the first comes live.
    let mut stream = EventStream::open(&url, None, None).await.unwrap();
    // An idle stream's heartbeat.
    let first = stream.next_within(Duration::from_secs(5)).await.unwrap();
    assert_eq!(first.comment.as_deref(), Some("heartbeat"), "{first:?}");
    let _worker = stack.spawn_worker();
    let frames = stream.events_until_end(Duration::from_secs(30)).await;
    let events = by_sequence(&frames);
    assert_whole(&events);
    assert!(
        events.len() >= 3,
        "queued, progress and completion: {events:?}"
    );

    // Every webhook that was delivered is one of these events, byte for byte (progress events
    // superseded before delivery are streamed all the same).
    let webhooks = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), Duration::from_secs(30))
        .await;
    let delivered: Vec<_> = webhooks.iter().filter(|w| w.job_id() == id).collect();
    assert!(!delivered.is_empty());
    for webhook in delivered {
        let seq = webhook.sequence.unwrap();
        assert_eq!(events.get(&seq), Some(&webhook.body), "event {seq}");
    }

    // Resuming after event 2 replays the rest from the job's history, then ends.
    let mut resumed = EventStream::open(&url, None, Some("2")).await.unwrap();
    let rest = by_sequence(&resumed.events_until_end(Duration::from_secs(5)).await);
    let want: Vec<u64> = (3..=events.len() as u64).collect();
    assert_eq!(rest.keys().copied().collect::<Vec<_>>(), want);
    assert!(rest.iter().all(|(seq, body)| events[seq] == *body));
    // A client that saw the final event gets nothing more: the stream ends at once.
    let last = events.len().to_string();
    let mut done = EventStream::open(&url, None, Some(&last)).await.unwrap();
    assert!(done
        .events_until_end(Duration::from_secs(5))
        .await
        .is_empty());
}

#[tokio::test]
async fn event_streams_keep_to_the_callers_jobs_and_refuse_bad_resume_points() {
    let admin = ADMIN;
    let stack = access::stack().await;
    let (_, alpha) = access::new_tenant(&stack, "alpha").await;
    let (_, beta) = access::new_tenant(&stack, "beta").await;
    let keys = [alpha, beta];
    let job = access::submit(&stack, &keys[0]).await;
    let url = format!("{}/api/videos/{job}/events", stack.api);
    let refusal = |result: Result<EventStream, (u16, String)>| match result {
        Ok(_) => panic!("a stream was opened"),
        Err((status, body)) => (status, serde_json::from_str::<Value>(&body).unwrap()),
    };
    let (status, body) = refusal(EventStream::open(&url, None, None).await);
    assert_eq!(status, 401, "{body}");
    let (status, body) = refusal(EventStream::open(&url, Some(&keys[1]), None).await);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("job_not_found")),
        "{body}"
    );
    let (status, body) = refusal(EventStream::open(&url, Some(&keys[0]), Some("seven")).await);
    assert_eq!(status, 422, "{body}");
    let all = format!("{}/api/events", stack.api);
    let (status, body) = refusal(EventStream::open(&all, Some(&keys[0]), Some("1-0,2-0")).await);
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("16 partitions"),
        "{body}"
    );
    assert!(EventStream::open(&url, Some(&keys[0]), None).await.is_ok());
    assert!(EventStream::open(&url, Some(admin), None).await.is_ok());
}
