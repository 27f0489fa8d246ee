//! `Idempotency-Key` on submissions. A key lives in the partition of the job it is bound to, and
//! `create_job.lua` binds it in the same step that stores the job: a key is never bound to a job
//! that does not exist, and a job created with a key always has it bound. A repeat within
//! `IDEMPOTENCY_WINDOW_SECS` (24 hours by default) finds the job instead of creating another.

use redis::AsyncCommands;

use crate::store::{Store, StoreResult};

/// The job an idempotency key is already bound to, and the fingerprint of the request that bound it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    pub job_id: String,
    pub fingerprint: String,
}

impl Bound {
    /// The stored form: `<job id> <fingerprint>`.
    pub(crate) fn encode(job_id: &str, fingerprint: &str) -> String {
        format!("{job_id} {fingerprint}")
    }

    pub(crate) fn decode(value: &str) -> Option<Self> {
        let (job_id, fingerprint) = value.split_once(' ')?;
        Some(Self {
            job_id: job_id.to_owned(),
            fingerprint: fingerprint.to_owned(),
        })
    }
}

/// An `Idempotency-Key` sent with a submission, and what it would bind.
#[derive(Clone, Copy, Debug)]
pub struct Idempotency<'a> {
    /// Whose key: a tenant's id, or the operator's scope.
    pub scope: &'a str,
    pub key: &'a str,
    /// The request's fingerprint: the same key with another body is refused.
    pub fingerprint: &'a str,
}

impl Store {
    /// A fresh job id for a submission: in the partition of its idempotency key, when it has one.
    pub fn new_job_id(&self, idempotency: Option<&Idempotency<'_>>) -> String {
        match idempotency {
            Some(i) => self
                .keys
                .new_job_id_in(self.keys.idempotency_partition(i.scope, i.key)),
            None => crate::store::layout::new_job_id(),
        }
    }

    /// The job `idempotency`'s key is bound to already, if any: a read ahead of the creation
    /// (which checks again in the same step as it binds), so that a repeat is answered before any
    /// limit is counted. Also finds a binding made by a version that kept keys apart from their
    /// jobs (for the day after an upgrade).
    pub async fn binding(&self, idempotency: &Idempotency<'_>) -> StoreResult<Option<Bound>> {
        let (scope, key) = (idempotency.scope, idempotency.key);
        let mut conn = self.conn().await?;
        let mut value: Option<String> = conn.get(self.keys.idempotency(scope, key)).await?;
        if value.is_none() {
            value = conn
                .get(self.keys.idempotency_before_partitions(scope, key))
                .await?;
        }
        Ok(value.as_deref().and_then(Bound::decode))
    }
}
