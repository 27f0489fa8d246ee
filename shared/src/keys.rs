//! The Redis key layout.
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
//! | `<prefix>:gone:<sha256(url)>` | string | a receiver URL that answered 410 Gone: deliveries to it stop |
//! | `<prefix>:wake` | list | wake-up tokens for idle workers (single key, any slot) |
//! | `<prefix>:{budget}:provider` | hash | the global provider request budget and its pauses |
//! | `<prefix>:{budget}:in_flight` | zset | jobs running at the provider, under `SORA_MAX_IN_FLIGHT` |
//! | `<prefix>:{budget}:waiting` | zset | jobs waiting for a provider slot, oldest first |

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

    pub fn events(&self, partition: u16, job_id: &str) -> String {
        format!("{}{job_id}", self.events_prefix(partition))
    }

    pub fn events_prefix(&self, partition: u16) -> String {
        format!("{}:events:", self.tag(partition))
    }

    pub fn attempt_log(&self, partition: u16, job_id: &str) -> String {
        format!("{}:log:{job_id}", self.tag(partition))
    }

    pub fn dead_letters(&self, partition: u16) -> String {
        format!("{}:dead", self.tag(partition))
    }

    pub fn dead_letter_prefix(&self, partition: u16) -> String {
        format!("{}:dead:", self.tag(partition))
    }

    pub fn provider_budget(&self) -> String {
        format!("{}:{{budget}}:provider", self.prefix)
    }

    pub fn in_flight(&self) -> String {
        format!("{}:{{budget}}:in_flight", self.prefix)
    }

    pub fn waiting(&self) -> String {
        format!("{}:{{budget}}:waiting", self.prefix)
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

    /// An `Idempotency-Key` of one caller (the key itself is hashed: any length, any bytes).
    pub fn idempotency(&self, scope: &str, key: &str) -> String {
        use sha2::{Digest, Sha256};
        let digest = hex::encode(Sha256::digest(key.as_bytes()));
        format!("{}:{{idem:{scope}}}:{digest}", self.prefix)
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
}

/// A fresh job id: a random UUID, canonical hyphenated form.
pub fn new_job_id() -> String {
    Uuid::new_v4().hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_a_partition_shares_its_hash_tag() {
        let ks = Keyspace::new("relay", 16);
        let id = new_job_id();
        let p = ks.partition_of(&id).unwrap();
        let tag = format!("{{p{p}}}");
        for key in [
            ks.job(p, &id),
            ks.schedule(p),
            ks.stats(p),
            ks.deliveries(p),
            ks.outbox_prefix(p),
            ks.dead_letters(p),
            ks.dead_letter_prefix(p),
        ] {
            assert!(key.contains(&tag), "{key}");
        }
    }

    #[test]
    fn ids_spread_over_all_partitions() {
        let ks = Keyspace::new("relay", 16);
        let mut seen = [0u32; 16];
        for _ in 0..4000 {
            seen[ks.partition_of(&new_job_id()).unwrap() as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 150), "{seen:?}");
    }

    #[test]
    fn foreign_ids_have_no_partition() {
        let ks = Keyspace::new("relay", 16);
        assert_eq!(ks.partition_of("job-123"), None);
        assert_eq!(ks.partition_of("../../etc"), None);
        let upper = new_job_id().to_uppercase();
        assert_eq!(ks.partition_of(&upper), None);
    }
}
