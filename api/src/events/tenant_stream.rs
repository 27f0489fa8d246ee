//! `GET /api/events`: every event of the caller's jobs (a tenant's own; the operator's: all) as
//! Server-Sent Events. An event's `id:` is the stream position after it: where each partition's
//! live stream had been read to, `<ms>-<n>` per partition, comma-separated. A client that
//! reconnects with it as `Last-Event-ID` — to any API process — gets what came after, from the
//! live streams in Redis, then the live events; none is lost or sent twice. Without one, the
//! stream starts now, and its first frame (`event: ready`) carries the position to resume from.
//!
//! The live streams keep about `LIVE_STREAM_LENGTH` events per partition: a client away for
//! longer gets an `event: gap` frame naming the partition, and should read its jobs' statuses.

use std::sync::Arc;

use relay_shared::store::live::{LiveEntry, Position};
use relay_shared::store::Store;
use serde_json::json;

use super::frame::{self, Frames};
use super::hub::{Interest, LiveEvent, Subscription};

/// Entries read per call while catching up.
const CATCH_UP_BATCH: usize = 1000;

/// A tenant-wide stream position: one live-stream position per partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Positions(Vec<Position>);

impl Positions {
    pub fn new(positions: Vec<Position>) -> Self {
        Self(positions)
    }

    /// Reads a `Last-Event-ID` made by [`Positions::id`] for `partitions` partitions.
    pub fn parse(text: &str, partitions: u16) -> Result<Self, String> {
        let positions: Vec<Position> = text
            .split(',')
            .map(|p| p.trim().parse())
            .collect::<Result<_, ()>>()
            .map_err(|()| format!("Last-Event-ID {text:?} is not a position of this stream"))?;
        if positions.len() != usize::from(partitions) {
            return Err(format!(
                "Last-Event-ID holds {} positions; this deployment has {partitions} partitions",
                positions.len()
            ));
        }
        Ok(Self(positions))
    }

    pub fn id(&self) -> String {
        let texts: Vec<String> = self.0.iter().map(Position::to_string).collect();
        texts.join(",")
    }

    fn get(&self, partition: u16) -> Position {
        self.0[usize::from(partition)]
    }

    fn set(&mut self, partition: u16, position: Position) {
        self.0[usize::from(partition)] = position;
    }
}

fn concerns(interest: &Interest, entry: &LiveEntry) -> bool {
    match interest {
        Interest::Everything => true,
        Interest::Tenant(tenant) => entry.tenant.as_deref() == Some(tenant.as_str()),
        Interest::Job(job) => entry.job_id == *job,
    }
}

struct Stream {
    frames: Frames,
    store: Store,
    interest: Interest,
    positions: Positions,
}

impl Stream {
    async fn send_event(&mut self, entry: &LiveEntry, body: &str) -> bool {
        self.positions.set(entry.partition, entry.position);
        self.frames
            .send(frame::event(&self.positions.id(), None, body))
            .await
    }

    /// Sends what each partition's live stream holds after the positions. `false`: the client
    /// is gone, or Redis cannot be read (the stream ends; the client resumes).
    async fn catch_up(&mut self) -> bool {
        let partitions = self.store.keys().partitions();
        for partition in 0..partitions {
            loop {
                let after = self.positions.get(partition);
                let (entries, trimmed) = match self
                    .store
                    .live_after(partition, after, CATCH_UP_BATCH)
                    .await
                {
                    Ok(read) => read,
                    Err(e) => {
                        tracing::warn!("event stream: cannot read the live stream ({e})");
                        return false;
                    }
                };
                if trimmed {
                    let gap = json!({
                        "partition": partition,
                        "message": "events after this stream position were trimmed from the live stream (LIVE_STREAM_LENGTH); read your jobs' statuses to catch up",
                    });
                    let id = self.positions.id();
                    if !self
                        .frames
                        .send(frame::event(&id, Some("gap"), &gap.to_string()))
                        .await
                    {
                        return false;
                    }
                }
                let Some(last) = entries.last().map(|e| e.position) else {
                    break;
                };
                let full = entries.len() == CATCH_UP_BATCH;
                let wanted: Vec<LiveEntry> = entries
                    .into_iter()
                    .filter(|e| concerns(&self.interest, e))
                    .collect();
                let bodies = match self.store.live_bodies(partition, &wanted).await {
                    Ok(bodies) => bodies,
                    Err(e) => {
                        tracing::warn!("event stream: cannot read events ({e})");
                        return false;
                    }
                };
                for (entry, body) in wanted.iter().zip(bodies) {
                    // An event of a job that has expired since: nothing left to send.
                    if let Some(body) = body {
                        if !self.send_event(entry, &body).await {
                            return false;
                        }
                    }
                }
                self.positions.set(partition, last);
                if !full {
                    break;
                }
            }
        }
        true
    }
}

/// Produces a tenant-wide stream into `frames`, from `positions`; `subscribe` is called once the
/// backlog is sent (a long catch-up must not fill a live queue).
pub async fn produce(
    frames: Frames,
    store: Store,
    interest: Interest,
    positions: Positions,
    subscribe: impl FnOnce() -> Subscription,
) {
    let ready = json!({ "position": positions.id() }).to_string();
    if !frames
        .send(frame::event(&positions.id(), Some("ready"), &ready))
        .await
    {
        return;
    }
    let heartbeat_every = frames.heartbeat;
    let mut stream = Stream {
        frames,
        store,
        interest,
        positions,
    };
    if !stream.catch_up().await {
        return;
    }
    let mut live = subscribe();
    // What was committed while the backlog went out, before the subscription.
    if !stream.catch_up().await {
        return;
    }
    let mut heartbeat = tokio::time::interval(heartbeat_every);
    heartbeat.tick().await;
    loop {
        tokio::select! {
            event = live.next() => {
                let Some(event): Option<Arc<LiveEvent>> = event else {
                    return;
                };
                let entry = &event.entry;
                if entry.position <= stream.positions.get(entry.partition) {
                    continue;
                }
                if !stream.send_event(entry, &event.body).await {
                    return;
                }
                heartbeat.reset();
            }
            _ = heartbeat.tick() => {
                if !stream.frames.send(frame::heartbeat()).await {
                    return;
                }
            }
            _ = stream.frames.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_reads_back_and_must_name_every_partition() {
        let positions = Positions::new(vec![
            "0-0".parse().unwrap(),
            "1733350000000-3".parse().unwrap(),
        ]);
        assert_eq!(positions.id(), "0-0,1733350000000-3");
        assert_eq!(Positions::parse(&positions.id(), 2), Ok(positions.clone()));
        assert!(Positions::parse(&positions.id(), 16).is_err());
        assert!(Positions::parse("12", 1).is_err());
        assert!(Positions::parse("", 1).is_err());
    }
}
