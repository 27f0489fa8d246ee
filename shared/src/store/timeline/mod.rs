//! What the dashboard charts and a job's timeline read: a job's log of quiet polls (a field of
//! its hash, `crate::job::PollLog`) and the rolling per-minute series kept beside every counters hash
//! (`count_in_minute` in prelude.lua: one `HINCRBY` and one `EXPIRE` per counter that moves in a
//! script call, so O(1) per event). A read of the last hour is one pipelined round trip per
//! partition, 60 `HGETALL`s each, the partitions at once: it costs what a dashboard asks of it,
//! nothing on the jobs' hot path.

use std::collections::BTreeMap;

use redis::AsyncCommands;

use super::layout::{field, Keyspace};
use super::{Store, StoreResult};
use crate::job::PollLog;

/// One minute of a series: its start (unix seconds) and what entered each counter in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Minute {
    pub minute: i64,
    pub counts: BTreeMap<String, i64>,
}

impl Store {
    /// A job's log of the polls that found nothing new (empty before any).
    pub async fn poll_log(&self, job_id: &str) -> StoreResult<PollLog> {
        let Some(partition) = self.keys.partition_of(job_id) else {
            return Ok(PollLog::default());
        };
        let mut conn = self.conn().await?;
        let log: Option<String> = conn
            .hget(self.keys.job(partition, job_id), field::POLLS)
            .await?;
        Ok(log.as_deref().and_then(PollLog::decode).unwrap_or_default())
    }

    /// The last `minutes` minutes up to `now_secs`, oldest first, summed over the partitions: the
    /// relay's own, or one tenant's.
    pub async fn minutes(
        &self,
        tenant: Option<&str>,
        minutes: i64,
        now_secs: i64,
    ) -> StoreResult<Vec<Minute>> {
        let last = now_secs.div_euclid(60);
        let first = last - minutes + 1;
        let reads = (0..self.keys.partitions()).map(|partition| async move {
            let counters = match tenant {
                Some(tenant) => self.keys.tenant_stats(partition, tenant),
                None => self.keys.stats(partition),
            };
            let mut pipe = redis::pipe();
            for minute in first..=last {
                pipe.cmd("HGETALL")
                    .arg(Keyspace::minute_of(&counters, minute));
            }
            let mut conn = self.conn().await?;
            let found: Vec<BTreeMap<String, i64>> = pipe.query_async(&mut conn).await?;
            StoreResult::Ok(found)
        });
        let mut series: Vec<Minute> = (first..=last)
            .map(|minute| Minute {
                minute: minute * 60,
                ..Minute::default()
            })
            .collect();
        for found in futures_util::future::try_join_all(reads).await? {
            for (minute, counts) in series.iter_mut().zip(found) {
                for (name, n) in counts {
                    *minute.counts.entry(name).or_default() += n;
                }
            }
        }
        Ok(series)
    }
}
