//! What the dashboard charts and a job's timeline read: a job's poll log (its latest polls, kept by
//! `commit_polls.lua`) and the rolling per-minute series kept beside every counters hash
//! (`count_in_minute` in prelude.lua: one `HINCRBY` and one `EXPIRE` per move, so O(1) per event).
//! A read of the last hour is one pipelined round trip per partition, 60 `HGETALL`s each, the
//! partitions at once: it costs what a dashboard asks of it, nothing on the jobs' hot path.

use std::collections::BTreeMap;

use super::layout::Keyspace;
use super::{Store, StoreResult};

/// One poll of a job: when (Redis ms), and the status and progress it left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Poll {
    pub at_ms: i64,
    pub status: String,
    pub progress: u8,
}

/// One minute of a series: its start (unix seconds) and what entered each counter in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Minute {
    pub minute: i64,
    pub counts: BTreeMap<String, i64>,
}

impl Store {
    /// A job's latest polls, oldest first (empty for an unknown job).
    pub async fn poll_log(&self, job_id: &str) -> StoreResult<Vec<Poll>> {
        let Some(partition) = self.keys.partition_of(job_id) else {
            return Ok(Vec::new());
        };
        let mut conn = self.conn().await?;
        let lines: Vec<String> = redis::cmd("LRANGE")
            .arg(self.keys.poll_log(partition, job_id))
            .arg(-(super::POLL_LOG_KEEP as i64))
            .arg(-1)
            .query_async(&mut conn)
            .await?;
        Ok(lines.iter().filter_map(|line| parse_poll(line)).collect())
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

fn parse_poll(line: &str) -> Option<Poll> {
    let mut words = line.split(' ');
    Some(Poll {
        at_ms: words.next()?.parse().ok()?,
        status: words.next()?.to_owned(),
        progress: words.next()?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_line_reads_back() {
        assert_eq!(
            parse_poll("1764900000123 processing 42"),
            Some(Poll {
                at_ms: 1_764_900_000_123,
                status: "processing".into(),
                progress: 42
            })
        );
        assert_eq!(parse_poll("garbage"), None);
    }
}
