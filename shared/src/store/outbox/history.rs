//! What operators ask about webhook deliveries: a job's events with their attempts, redelivery of
//! one event, and recovery of dead letters.

use std::collections::HashMap;

use redis::AsyncCommands;

use crate::store::{scripts, Store, StoreError, StoreResult};

/// A job's events (`seq -> (body, created ms)`), its attempt log (JSON entries, oldest first),
/// the events still waiting in its outbox and those in the dead letters.
#[derive(Clone, Debug, Default)]
pub struct DeliveryHistory {
    pub events: Vec<(u64, String, i64)>,
    pub attempts: Vec<String>,
    pub pending: Vec<u64>,
    pub dead: Vec<u64>,
}

/// What a requeue did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requeued {
    Queued,
    AlreadyWaiting,
    /// The event is unknown, or expired with its job.
    Unknown,
}

impl Store {
    /// Marks `url` as gone (it answered 410) for `ttl`: deliveries to it stop.
    pub async fn mark_gone(&self, url: &str, ttl: std::time::Duration) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        let _: () = conn
            .set_ex(self.keys.gone(url), 1, ttl.as_secs().max(1))
            .await?;
        Ok(())
    }

    pub async fn is_gone(&self, url: &str) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        Ok(conn.exists(self.keys.gone(url)).await?)
    }

    /// Lifts the stop on `url` (an operator asked for a redelivery to it).
    pub async fn clear_gone(&self, url: &str) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        let _: i64 = conn.del(self.keys.gone(url)).await?;
        Ok(())
    }

    pub async fn delivery_history(&self, job_id: &str) -> StoreResult<Option<DeliveryHistory>> {
        let Some(partition) = self.keys.partition_of(job_id) else {
            return Ok(None);
        };
        let mut conn = self.conn().await?;
        let events: HashMap<String, String> =
            conn.hgetall(self.keys.events(partition, job_id)).await?;
        let attempts: Vec<String> = conn
            .lrange(self.keys.attempt_log(partition, job_id), 0, -1)
            .await?;
        let outbox = self.keys.outbox(partition, job_id);
        let pending: Option<String> = conn.hget(outbox, "pending").await?;
        let mut history = DeliveryHistory {
            attempts,
            pending: pending
                .unwrap_or_default()
                .split(' ')
                .filter_map(|s| s.parse().ok())
                .collect(),
            ..DeliveryHistory::default()
        };
        for (name, body) in &events {
            if let Some(seq) = name.strip_prefix("e:").and_then(|s| s.parse::<u64>().ok()) {
                let created = events
                    .get(&format!("c:{seq}"))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                history.events.push((seq, body.clone(), created));
            }
        }
        history.events.sort_by_key(|e| e.0);
        let dead_set = self.keys.dead_letters(partition);
        for (seq, _, _) in &history.events {
            let died: Option<f64> = conn.zscore(&dead_set, format!("{job_id}:{seq}")).await?;
            if died.is_some() {
                history.dead.push(*seq);
            }
        }
        Ok(Some(history))
    }

    /// Puts event `seq` of a job back in its outbox, due now (out of the dead letters too when
    /// `from_dead`).
    pub async fn requeue(&self, job_id: &str, seq: u64, from_dead: bool) -> StoreResult<Requeued> {
        let Some(partition) = self.keys.partition_of(job_id) else {
            return Ok(Requeued::Unknown);
        };
        let keys = &self.keys;
        let mut conn = self.conn().await?;
        let done: i64 = scripts::REQUEUE
            .key(keys.deliveries(partition))
            .key(keys.outbox(partition, job_id))
            .key(keys.events(partition, job_id))
            .key(keys.dead_letters(partition))
            .key(keys.dead_letter(partition, job_id, seq))
            .key(keys.stats(partition))
            .key(keys.job(partition, job_id))
            .arg(job_id)
            .arg(seq)
            .arg(if from_dead { "1" } else { "0" })
            .arg(keys.tenant_dead_letters_prefix(partition))
            .invoke_async(&mut conn)
            .await?;
        Ok(match done {
            1 => Requeued::Queued,
            2 => Requeued::AlreadyWaiting,
            _ => Requeued::Unknown,
        })
    }

    /// Lets go of the dead letters that expired, in every partition: their members leave the
    /// dead-letter sets and their count leaves `webhook_dead_letters`. Returns how many went.
    pub async fn trim_dead_letters(&self) -> StoreResult<u64> {
        /// Most members one call takes out (a partition with more is trimmed again next round).
        const PER_CALL: u32 = 1000;
        let conn = self.conn().await?;
        let keep_ms = self.job_lifetime_secs.saturating_mul(1000);
        let trims = (0..self.keys.partitions()).map(|partition| {
            let mut conn = conn.clone();
            async move {
                scripts::TRIM_DEAD_LETTERS
                    .key(self.keys.dead_letters(partition))
                    .key(self.keys.stats(partition))
                    .arg(keep_ms)
                    .arg(PER_CALL)
                    .invoke_async::<u64>(&mut conn)
                    .await
            }
        });
        let trimmed = futures_util::future::try_join_all(trims).await?;
        Ok(trimmed.into_iter().sum())
    }

    /// Every dead letter that died between `since_ms` and `until_ms`, as (job id, seq).
    pub async fn dead_letters_between(
        &self,
        since_ms: i64,
        until_ms: i64,
    ) -> StoreResult<Vec<(String, u64)>> {
        let mut conn = self.conn().await?;
        let mut found = Vec::new();
        for partition in 0..self.keys.partitions() {
            let members: Vec<String> = conn
                .zrangebyscore(self.keys.dead_letters(partition), since_ms, until_ms)
                .await?;
            for member in members {
                let (job, seq) = member
                    .rsplit_once(':')
                    .and_then(|(job, seq)| Some((job.to_owned(), seq.parse().ok()?)))
                    .ok_or_else(|| StoreError::Corrupt(format!("dead letter {member:?}")))?;
                found.push((job, seq));
            }
        }
        Ok(found)
    }
}
