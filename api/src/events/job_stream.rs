//! `GET /api/videos/{jobId}/events`: one job's events as Server-Sent Events, `id:` its sequence
//! number (the webhook's). The events kept so far come first, from the job's history (after the
//! client's `Last-Event-ID`), then the live ones as they are committed; the stream ends after the
//! final event. The subscription is made before the history is read, and events are sent in
//! sequence order with none twice, so nothing falls between the two.

use std::sync::Arc;

use relay_shared::job::JobStatus;
use relay_shared::store::Store;
use serde::Deserialize;

use super::frame::{self, Frames};
use super::hub::{Interest, LiveEvent, Subscription};

/// What is sent of an event: its sequence number and body.
struct Sent {
    last: u64,
    finished: bool,
}

#[derive(Deserialize)]
struct StatusOnly {
    status: Option<String>,
}

/// Whether `body` (a webhook body) announces a final status.
fn is_final(body: &str) -> bool {
    serde_json::from_str::<StatusOnly>(body)
        .ok()
        .and_then(|b| b.status)
        .and_then(|s| s.parse::<JobStatus>().ok())
        .is_some_and(JobStatus::is_terminal)
}

impl Sent {
    /// Sends `(seq, body)` unless it was sent already. `false`: the client is gone.
    async fn send(&mut self, frames: &Frames, seq: u64, body: &str) -> bool {
        if seq <= self.last || self.finished {
            return true;
        }
        self.last = seq;
        self.finished = is_final(body);
        frames
            .send(frame::event(&seq.to_string(), None, body))
            .await
    }

    /// Sends the kept events after the last one sent (all of them: the history is small).
    /// `false`: the client is gone or Redis cannot be read (the stream ends; the client resumes).
    async fn catch_up(&mut self, frames: &Frames, store: &Store, job_id: &str) -> bool {
        let events = match store.job_events(job_id).await {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!(
                    job = job_id,
                    "event stream: cannot read the job's events ({e})"
                );
                return false;
            }
        };
        for (seq, body) in events {
            // A client that saw the final event already gets nothing more, and the stream ends.
            if seq <= self.last && is_final(&body) {
                self.finished = true;
            }
            if !self.send(frames, seq, &body).await {
                return false;
            }
        }
        true
    }
}

/// Produces one job's stream into `frames`.
pub async fn produce(
    frames: Frames,
    store: Store,
    job_id: String,
    after: u64,
    mut live: Subscription,
) {
    let mut sent = Sent {
        last: after,
        finished: false,
    };
    if !sent.catch_up(&frames, &store, &job_id).await {
        return;
    }
    let mut heartbeat = tokio::time::interval(frames.heartbeat);
    heartbeat.tick().await;
    while !sent.finished {
        tokio::select! {
            event = live.next() => {
                let Some(event): Option<Arc<LiveEvent>> = event else {
                    // Dropped for falling behind: end; the client resumes from its last id.
                    return;
                };
                let seq = event.entry.seq;
                // A gap (an event this subscription never saw): read it from the history.
                let delivered = if seq > sent.last + 1 {
                    sent.catch_up(&frames, &store, &job_id).await
                } else {
                    sent.send(&frames, seq, &event.body).await
                };
                if !delivered {
                    return;
                }
                heartbeat.reset();
            }
            _ = heartbeat.tick() => {
                if !frames.send(frame::heartbeat()).await {
                    return;
                }
            }
            _ = frames.closed() => return,
        }
    }
}

/// What a job's subscribers are subscribed to.
pub fn interest(job_id: &str) -> Interest {
    Interest::Job(job_id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_statuses_end_a_job_stream() {
        assert!(is_final(
            r#"{"jobId":"j","status":"completed","progress":100}"#
        ));
        assert!(is_final(r#"{"status":"failed"}"#));
        assert!(is_final(r#"{"status":"timeout"}"#));
        assert!(!is_final(r#"{"status":"processing","progress":40}"#));
        assert!(!is_final(r#"{"status":"queued"}"#));
        assert!(!is_final("not json"));
    }
}
