//! `Idempotency-Key` on submissions: the first request with a key reserves it for the job it
//! creates, for 24 hours; a repeat within that time finds the job instead of creating another.

use std::time::Duration;

use redis::AsyncCommands;

use super::{Store, StoreResult};

/// How long a key stays bound to its job.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The job an idempotency key is already bound to, and the fingerprint of the request that bound it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    pub job_id: String,
    pub fingerprint: String,
}

impl Store {
    /// Binds `key` (within `scope`: a tenant, or the operator) to `job_id`, unless it is bound
    /// already: then the earlier binding.
    pub async fn bind_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        job_id: &str,
        fingerprint: &str,
    ) -> StoreResult<Option<Bound>> {
        let redis_key = self.keys.idempotency(scope, key);
        let mut conn = self.conn().await?;
        let value = format!("{job_id} {fingerprint}");
        let set: Option<String> = redis::cmd("SET")
            .arg(&redis_key)
            .arg(&value)
            .arg("NX")
            .arg("EX")
            .arg(IDEMPOTENCY_WINDOW.as_secs())
            .query_async(&mut conn)
            .await?;
        if set.is_some() {
            return Ok(None);
        }
        let existing: Option<String> = conn.get(&redis_key).await?;
        Ok(existing.and_then(|v| {
            let (job_id, fingerprint) = v.split_once(' ')?;
            Some(Bound {
                job_id: job_id.to_owned(),
                fingerprint: fingerprint.to_owned(),
            })
        }))
    }

    /// Releases a key whose job could not be created.
    pub async fn unbind_idempotency_key(&self, scope: &str, key: &str) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        conn.del::<_, ()>(self.keys.idempotency(scope, key)).await?;
        Ok(())
    }
}
