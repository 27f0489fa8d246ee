//! The Redis store: every read and write of jobs, schedules and deliveries goes through here.
//!
//! One folder per concept: `layout` (the keys and a job's hash fields), `lease` (claiming
//! due items, renewing and handing back claims), `polls` (a poll's commit, a submission's
//! record), `outbox` (webhook deliveries and their history), `jobs` (jobs as the API sees
//! them, idempotency keys), `budget` (each provider's limits), `content` (when kept videos are
//! deleted) and `tenants`. Writes that must
//! be atomic are Lua scripts beside the code that calls them (one per file, each headed by its
//! KEYS, ARGV, result and the invariant it keeps; `scripts.rs` loads them all with the shared
//! clock prelude). Each script touches one hash slot only, so it runs on Redis Cluster too.

mod backend;
mod breaker;
mod budget;
mod content;
mod health;
mod jobs;
pub mod layout;
mod lease;
pub mod live;
mod outbox;
mod polls;
pub mod provider_view;
mod runtimes;
mod scripts;
mod tenants;
mod timeline;

use std::time::Duration;

use crate::config::Settings;
use backend::Backend;
use layout::Keyspace;

pub use breaker::{AfterFailure, Circuit};
pub use budget::{Admission, CallKind, Pause};
pub use health::{ProviderWarning, Seen};
pub use jobs::{Bound, Created, ForcePoll, Idempotency, Running};
pub use layout::JobRef;
pub use lease::{Claim, ClaimFields, Claimed, Queue, QueueDepth};
pub use outbox::{DeadLetter, DeliveryHistory, DeliveryOutcome, FailingEndpoint, Requeued};
pub use polls::{Committed, PollCommit, Routing, Settle, Submission};
pub use provider_view::{ModelView, ProviderView};
pub use scripts::PRELUDE as LUA_PRELUDE;
pub use tenants::Tenant;
pub use timeline::Minute;

#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("unexpected data in redis: {0}")]
    Corrupt(String),
    /// `REDIS_WAIT_REPLICAS`: the write did not reach enough replicas in time.
    #[error("the write reached {acked} of the {wanted} replicas asked for in time")]
    NotReplicated { wanted: u32, acked: u32 },
}

impl From<redis::ParsingError> for StoreError {
    fn from(e: redis::ParsingError) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The longest single blocking wait (below the reply timeout).
const MAX_BLOCK: Duration = Duration::from_secs(4);

#[derive(Clone)]
pub struct Store {
    backend: Backend,
    keys: Keyspace,
    retention_secs: u64,
    /// How long a job can live at most: maximum age plus retention.
    job_lifetime_secs: u64,
    /// `LIVE_STREAM_LENGTH`.
    live_stream_length: u64,
    /// How long an `Idempotency-Key` stays bound to its job (`IDEMPOTENCY_WINDOW_SECS`).
    idempotency_window_secs: u64,
    /// `REDIS_WAIT_REPLICAS` and how long to wait for them.
    wait_replicas: u32,
    wait_timeout: Duration,
    /// The providers with a cap on videos in flight (`<PROVIDER>_MAX_IN_FLIGHT`): their new jobs
    /// join the provider's waiting line on creation, so they are admitted in arrival order.
    capped_providers: Vec<&'static str>,
}

impl Store {
    /// Connects (lazily) to `settings.redis`: one server, or a cluster. A process starts even
    /// while Redis is down and recovers by itself when it comes back. Besides its own group, the
    /// store keeps what its scripts need of the jobs' lifetimes and the providers' caps.
    pub fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let redis = &settings.redis;
        let polling = &settings.polling;
        Ok(Self {
            backend: Backend::new(redis)?,
            keys: Keyspace::new(redis.key_prefix.clone(), redis.partitions),
            retention_secs: polling.job_retention.as_secs(),
            job_lifetime_secs: (polling.job_max_age + polling.job_retention).as_secs(),
            live_stream_length: settings.live.stream_length,
            capped_providers: settings
                .accounts()
                .into_iter()
                .filter(|(_, account)| account.max_in_flight > 0)
                .map(|(name, _)| name)
                .collect(),
            idempotency_window_secs: settings.api.idempotency_window.as_secs(),
            wait_replicas: redis.wait_replicas,
            wait_timeout: redis.wait_timeout,
        })
    }

    pub fn keys(&self) -> &Keyspace {
        &self.keys
    }

    async fn conn(&self) -> StoreResult<backend::Conn> {
        self.backend.conn().await
    }

    /// With `REDIS_WAIT_REPLICAS` set, waits until this process's writes so far reached that many
    /// replicas (Redis `WAIT`, on the connection that made them), or fails with
    /// [`StoreError::NotReplicated`] after `REDIS_WAIT_TIMEOUT_MS`. Without it, returns at once.
    ///
    /// `WAIT` holds the connection it runs on, so while replicas lag, this process's other
    /// requests wait behind it (up to the timeout): the price of the guarantee.
    pub async fn replicated(&self) -> StoreResult<()> {
        if self.wait_replicas == 0 {
            return Ok(());
        }
        let mut conn = self.conn().await?;
        let acked: u32 = redis::cmd("WAIT")
            .arg(self.wait_replicas)
            .arg(self.wait_timeout.as_millis() as u64)
            .query_async(&mut conn)
            .await?;
        if acked < self.wait_replicas {
            return Err(StoreError::NotReplicated {
                wanted: self.wait_replicas,
                acked,
            });
        }
        Ok(())
    }

    /// Round trip to Redis: is it answering?
    pub async fn ping(&self) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        redis::cmd("PING").query_async::<()>(&mut conn).await?;
        Ok(())
    }
}
