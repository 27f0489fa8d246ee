//! How full the lease queues are, for the metrics: per partition and queue, the items in it, those
//! due now, and how long the earliest due one has waited. Three O(1)/O(log n) commands per queue
//! and partition, one round trip per partition; nothing is scanned.

use std::time::Duration;

use super::Queue;
use crate::store::{Store, StoreResult};

/// What the pipeline answers for one queue: ZCARD, ZCOUNT up to now, and its first member with
/// its score.
type Reply = (u64, u64, Vec<(String, f64)>);

/// One queue of one partition, as read now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueDepth {
    pub queue: Queue,
    pub partition: u16,
    /// Every item, due or not (a claimed item stays in its queue, scored at its lease's end).
    pub items: u64,
    /// Items due now and not claimed.
    pub due: u64,
    /// How long the earliest of them has been due; zero when none is.
    pub oldest_due: Duration,
}

impl Store {
    /// The depth of `queues` in every partition.
    pub async fn queue_depths(&self, queues: &[Queue]) -> StoreResult<Vec<QueueDepth>> {
        let mut conn = self.conn().await?;
        let (secs, micros): (i64, i64) = redis::cmd("TIME").query_async(&mut conn).await?;
        let now_ms = secs * 1000 + micros / 1000;
        let reads = (0..self.keys.partitions()).map(|partition| {
            let mut pipe = redis::pipe();
            for &queue in queues {
                let (set, _) = self.queue_and_prefix(queue, partition);
                pipe.zcard(&set)
                    .zcount(&set, "-inf", now_ms)
                    .zrange_withscores(&set, 0, 0);
            }
            let mut conn = conn.clone();
            async move {
                let replies: Vec<Reply> = pipe
                    .query_async::<Vec<redis::Value>>(&mut conn)
                    .await?
                    .chunks(3)
                    .map(|reply| redis::from_redis_value(redis::Value::Array(reply.to_vec())))
                    .collect::<Result<_, _>>()?;
                StoreResult::Ok(
                    queues
                        .iter()
                        .zip(replies)
                        .map(|(&queue, (items, due, first))| QueueDepth {
                            queue,
                            partition,
                            items,
                            due,
                            oldest_due: first
                                .first()
                                .filter(|_| due > 0)
                                .map(|(_, score)| (now_ms as f64 - score).max(0.0) as u64)
                                .map_or(Duration::ZERO, Duration::from_millis),
                        })
                        .collect::<Vec<_>>(),
                )
            }
        });
        let per_partition = futures_util::future::try_join_all(reads).await?;
        Ok(per_partition.into_iter().flatten().collect())
    }
}
