//! Kept videos in Redis: when each job's outputs are to be deleted (`CONTENT_RETENTION_DAYS`), as
//! one more lease queue per partition — `{pN}:content_deletions`, scored by the deletion time, one
//! small `{pN}:kept:<jobId>` hash per job (how many outputs) — claimed and fenced like the job
//! schedule and the delivery queue: O(log n) per job, no scans. And the mark a job gets once its
//! content is gone.

use std::time::Duration;

use super::{scripts, JobRef, Store, StoreResult};

impl Store {
    /// Schedules the deletion of `job`'s `outputs` kept outputs `retention` from now.
    pub async fn schedule_deletion(
        &self,
        job: &JobRef,
        outputs: usize,
        retention: Duration,
    ) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        let _: i64 = scripts::SCHEDULE_DELETION
            .key(self.keys.content_deletions(job.partition))
            .key(self.keys.kept(job.partition, &job.id))
            .arg(&job.id)
            .arg(outputs)
            .arg(retention.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Records that `job`'s kept outputs are deleted: by the retention worker holding `token`,
    /// or (`token` empty) by the API. False when the worker's claim was lost.
    pub async fn content_deleted(&self, job: &JobRef, token: &str) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let done: i64 = scripts::CONTENT_DELETED
            .key(self.keys.content_deletions(job.partition))
            .key(self.keys.kept(job.partition, &job.id))
            .key(self.keys.job(job.partition, &job.id))
            .arg(&job.id)
            .arg(token)
            .invoke_async(&mut conn)
            .await?;
        Ok(done == 1)
    }
}
