//! Live events over Server-Sent Events: one job's stream, the tenant-wide stream, resuming with
//! `Last-Event-ID` (across a restart of the API process too), isolation and heartbeats.

mod job_stream;
mod restart;
mod tenant_stream;

use std::collections::BTreeMap;

use e2e::sse::Frame;
use serde_json::Value;

/// A job's events by sequence number, as its own stream sends them: the reference the other
/// streams are compared with.
pub(crate) fn by_sequence(frames: &[Frame]) -> BTreeMap<u64, String> {
    let mut events = BTreeMap::new();
    for frame in frames {
        let seq: u64 = frame.id.as_deref().unwrap().parse().unwrap();
        assert!(
            events.insert(seq, frame.data.clone()).is_none(),
            "event {seq} sent twice: {frames:?}"
        );
    }
    events
}

/// Asserts that the sequence numbers run 1..=n with none missing, and the last event is final.
pub(crate) fn assert_whole(events: &BTreeMap<u64, String>) {
    let seqs: Vec<u64> = events.keys().copied().collect();
    let want: Vec<u64> = (1..=seqs.len() as u64).collect();
    assert_eq!(seqs, want, "every event once, in order");
    let last: Value = serde_json::from_str(events.values().last().unwrap()).unwrap();
    assert!(
        matches!(
            last["status"].as_str(),
            Some("completed" | "failed" | "timeout")
        ),
        "{last}"
    );
}
