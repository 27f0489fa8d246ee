//! The live streams: every webhook event is also announced, in commit order, on its partition's
//! Redis Stream (`{pN}:live`, appended by `commit_polls.lua` with the event itself), as its job,
//! sequence number and tenant. API processes follow the streams to feed Server-Sent Events: one
//! blocking read per partition and process, however many clients listen. An event's body is read
//! from the job's event history (kept as long as the job), so the stream stays small; a position
//! in it is the Redis Stream entry id (`<ms>-<n>`), which is how a tenant-wide client resumes.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use redis::streams::{StreamId, StreamRangeReply, StreamReadOptions, StreamReadReply};
use redis::AsyncCommands;

use super::backend::Conn;
use super::{Store, StoreError, StoreResult};

/// A place in a partition's live stream: a Redis Stream entry id. `0-0` is before every entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub ms: u64,
    pub n: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.n)
    }
}

impl FromStr for Position {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let (ms, n) = s.split_once('-').ok_or(())?;
        Ok(Self {
            ms: ms.parse().map_err(drop)?,
            n: n.parse().map_err(drop)?,
        })
    }
}

/// One announced event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveEntry {
    pub partition: u16,
    pub position: Position,
    pub job_id: String,
    /// The event's sequence number among its job's events (the webhook's).
    pub seq: u64,
    /// The job's owner; `None` for the operator's own jobs.
    pub tenant: Option<String>,
}

impl LiveEntry {
    fn parse(partition: u16, entry: &StreamId) -> Option<Self> {
        let text = |name: &str| -> Option<String> { entry.get(name) };
        Some(Self {
            partition,
            position: entry.id.parse().ok()?,
            job_id: text("j")?,
            seq: text("s")?.parse().ok()?,
            tenant: text("t").filter(|t| !t.is_empty()),
        })
    }
}

/// Most entries one read returns.
const READ_BATCH: usize = 1000;

/// Follows one partition's live stream on a connection of its own.
pub struct LiveFollower {
    store: Store,
    conn: Option<Conn>,
    pub partition: u16,
}

impl LiveFollower {
    /// Entries after `after`, waiting up to `block` for the first (an empty answer: none came).
    /// A broken connection is made anew on the next call.
    pub async fn next(&mut self, after: Position, block: Duration) -> StoreResult<Vec<LiveEntry>> {
        let conn = match self.conn.as_mut() {
            Some(conn) => conn,
            None => self.conn.insert(self.store.backend.dedicated().await?),
        };
        let key = self.store.keys.live(self.partition);
        let options = StreamReadOptions::default()
            .block(block.as_millis() as usize)
            .count(READ_BATCH);
        let read: redis::RedisResult<Option<StreamReadReply>> = conn
            .xread_options(&[&key], &[after.to_string()], &options)
            .await;
        let reply = match read {
            Ok(reply) => reply,
            Err(e) => {
                self.conn = None;
                return Err(e.into());
            }
        };
        let partition = self.partition;
        Ok(reply
            .into_iter()
            .flat_map(|reply| reply.keys)
            .flat_map(|stream| stream.ids)
            .filter_map(|entry| LiveEntry::parse(partition, &entry))
            .collect())
    }
}

impl Store {
    /// A follower of `partition`'s live stream.
    pub fn follow_live(&self, partition: u16) -> LiveFollower {
        LiveFollower {
            store: self.clone(),
            conn: None,
            partition,
        }
    }

    /// Where each partition's live stream ends now (`0-0` for an empty one), in partition order.
    pub async fn live_ends(&self) -> StoreResult<Vec<Position>> {
        let conn = self.conn().await?;
        let reads = (0..self.keys.partitions()).map(|partition| {
            let mut conn = conn.clone();
            let key = self.keys.live(partition);
            async move {
                let last: StreamRangeReply = conn.xrevrange_count(key, "+", "-", 1).await?;
                Ok::<_, StoreError>(
                    last.ids
                        .first()
                        .and_then(|entry| entry.id.parse().ok())
                        .unwrap_or_default(),
                )
            }
        });
        futures_util::future::try_join_all(reads).await
    }

    /// Up to `count` entries of `partition`'s live stream after `after`, and whether entries after
    /// `after` were trimmed away (the stream keeps about `LIVE_STREAM_LENGTH`).
    pub async fn live_after(
        &self,
        partition: u16,
        after: Position,
        count: usize,
    ) -> StoreResult<(Vec<LiveEntry>, bool)> {
        let mut conn = self.conn().await?;
        let key = self.keys.live(partition);
        let range: StreamRangeReply = conn
            .xrange_count(&key, format!("({after}"), "+", count)
            .await?;
        let entries: Vec<LiveEntry> = range
            .ids
            .iter()
            .filter_map(|entry| LiveEntry::parse(partition, entry))
            .collect();
        // The first entry kept: anything between `after` and it was trimmed, unless `after` is
        // the entry just before it (positions are not dense, so ask what the stream deleted).
        let trimmed = match entries.first() {
            Some(first) if first.position > after && after != Position::default() => {
                let deleted = self.live_deleted_up_to(&key).await?;
                deleted > after
            }
            _ => false,
        };
        Ok((entries, trimmed))
    }

    /// The newest entry a stream has deleted (trimmed), from `XINFO STREAM` (Redis 7).
    async fn live_deleted_up_to(&self, key: &str) -> StoreResult<Position> {
        let mut conn = self.conn().await?;
        let info: HashMap<String, redis::Value> = redis::cmd("XINFO")
            .arg("STREAM")
            .arg(key)
            .query_async(&mut conn)
            .await?;
        Ok(info
            .get("max-deleted-entry-id")
            .and_then(|v| redis::from_redis_value::<String>(v.clone()).ok())
            .and_then(|id| id.parse().ok())
            .unwrap_or_default())
    }

    /// A job's events kept so far, in order: `(seq, body)`. Empty for an unknown job.
    pub async fn job_events(&self, job_id: &str) -> StoreResult<Vec<(u64, String)>> {
        let Some(partition) = self.keys.partition_of(job_id) else {
            return Ok(Vec::new());
        };
        let mut conn = self.conn().await?;
        let kept: HashMap<String, String> =
            conn.hgetall(self.keys.events(partition, job_id)).await?;
        let mut events: Vec<(u64, String)> = kept
            .into_iter()
            .filter_map(|(name, body)| Some((name.strip_prefix("e:")?.parse().ok()?, body)))
            .collect();
        events.sort_unstable_by_key(|(seq, _)| *seq);
        Ok(events)
    }

    /// The bodies of announced events of one partition, in order (`None` for one whose job has
    /// expired since): one round trip.
    pub async fn live_bodies(
        &self,
        partition: u16,
        entries: &[LiveEntry],
    ) -> StoreResult<Vec<Option<String>>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for entry in entries {
            pipe.hget(
                self.keys.events(partition, &entry.job_id),
                format!("e:{}", entry.seq),
            );
        }
        let mut conn = self.conn().await?;
        Ok(pipe.query_async(&mut conn).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_and_order_as_stream_ids() {
        let a: Position = "1733350000000-0".parse().unwrap();
        let b: Position = "1733350000000-12".parse().unwrap();
        let c: Position = "1733350000001-0".parse().unwrap();
        assert!(a < b && b < c);
        assert_eq!(b.to_string(), "1733350000000-12");
        assert_eq!(Position::default().to_string(), "0-0");
        for bad in ["", "12", "a-1", "1-b", "-1-2"] {
            assert!(bad.parse::<Position>().is_err(), "{bad}");
        }
    }
}
