//! Jobs as the API sees them: create, read, count, force a poll.

use std::collections::HashMap;

use redis::{self, AsyncCommands};

mod idempotency;
mod running;

pub use idempotency::{Bound, Idempotency};
pub use running::Running;

use super::layout::field::{self, API_FIELDS};
use super::{scripts, Store, StoreError, StoreResult};
use crate::job::{Job, NewJob, Stats};

/// Wake-up tokens kept at most: enough to wake every idle worker of a large deployment.
const WAKE_BACKLOG: isize = 64;

/// What a submission did.
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    Stored,
    /// The idempotency key is bound to this job already: nothing was stored.
    Bound(Bound),
}

/// What a force poll found.
#[derive(Debug)]
pub enum ForcePoll {
    Unknown,
    /// The job is final; nothing was changed.
    Terminal(Job),
    /// The job is due now (or will be re-polled as soon as its current poll ends).
    Scheduled(Job),
}

impl Store {
    /// Stores a new job, due now, and wakes an idle worker.
    pub async fn create_job(&self, job_id: &str, job: &NewJob) -> StoreResult<()> {
        self.create_job_for(job_id, job, None, None).await.map(drop)
    }

    /// Stores a new job owned by `tenant` (counted in its stats too), due now, and binds its
    /// idempotency key in the same step; or, when the key is bound already, finds that job
    /// instead (nothing stored). Once the job is stored this succeeds: what follows (the
    /// provider's waiting line, waking a worker) only hastens it and is logged when it fails.
    pub async fn create_job_for(
        &self,
        job_id: &str,
        job: &NewJob,
        tenant: Option<&str>,
        idempotency: Option<&Idempotency<'_>>,
    ) -> StoreResult<Created> {
        let partition = self.partition(job_id)?;
        let keys = &self.keys;
        let counters = keys.stats(partition);
        let job_key = keys.job(partition, job_id);
        let mut invocation = scripts::CREATE_JOB.prepare_invoke();
        invocation
            .key(&job_key)
            .key(keys.schedule(partition))
            .key(&counters);
        match tenant {
            Some(tenant) => invocation.key(keys.tenant_stats(partition, tenant)),
            None => invocation.key(&counters),
        };
        match idempotency {
            Some(i) => invocation.key(keys.idempotency(i.scope, i.key)),
            None => invocation.key(&job_key),
        };
        invocation
            .arg(job_id)
            .arg(if job.webhook_url.is_some() { "1" } else { "0" })
            .arg(if tenant.is_some() { "1" } else { "0" })
            .arg(idempotency.map_or(String::new(), |i| Bound::encode(job_id, i.fingerprint)))
            .arg(self.idempotency_window_secs)
            .arg(if job.estimated_progress { "0~" } else { "0" });
        for (name, value) in job.to_fields() {
            invocation.arg(name).arg(value);
        }
        if let Some(tenant) = tenant {
            invocation.arg(field::TENANT).arg(tenant);
        }
        let mut conn = self.conn().await?;
        let (created, bound): (i64, String) = invocation.invoke_async(&mut conn).await?;
        if created == 0 {
            let bound = Bound::decode(&bound)
                .ok_or_else(|| StoreError::Corrupt(format!("idempotency binding {bound:?}")))?;
            return Ok(Created::Bound(bound));
        }
        if self.capped_providers.contains(&job.provider.as_str()) {
            let joined = redis::cmd("ZADD")
                .arg(keys.waiting(&job.provider))
                .arg("NX")
                .arg(created)
                .arg(job_id)
                .query_async::<()>(&mut conn)
                .await;
            if let Err(e) = joined {
                // Its first poll puts it in line by its creation time.
                tracing::warn!(
                    job = job_id,
                    "could not put the job in the provider's waiting line yet ({e})"
                );
            }
        }
        if let Err(e) = self.wake_with(&mut conn).await {
            tracing::warn!(job = job_id, "could not wake a worker ({e}); an idle one finds the job within WORKER_IDLE_MAX_MS");
        }
        Ok(Created::Stored)
    }

    /// The fields of a job the API shows and checks ([`crate::store::layout::field::API_FIELDS`]): one HMGET.
    pub async fn job_for_api(&self, job_id: &str) -> StoreResult<Option<Job>> {
        let Some(partition) = self.keys.partition_of(job_id) else {
            return Ok(None);
        };
        let key = self.keys.job(partition, job_id);
        let mut conn = self.conn().await?;
        let mut fields = hmget(&mut conn, &key, API_FIELDS).await?;
        if !fields.contains_key(field::STATE) {
            // A job stored before `state` existed (or none at all).
            fields.extend(hmget(&mut conn, &key, field::legacy::API_FIELDS).await?);
        }
        // Every job has a state (or, stored before it existed, a status); without one there is no
        // job.
        let exists =
            fields.contains_key(field::STATE) || fields.contains_key(field::legacy::STATUS);
        Ok(exists.then(|| Job {
            id: job_id.to_owned(),
            fields,
        }))
    }

    /// Every field of a job.
    pub async fn job(&self, job_id: &str) -> StoreResult<Option<Job>> {
        let Some(partition) = self.keys.partition_of(job_id) else {
            return Ok(None);
        };
        let mut conn = self.conn().await?;
        let fields: HashMap<String, String> =
            conn.hgetall(self.keys.job(partition, job_id)).await?;
        Ok((!fields.is_empty()).then(|| Job {
            id: job_id.to_owned(),
            fields,
        }))
    }

    /// Counts by status: one HGETALL per partition, sent together (the partitions live in
    /// different slots, so no pipeline on a cluster), independent of the number of jobs.
    pub async fn stats(&self) -> StoreResult<Stats> {
        self.stats_of(None).await
    }

    /// The same, for one tenant's jobs only (or every job with `None`). A tenant's dead letters
    /// are counted in its own index of them (one `ZCOUNT` within the keeping window beside each
    /// `HGETALL`): the partition's counter is everyone's.
    pub async fn stats_of(&self, tenant: Option<&str>) -> StoreResult<Stats> {
        let conn = self.conn().await?;
        let kept_since_ms =
            chrono::Utc::now().timestamp_millis() - self.job_lifetime_secs as i64 * 1000;
        let reads = (0..self.keys.partitions()).map(|partition| {
            let mut conn = conn.clone();
            async move {
                match tenant {
                    None => conn
                        .hgetall(self.keys.stats(partition))
                        .await
                        .map(|counters| (counters, 0)),
                    Some(tenant) => {
                        redis::pipe()
                            .hgetall(self.keys.tenant_stats(partition, tenant))
                            .zcount(
                                self.keys.tenant_dead_letters(partition, tenant),
                                kept_since_ms,
                                "+inf",
                            )
                            .query_async::<(HashMap<String, i64>, i64)>(&mut conn)
                            .await
                    }
                }
            }
        });
        let mut stats = Stats::default();
        for (counters, dead_letters) in futures_util::future::try_join_all(reads).await? {
            for (name, n) in counters {
                stats.add(&name, n);
            }
            stats.add("dead_letters", dead_letters);
        }
        Ok(stats)
    }

    /// Makes a live job due now and wakes an idle worker.
    pub async fn force_poll(&self, job_id: &str) -> StoreResult<ForcePoll> {
        self.due_now(job_id, "poll").await
    }

    /// Asks for a live job's cancellation (its next poll carries it out), makes it due now and
    /// wakes an idle worker.
    pub async fn request_cancel(&self, job_id: &str) -> StoreResult<ForcePoll> {
        self.due_now(job_id, "cancel").await
    }

    async fn due_now(&self, job_id: &str, why: &str) -> StoreResult<ForcePoll> {
        let Some(partition) = self.keys.partition_of(job_id) else {
            return Ok(ForcePoll::Unknown);
        };
        let mut conn = self.conn().await?;
        let reply: Vec<String> = scripts::FORCE_POLL
            .key(self.keys.job(partition, job_id))
            .key(self.keys.schedule(partition))
            .arg(job_id)
            .arg(why)
            .invoke_async(&mut conn)
            .await?;
        let (code, pairs) = reply
            .split_first()
            .ok_or_else(|| StoreError::Corrupt("empty force_poll reply".into()))?;
        let job = Job {
            id: job_id.to_owned(),
            fields: pairs
                .chunks_exact(2)
                .map(|kv| (kv[0].clone(), kv[1].clone()))
                .collect(),
        };
        match code.as_str() {
            "0" => Ok(ForcePoll::Unknown),
            "2" => Ok(ForcePoll::Terminal(job)),
            _ => {
                self.wake_with(&mut conn).await?;
                Ok(ForcePoll::Scheduled(job))
            }
        }
    }

    /// Records an operator's decision on a job's unknown submission and makes the job due now,
    /// so that its worker carries it out. `None` when there is no such job; `Some(false)` when
    /// its submission is not unknown.
    pub async fn settle_submission(
        &self,
        job_id: &str,
        decision: &super::Settle,
    ) -> StoreResult<Option<bool>> {
        let Some(partition) = self.keys.partition_of(job_id) else {
            return Ok(None);
        };
        let mut conn = self.conn().await?;
        let recorded: i64 = scripts::SETTLE
            .key(self.keys.job(partition, job_id))
            .arg(decision.encode())
            .invoke_async(&mut conn)
            .await?;
        match recorded {
            -1 => Ok(None),
            0 => Ok(Some(false)),
            _ => {
                self.force_poll(job_id).await?;
                Ok(Some(true))
            }
        }
    }

    async fn wake_with(&self, conn: &mut super::backend::Conn) -> StoreResult<()> {
        let wake = self.keys.wake();
        redis::pipe()
            .lpush(&wake, 1)
            .ignore()
            .ltrim(&wake, 0, WAKE_BACKLOG - 1)
            .ignore()
            .query_async::<()>(conn)
            .await?;
        Ok(())
    }

    fn partition(&self, job_id: &str) -> StoreResult<u16> {
        self.keys
            .partition_of(job_id)
            .ok_or_else(|| StoreError::Corrupt(format!("{job_id:?} is not a job id")))
    }
}

/// The named fields of a hash that are present.
async fn hmget(
    conn: &mut super::backend::Conn,
    key: &str,
    names: &[&str],
) -> StoreResult<HashMap<String, String>> {
    let values: Vec<Option<String>> = redis::cmd("HMGET")
        .arg(key)
        .arg(names)
        .query_async(conn)
        .await?;
    Ok(names
        .iter()
        .zip(values)
        .filter_map(|(name, value)| Some(((*name).to_owned(), value?)))
        .collect())
}
