//! The Redis store: every read and write of jobs, schedules and deliveries goes through here.
//!
//! Writes that must be atomic are Lua scripts (`src/scripts/*.lua`, one per file, each headed by its
//! KEYS, ARGV, result and the invariant it keeps). Each script touches one partition's keys only,
//! so it runs on Redis Cluster too.

mod budget;
mod jobs;
mod queue;
mod scripts;

use std::time::Duration;

use deadpool_redis::{Manager, Pool, Runtime};
use redis::AsyncConnectionConfig;

use crate::config::Settings;
use crate::keys::Keyspace;

pub use budget::{Admission, CallKind, Pause};
pub use jobs::ForcePoll;
pub use queue::{Claim, Claimed, Committed, PollCommit, Queue};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis connection pool: {0}")]
    Pool(#[from] deadpool_redis::PoolError),
    #[error("unexpected data in redis: {0}")]
    Corrupt(String),
}

impl From<redis::ParsingError> for StoreError {
    fn from(e: redis::ParsingError) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How long any reply may take before the connection is given up as broken. Blocking waits
/// (`wait_for_wake`) stay below it.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest single blocking wait.
const MAX_BLOCK: Duration = Duration::from_secs(4);

#[derive(Clone)]
pub struct Store {
    pool: Pool,
    keys: Keyspace,
    retention_secs: u64,
    /// `SORA_MAX_IN_FLIGHT`: when set, new jobs join the provider's waiting line on creation, so
    /// they are admitted in arrival order.
    in_flight_cap: u32,
}

impl Store {
    /// A pool of connections to `settings.redis_url`. Connections are made on first use, so a
    /// process starts even while Redis is down and recovers by itself when it comes back.
    pub fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let limit = Some(Duration::from_secs(2));
        let connection = AsyncConnectionConfig::new()
            .set_connection_timeout(limit)
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let manager = Manager::new_with_config(settings.redis_url.as_str(), connection)?;
        let pool = Pool::builder(manager)
            .max_size(settings.redis_pool_size)
            .wait_timeout(limit)
            .create_timeout(limit)
            .recycle_timeout(limit)
            .runtime(Runtime::Tokio1)
            .build()?;
        Ok(Self {
            pool,
            keys: Keyspace::new(settings.redis_key_prefix.clone(), settings.job_partitions),
            retention_secs: settings.job_retention_secs,
            in_flight_cap: settings.sora_max_in_flight,
        })
    }

    pub fn keys(&self) -> &Keyspace {
        &self.keys
    }

    async fn conn(&self) -> StoreResult<deadpool_redis::Connection> {
        Ok(self.pool.get().await?)
    }

    /// Round trip to Redis: is it answering?
    pub async fn ping(&self) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        redis::cmd("PING").query_async::<()>(&mut conn).await?;
        Ok(())
    }
}
