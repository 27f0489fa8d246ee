//! The Redis key layout, and the fields of a job's hash ([`field`]).
//!
//! Jobs are spread over `job_partitions` partitions by their id. Every key of a partition carries
//! the hash tag `{pN}`, so each Lua script touches a single hash slot and a Redis Cluster spreads
//! partitions over its shards:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `<prefix>:{pN}:job:<jobId>` | hash | one job |
//! | `<prefix>:{pN}:schedule` | zset | every live job, scored by next-poll time (= lease end while claimed) |
//! | `<prefix>:{pN}:stats` | hash | status counters, changed by the same scripts that change statuses |
//! | `<prefix>:{pN}:deliveries` | zset | jobs with undelivered webhook events, scored by next attempt |
//! | `<prefix>:{pN}:outbox:<jobId>` | hash | a job's undelivered events, in order (`pending`), and its retry state |
//! | `<prefix>:{pN}:events:<jobId>` | hash | every event of a job (for the attempt log and redelivery) |
//! | `<prefix>:{pN}:log:<jobId>` | list | a job's delivery attempts, newest last (JSON) |
//! | `<prefix>:{pN}:dead` | zset | dead-lettered events (`<jobId>:<seq>`), scored by when they died |
//! | `<prefix>:{pN}:dead:<jobId>:<seq>` | hash | one dead-lettered event |
//! | `<prefix>:{pN}:dead_by_tenant:<tenantId>` | zset | a tenant's dead letters (as in `dead`), what it lists and counts; expires with its newest |
//! | `<prefix>:{pN}:content_deletions` | zset | jobs whose kept videos are to be deleted, scored by when (`CONTENT_RETENTION_DAYS`) |
//! | `<prefix>:{pN}:kept:<jobId>` | hash | how many outputs of a job are kept, until they are deleted (outlives the job) |
//! | `<prefix>:gone:<sha256(url)>` | string | a receiver URL that answered 410 Gone: deliveries to it stop |
//! | `<prefix>:{pN}:idem:<sha256(scope, key)>` | string | an `Idempotency-Key`'s job and request fingerprint, in its job's partition |
//! | `<prefix>:{t:<tenantId>}:active` | zset | a tenant's jobs holding an active-job place (`TENANT_MAX_ACTIVE_JOBS`) |
//! | `<prefix>:wake` | list | wake-up tokens for idle workers (single key, any slot) |
//! | `<prefix>:{provider:<name>}:budget` | hash | a provider's request budget and its pauses |
//! | `<prefix>:{provider:<name>}:in_flight` | zset | jobs running at a provider, under its in-flight cap (`SORA_MAX_IN_FLIGHT` for `openai`) |
//! | `<prefix>:{provider:<name>}:waiting` | zset | jobs waiting for a slot at a provider, oldest first |
//! | `<prefix>:{provider:<name>}:runtimes` | hash | each model's recent run time (ms), for progress estimates |

pub mod field;
mod providers;

use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct Keyspace {
    prefix: String,
    partitions: u16,
}

impl Keyspace {
    pub fn new(prefix: impl Into<String>, partitions: u16) -> Self {
        assert!(partitions > 0, "at least one partition");
        Self {
            prefix: prefix.into(),
            partitions,
        }
    }

    pub fn partitions(&self) -> u16 {
        self.partitions
    }

    /// The partition a job id lives in, or `None` when the id is not one we could have issued.
    /// The job with this id, in its partition; `None` for an id no job can have.
    pub fn job_ref(&self, job_id: &str) -> Option<JobRef> {
        Some(JobRef::new(self.partition_of(job_id)?, job_id))
    }

    pub fn partition_of(&self, job_id: &str) -> Option<u16> {
        let id = Uuid::try_parse(job_id).ok()?;
        // A canonical id only: `job_id` is used verbatim in keys.
        if id.hyphenated().to_string() != job_id {
            return None;
        }
        let high = u32::from_be_bytes(id.as_bytes()[..4].try_into().ok()?);
        Some((high % u32::from(self.partitions)) as u16)
    }

    fn tag(&self, partition: u16) -> String {
        format!("{}:{{p{partition}}}", self.prefix)
    }

    pub fn job_prefix(&self, partition: u16) -> String {
        format!("{}:job:", self.tag(partition))
    }

    pub fn job(&self, partition: u16, job_id: &str) -> String {
        format!("{}{job_id}", self.job_prefix(partition))
    }

    pub fn schedule(&self, partition: u16) -> String {
        format!("{}:schedule", self.tag(partition))
    }

    pub fn stats(&self, partition: u16) -> String {
        format!("{}:stats", self.tag(partition))
    }

    pub fn deliveries(&self, partition: u16) -> String {
        format!("{}:deliveries", self.tag(partition))
    }

    pub fn outbox_prefix(&self, partition: u16) -> String {
        format!("{}:outbox:", self.tag(partition))
    }

    /// A job's outbox: its undelivered events and their retry state.
    pub fn outbox(&self, partition: u16, job_id: &str) -> String {
        format!("{}{job_id}", self.outbox_prefix(partition))
    }

    pub fn events(&self, partition: u16, job_id: &str) -> String {
        format!("{}{job_id}", self.events_prefix(partition))
    }

    /// The partition's live stream: every event's job, sequence number and tenant, in commit
    /// order, for the API's event streams.
    pub fn live(&self, partition: u16) -> String {
        format!("{}:live", self.tag(partition))
    }

    pub fn events_prefix(&self, partition: u16) -> String {
        format!("{}:events:", self.tag(partition))
    }

    /// The per-minute series beside a counters hash (`count_in_minute` in prelude.lua).
    pub fn minute_of(counters: &str, minute: i64) -> String {
        format!("{counters}:m:{minute}")
    }

    pub fn attempt_log(&self, partition: u16, job_id: &str) -> String {
        format!("{}:log:{job_id}", self.tag(partition))
    }

    /// The partition's webhook endpoints failing now (`finish_delivery.lua`).
    pub fn failing_endpoints(&self, partition: u16) -> String {
        format!("{}:failing", self.tag(partition))
    }

    pub fn dead_letters(&self, partition: u16) -> String {
        format!("{}:dead", self.tag(partition))
    }

    pub fn dead_letter_prefix(&self, partition: u16) -> String {
        format!("{}:dead:", self.tag(partition))
    }

    /// A tenant's own index of its dead letters in one partition: the members and scores of the
    /// partition's set that are the tenant's (`finish_delivery.lua`, `requeue.lua`).
    pub fn tenant_dead_letters(&self, partition: u16, tenant_id: &str) -> String {
        format!("{}{tenant_id}", self.tenant_dead_letters_prefix(partition))
    }

    pub fn tenant_dead_letters_prefix(&self, partition: u16) -> String {
        format!("{}:dead_by_tenant:", self.tag(partition))
    }

    /// One dead-lettered event of a job.
    pub fn dead_letter(&self, partition: u16, job_id: &str, seq: u64) -> String {
        format!("{}{job_id}:{seq}", self.dead_letter_prefix(partition))
    }

    /// The jobs whose kept videos are to be deleted, scored by when.
    pub fn content_deletions(&self, partition: u16) -> String {
        format!("{}:content_deletions", self.tag(partition))
    }

    pub fn kept_prefix(&self, partition: u16) -> String {
        format!("{}:kept:", self.tag(partition))
    }

    /// How many outputs of a job are kept (the item of the deletion schedule).
    pub fn kept(&self, partition: u16, job_id: &str) -> String {
        format!("{}{job_id}", self.kept_prefix(partition))
    }

    /// The mark of a receiver URL that answered 410 Gone (hashed: URLs may be long or secret).
    pub fn gone(&self, url: &str) -> String {
        use sha2::{Digest, Sha256};
        format!(
            "{}:gone:{}",
            self.prefix,
            hex::encode(Sha256::digest(url.as_bytes()))
        )
    }

    pub fn wake(&self) -> String {
        format!("{}:wake", self.prefix)
    }

    /// A tenant's counters by status in one partition (beside the partition's own).
    pub fn tenant_stats(&self, partition: u16, tenant_id: &str) -> String {
        format!("{}{tenant_id}", self.tenant_stats_prefix(partition))
    }

    pub fn tenant_stats_prefix(&self, partition: u16) -> String {
        format!("{}:stats:t:", self.tag(partition))
    }

    /// The partition that holds an `Idempotency-Key` of one caller (`scope`: a tenant, or the
    /// operator) and the job it is bound to, so that binding and creating are one script.
    pub fn idempotency_partition(&self, scope: &str, key: &str) -> u16 {
        let digest = idempotency_digest(scope, key);
        let high = u32::from_be_bytes(digest[..4].try_into().expect("a SHA-256 has 32 bytes"));
        (high % u32::from(self.partitions)) as u16
    }

    /// An `Idempotency-Key` of one caller, in its partition (hashed: any length, any bytes).
    pub fn idempotency(&self, scope: &str, key: &str) -> String {
        let partition = self.idempotency_partition(scope, key);
        format!(
            "{}:idem:{}",
            self.tag(partition),
            hex::encode(idempotency_digest(scope, key))
        )
    }

    /// Where versions before the key moved into the job's partition kept it (read during the
    /// 24 hours after an upgrade, so a retry across the upgrade still finds its job).
    pub fn idempotency_before_partitions(&self, scope: &str, key: &str) -> String {
        use sha2::{Digest, Sha256};
        let digest = hex::encode(Sha256::digest(key.as_bytes()));
        format!("{}:{{idem:{scope}}}:{digest}", self.prefix)
    }

    /// The jobs of a tenant that hold one of its active-job places (zset of job ids).
    pub fn tenant_active(&self, tenant_id: &str) -> String {
        format!("{}:{{t:{tenant_id}}}:active", self.prefix)
    }

    /// A tenant's submission token bucket.
    pub fn tenant_bucket(&self, tenant_id: &str) -> String {
        format!("{}:{{t:{tenant_id}}}:bucket", self.prefix)
    }

    /// A tenant: name, webhook URL and secret (one slot for every tenant and key).
    pub fn tenant(&self, tenant_id: &str) -> String {
        format!("{}:{{tenants}}:tenant:{tenant_id}", self.prefix)
    }

    /// The ids of a tenant's live API keys (a set).
    pub fn tenant_keys(&self, tenant_id: &str) -> String {
        format!("{}:{{tenants}}:tenant:{tenant_id}:keys", self.prefix)
    }

    /// Prefix of API key records (`<prefix><key id>`: the tenant and the key's SHA-256).
    pub fn api_key_prefix(&self) -> String {
        format!("{}:{{tenants}}:key:", self.prefix)
    }

    /// One API key's record.
    pub fn api_key(&self, key_id: &str) -> String {
        format!("{}{key_id}", self.api_key_prefix())
    }
}

/// A job and the partition that holds its keys: what every per-job store call and claim names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JobRef {
    pub partition: u16,
    pub id: String,
}

impl JobRef {
    pub fn new(partition: u16, id: impl Into<String>) -> Self {
        Self {
            partition,
            id: id.into(),
        }
    }
}

impl std::fmt::Display for JobRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)
    }
}

/// A fresh job id: a random UUID, canonical hyphenated form.
pub fn new_job_id() -> String {
    Uuid::new_v4().hyphenated().to_string()
}

impl Keyspace {
    /// A fresh job id that lives in `partition`: a random UUID whose first four bytes (which
    /// choose the partition) are redrawn to land there.
    pub fn new_job_id_in(&self, partition: u16) -> String {
        let mut bytes = *Uuid::new_v4().as_bytes();
        let n = u32::from(self.partitions);
        let high = u32::from_be_bytes(bytes[..4].try_into().expect("16 bytes"));
        let moved = (high % (u32::MAX / n)) * n + u32::from(partition);
        bytes[..4].copy_from_slice(&moved.to_be_bytes());
        // The version and variant bits live in bytes 6 and 8: still a v4 UUID.
        Uuid::from_bytes(bytes).hyphenated().to_string()
    }
}

fn idempotency_digest(scope: &str, key: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(scope.as_bytes());
    hasher.update([0]);
    hasher.update(key.as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests;
