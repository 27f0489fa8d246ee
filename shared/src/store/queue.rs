//! Lease queues: the job schedule and the webhook delivery queue of each partition, claimed in
//! batches with one script call and written back under the claim token.

use std::sync::Arc;
use std::time::Duration;

use redis::{self, AsyncCommands, Value};

use super::{scripts, Store, StoreError, StoreResult};
use crate::job::{field, JobStatus, PollState};

/// Which queue of a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Queue {
    Jobs,
    Deliveries,
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

/// One claimed item: its id and the hash fields asked for, in order.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: String,
    pub values: Vec<Option<String>>,
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

/// The outcome of one poll, to be committed under the claim token.
#[derive(Clone, Debug)]
pub struct PollCommit {
    pub job_id: String,
    pub token: Arc<str>,
    /// Wait before the next poll; `None` when the job is final and leaves the schedule.
    pub next_poll: Option<Duration>,
    /// The status the claim read: only the claim holder changes it, so it is the stored one.
    pub claimed_status: JobStatus,
    /// The job's poll state after this poll.
    pub state: PollState,
    /// `state` differs from the stored one: only then is it written.
    pub state_changed: bool,
    /// Status, progress or provider id changed.
    pub changed: bool,
    pub webhook_body: Option<String>,
    /// Other fields to write.
    pub fields: Vec<(&'static str, String)>,
}

/// What became of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered,
    Retry {
        after: Duration,
        /// The receiver asked for this wait (`Retry-After`): it holds for whatever event of the
        /// job comes next, where a wait of our own backoff belongs to the event that failed.
        asked_by_receiver: bool,
    },
    /// Given up: the event moves to the dead letters.
    Dead {
        error: String,
    },
}

/// What a commit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Committed {
    /// Stored; with the webhook event's sequence number when one was enqueued.
    Stored { event_seq: Option<u64> },
    /// The claim was lost (lease ran out and another worker took the job): nothing written.
    Fenced,
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
        parse_claim(reply)
    }

    /// Sets fields on a claimed job while the claim holds. False when the claim was lost.
    pub async fn set_claimed(
        &self,
        partition: u16,
        job_id: &str,
        token: &str,
        fields: &[(&str, &str)],
    ) -> StoreResult<bool> {
        let mut invocation = scripts::GUARDED_SET.prepare_invoke();
        invocation.key(self.keys.job(partition, job_id)).arg(token);
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
        partition: u16,
        id: &str,
        token: &str,
        lease: Duration,
    ) -> StoreResult<bool> {
        let (set, item) = self.queue_keys(queue, partition, id);
        let mut conn = self.conn().await?;
        let renewed: i64 = scripts::RENEW
            .key(set)
            .key(item)
            .arg(id)
            .arg(token)
            .arg(lease.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(renewed == 1)
    }

    /// Hands a claimed item back, due now. False when the claim was already gone.
    pub async fn release(
        &self,
        queue: Queue,
        partition: u16,
        id: &str,
        token: &str,
    ) -> StoreResult<bool> {
        let (set, item) = self.queue_keys(queue, partition, id);
        let mut conn = self.conn().await?;
        let released: i64 = scripts::RELEASE
            .key(set)
            .key(item)
            .arg(id)
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
        }
    }

    /// The queue's sorted set and one item's hash.
    fn queue_keys(&self, queue: Queue, partition: u16, id: &str) -> (String, String) {
        let (set, prefix) = self.queue_and_prefix(queue, partition);
        (set, format!("{prefix}{id}"))
    }

    /// Commits one poll's outcome atomically with its counters and webhook event.
    pub async fn commit_poll(&self, partition: u16, commit: &PollCommit) -> StoreResult<Committed> {
        let mut committed = self
            .commit_polls(partition, std::slice::from_ref(commit))
            .await?;
        committed
            .pop()
            .ok_or_else(|| StoreError::Corrupt("empty commit reply".into()))
    }

    /// Commits the outcomes of several polls of one partition's jobs in one script call, each
    /// atomically with its counters and webhook event; one result per commit, in order.
    pub async fn commit_polls(
        &self,
        partition: u16,
        commits: &[PollCommit],
    ) -> StoreResult<Vec<Committed>> {
        let keys = &self.keys;
        let mut invocation = scripts::COMMIT_POLLS.prepare_invoke();
        invocation
            .key(keys.schedule(partition))
            .key(keys.stats(partition))
            .key(keys.deliveries(partition))
            .arg(keys.job_prefix(partition))
            .arg(keys.outbox_prefix(partition))
            .arg(keys.events_prefix(partition))
            .arg(self.retention_secs)
            .arg(self.job_lifetime_secs)
            .arg(keys.tenant_stats_prefix(partition));
        for commit in commits {
            invocation
                .arg(&commit.job_id)
                .arg(&*commit.token)
                .arg(commit.next_poll.map_or(-1, |d| d.as_millis() as i64))
                .arg(commit.claimed_status.as_str())
                .arg(commit.state.status.as_str())
                .arg(if commit.changed { "1" } else { "0" })
                .arg(commit.webhook_body.as_deref().unwrap_or(""))
                .arg(commit.fields.len() + usize::from(commit.state_changed));
            if commit.state_changed {
                invocation.arg(field::STATE).arg(commit.state.encode());
            }
            for (name, value) in &commit.fields {
                invocation.arg(*name).arg(value);
            }
        }
        let mut conn = self.conn().await?;
        let seqs: Vec<i64> = invocation.invoke_async(&mut conn).await?;
        if seqs.len() != commits.len() {
            return Err(StoreError::Corrupt(
                "commit reply of the wrong length".into(),
            ));
        }
        Ok(seqs
            .into_iter()
            .map(|seq| match seq {
                -1 => Committed::Fenced,
                0 => Committed::Stored { event_seq: None },
                n => Committed::Stored {
                    event_seq: Some(n as u64),
                },
            })
            .collect())
    }

    /// The head event of each claimed outbox: its body and creation time (Redis ms).
    pub async fn outbox_events(
        &self,
        heads: &[(u16, &str, u64)],
    ) -> StoreResult<Vec<Option<(String, i64)>>> {
        let conn = self.conn().await?;
        let reads = heads.iter().map(|&(partition, job_id, seq)| {
            let key = format!("{}{job_id}", self.keys.outbox_prefix(partition));
            let mut conn = conn.clone();
            async move {
                let (body, created): (Option<String>, Option<i64>) = redis::cmd("HMGET")
                    .arg(key)
                    .arg(format!("e:{seq}"))
                    .arg(format!("c:{seq}"))
                    .query_async(&mut conn)
                    .await?;
                Ok::<_, StoreError>(body.map(|b| (b, created.unwrap_or(0))))
            }
        });
        futures_util::future::try_join_all(reads).await
    }

    /// Records the outcome of one attempt to deliver a job's head event. False when the claim
    /// was lost.
    pub async fn finish_delivery(
        &self,
        partition: u16,
        job_id: &str,
        token: &str,
        seq: u64,
        outcome: &DeliveryOutcome,
        log_entry: &str,
    ) -> StoreResult<bool> {
        let (set, outbox) = self.queue_keys(Queue::Deliveries, partition, job_id);
        let (verdict, delay, error, hold) = match outcome {
            DeliveryOutcome::Delivered => ("ok", 0, "", false),
            DeliveryOutcome::Retry {
                after,
                asked_by_receiver,
            } => ("retry", after.as_millis() as u64, "", *asked_by_receiver),
            DeliveryOutcome::Dead { error } => ("dead", 0, error.as_str(), false),
        };
        let mut conn = self.conn().await?;
        let done: i64 = scripts::FINISH_DELIVERY
            .key(set)
            .key(outbox)
            .key(self.keys.dead_letters(partition))
            .key(self.keys.stats(partition))
            .key(self.keys.attempt_log(partition, job_id))
            .arg(job_id)
            .arg(token)
            .arg(seq)
            .arg(verdict)
            .arg(delay)
            .arg(self.keys.dead_letter_prefix(partition))
            .arg(error)
            .arg(self.job_lifetime_secs)
            .arg(log_entry)
            .arg(if hold { "1" } else { "0" })
            .invoke_async(&mut conn)
            .await?;
        Ok(done == 1)
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

fn parse_claim(reply: Vec<Value>) -> StoreResult<Claim> {
    let corrupt = || StoreError::Corrupt("malformed claim reply".into());
    let mut reply = reply.into_iter();
    let mut next = || reply.next().ok_or_else(corrupt);
    let now_ms: i64 = redis::from_redis_value(next()?)?;
    let next_due: i64 = redis::from_redis_value(next()?)?;
    let mut items = Vec::new();
    // Flat: member, the number k of values, the k values; then the next item.
    while let Some(member) = reply.next() {
        let id: String = redis::from_redis_value(member)?;
        let k: usize = redis::from_redis_value(reply.next().ok_or_else(corrupt)?)?;
        let values = reply
            .by_ref()
            .take(k)
            .map(redis::from_redis_value)
            .collect::<Result<Vec<Option<String>>, _>>()?;
        if values.len() != k {
            return Err(corrupt());
        }
        items.push(Claimed { id, values });
    }
    Ok(Claim {
        now_ms,
        next_due_ms: (next_due >= 0).then_some(next_due),
        items,
    })
}
