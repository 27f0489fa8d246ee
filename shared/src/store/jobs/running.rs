//! The jobs still running, for a list (`GET /api/jobs`): every partition's schedule holds exactly
//! its live jobs (a final one leaves it), so the first `per_partition` of each, in due order, are
//! read with one `ZRANGE` and one pipelined `HMGET` per partition, the partitions at once. A page,
//! not a scan: O(per_partition) per partition, however many jobs are live.

use super::super::layout::field::API_FIELDS;
use super::super::{Store, StoreResult};
use crate::job::Job;

/// What a read of the running jobs found.
pub struct Running {
    pub jobs: Vec<Job>,
    /// Some partition held more live jobs than were read.
    pub truncated: bool,
}

impl Store {
    /// Up to `per_partition` live jobs of each partition (the soonest due first), with the fields
    /// the API shows.
    pub async fn running_jobs(&self, per_partition: usize) -> StoreResult<Running> {
        let reads = (0..self.keys.partitions()).map(|partition| async move {
            let mut conn = self.conn().await?;
            let ids: Vec<String> = redis::cmd("ZRANGE")
                .arg(self.keys.schedule(partition))
                .arg(0)
                .arg(per_partition)
                .query_async(&mut conn)
                .await?;
            let truncated = ids.len() > per_partition;
            let ids = &ids[..ids.len().min(per_partition)];
            let mut pipe = redis::pipe();
            for id in ids {
                pipe.cmd("HMGET")
                    .arg(self.keys.job(partition, id))
                    .arg(API_FIELDS);
            }
            let values: Vec<Vec<Option<String>>> = if ids.is_empty() {
                Vec::new()
            } else {
                pipe.query_async(&mut conn).await?
            };
            let jobs: Vec<Job> = ids
                .iter()
                .zip(values)
                .map(|(id, values)| Job {
                    id: id.clone(),
                    fields: API_FIELDS
                        .iter()
                        .zip(values)
                        .filter_map(|(name, value)| Some(((*name).to_owned(), value?)))
                        .collect(),
                })
                // A job stored before `state` existed is left out of the list (it still runs).
                .filter(|job| job.get(crate::store::layout::field::STATE).is_some())
                .collect();
            StoreResult::Ok((jobs, truncated))
        });
        let mut running = Running {
            jobs: Vec::new(),
            truncated: false,
        };
        for (jobs, truncated) in futures_util::future::try_join_all(reads).await? {
            running.jobs.extend(jobs);
            running.truncated |= truncated;
        }
        Ok(running)
    }
}
