//! Lease queues: the job schedule, the webhook delivery queue and the deletion schedule of kept
//! videos of each partition, claimed in
//! batches with one script call (`claim.lua`), their leases renewed while work outlasts them, and
//! handed back when a worker stops.

use std::time::Duration;

use redis::{self, AsyncCommands, Value};

mod depth;

use super::{scripts, JobRef, Store, StoreError, StoreResult};

pub use depth::QueueDepth;

/// Which queue of a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Queue {
    Jobs,
    Deliveries,
    /// Kept videos due for deletion (`CONTENT_RETENTION_DAYS`).
    ContentDeletions,
}

impl Queue {
    /// As metrics and logs name it.
    pub fn name(self) -> &'static str {
        match self {
            Queue::Jobs => "jobs",
            Queue::Deliveries => "deliveries",
            Queue::ContentDeletions => "content_deletions",
        }
    }
}

/// The hash fields a claim returns with each item.
#[derive(Clone, Copy, Debug)]
pub struct ClaimFields {
    /// Returned in this order. The first is one every item has: when it is missing, the item is
    /// gone (unless the fallback layout has it).
    pub fields: &'static [&'static str],
    /// An older layout of the same items, read (and returned after the missing values of
    /// `fields`) when an item lacks the first field; its own first field then tells whether the
    /// item is there.
    pub fallback: &'static [&'static str],
}

impl ClaimFields {
    /// Fields without an older layout.
    pub const fn new(fields: &'static [&'static str]) -> Self {
        Self {
            fields,
            fallback: &[],
        }
    }
}

/// One claimed item: its job, the hash fields asked for (in order), and how long it had been
/// due.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub job: JobRef,
    pub values: Vec<Option<String>>,
    pub late: Duration,
}

/// The result of one claim call on one partition's queue.
#[derive(Clone, Debug)]
pub struct Claim {
    /// Redis time of the claim.
    pub now_ms: i64,
    /// Earliest due time left in the queue (including the leases just taken), if any; only known
    /// after a claim that took fewer items than asked (a full one leaves the caller busy).
    pub next_due_ms: Option<i64>,
    pub items: Vec<Claimed>,
}

impl Store {
    /// Claims up to `limit` due items of one partition's queue for `lease`, returning `fields` of
    /// each; an item that has none of them is gone and leaves the queue.
    pub async fn claim(
        &self,
        queue: Queue,
        partition: u16,
        limit: usize,
        lease: Duration,
        token: &str,
        fields: ClaimFields,
    ) -> StoreResult<Claim> {
        let (set, prefix) = self.queue_and_prefix(queue, partition);
        let mut invocation = scripts::CLAIM.prepare_invoke();
        invocation
            .key(set)
            .arg(prefix)
            .arg(lease.as_millis() as u64)
            .arg(limit)
            .arg(token)
            .arg(fields.fields.len());
        for name in fields.fields.iter().chain(fields.fallback) {
            invocation.arg(*name);
        }
        let mut conn = self.conn().await?;
        let reply: Vec<Value> = invocation.invoke_async(&mut conn).await?;
        parse_claim(partition, reply)
    }

    /// Sets fields on a claimed job while the claim holds. False when the claim was lost.
    pub async fn set_claimed(
        &self,
        job: &JobRef,
        token: &str,
        fields: &[(&str, &str)],
    ) -> StoreResult<bool> {
        let mut invocation = scripts::GUARDED_SET.prepare_invoke();
        invocation
            .key(self.keys.job(job.partition, &job.id))
            .arg(token);
        for (name, value) in fields {
            invocation.arg(*name).arg(*value);
        }
        let mut conn = self.conn().await?;
        let set: i64 = invocation.invoke_async(&mut conn).await?;
        Ok(set == 1)
    }

    /// Extends the lease on a claimed item. False when the claim was lost.
    pub async fn renew(
        &self,
        queue: Queue,
        item: &JobRef,
        token: &str,
        lease: Duration,
    ) -> StoreResult<bool> {
        let (set, hash) = self.queue_keys(queue, item);
        let mut conn = self.conn().await?;
        let renewed: i64 = scripts::RENEW
            .key(set)
            .key(hash)
            .arg(&item.id)
            .arg(token)
            .arg(lease.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(renewed == 1)
    }

    /// Hands a claimed item back, due now. False when the claim was already gone.
    pub async fn release(&self, queue: Queue, item: &JobRef, token: &str) -> StoreResult<bool> {
        let (set, hash) = self.queue_keys(queue, item);
        let mut conn = self.conn().await?;
        let released: i64 = scripts::RELEASE
            .key(set)
            .key(hash)
            .arg(&item.id)
            .arg(token)
            .invoke_async(&mut conn)
            .await?;
        Ok(released == 1)
    }

    /// The queue's sorted set and the prefix of its item hashes.
    fn queue_and_prefix(&self, queue: Queue, partition: u16) -> (String, String) {
        match queue {
            Queue::Jobs => (
                self.keys.schedule(partition),
                self.keys.job_prefix(partition),
            ),
            Queue::Deliveries => (
                self.keys.deliveries(partition),
                self.keys.outbox_prefix(partition),
            ),
            Queue::ContentDeletions => (
                self.keys.content_deletions(partition),
                self.keys.kept_prefix(partition),
            ),
        }
    }

    /// The queue's sorted set and one item's hash.
    fn queue_keys(&self, queue: Queue, item: &JobRef) -> (String, String) {
        let (partition, id) = (item.partition, item.id.as_str());
        match queue {
            Queue::Jobs => (self.keys.schedule(partition), self.keys.job(partition, id)),
            Queue::Deliveries => (
                self.keys.deliveries(partition),
                self.keys.outbox(partition, id),
            ),
            Queue::ContentDeletions => (
                self.keys.content_deletions(partition),
                self.keys.kept(partition, id),
            ),
        }
    }

    /// Blocks up to `timeout` for a wake-up token (a new or forced job). True when woken.
    pub async fn wait_for_wake(&self, timeout: Duration) -> StoreResult<bool> {
        // BLPOP takes fractional seconds; 0 would mean "forever". A longer wait is cut short (the
        // caller looks at the schedule and waits again), so no reply outlasts the reply timeout.
        let secs = timeout.min(super::MAX_BLOCK).as_secs_f64().max(0.001);
        let key = self.keys.wake();
        self.backend
            .blocking(async |conn| {
                let popped: Option<(String, String)> = conn.blpop(key, secs).await?;
                Ok(popped.is_some())
            })
            .await
    }
}

fn parse_claim(partition: u16, reply: Vec<Value>) -> StoreResult<Claim> {
    let corrupt = || StoreError::Corrupt("malformed claim reply".into());
    let mut reply = reply.into_iter();
    let mut next = || reply.next().ok_or_else(corrupt);
    let now_ms: i64 = redis::from_redis_value(next()?)?;
    let next_due: i64 = redis::from_redis_value(next()?)?;
    let mut items = Vec::new();
    // Flat: member, how late it was claimed, the number k of values, the k values; then the
    // next item.
    while let Some(member) = reply.next() {
        let id: String = redis::from_redis_value(member)?;
        let late_ms: i64 = redis::from_redis_value(reply.next().ok_or_else(corrupt)?)?;
        let k: usize = redis::from_redis_value(reply.next().ok_or_else(corrupt)?)?;
        let values = reply
            .by_ref()
            .take(k)
            .map(redis::from_redis_value)
            .collect::<Result<Vec<Option<String>>, _>>()?;
        if values.len() != k {
            return Err(corrupt());
        }
        items.push(Claimed {
            job: JobRef::new(partition, id),
            values,
            late: Duration::from_millis(late_ms.max(0) as u64),
        });
    }
    Ok(Claim {
        now_ms,
        next_due_ms: (next_due >= 0).then_some(next_due),
        items,
    })
}
