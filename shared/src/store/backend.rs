//! One Redis server or a Redis Cluster, behind one connection type.
//!
//! A single server is reached through a pool of multiplexed connections (a pooled connection is
//! exclusive while held, so blocking waits take one of their own). A cluster is reached through
//! one multiplexed cluster connection for everything, plus a dedicated one for blocking waits (a
//! blocking command would stall every request to its node on a shared connection). Connections are
//! made on first use, so processes start while Redis is down and recover when it is back.

use std::sync::Arc;
use std::time::Duration;

use deadpool_redis::{Manager, Pool, Runtime};
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, Cmd, Pipeline, RedisFuture, Value};
use tokio::sync::{Mutex, OnceCell};

use super::StoreResult;
use crate::config::Settings;

/// How long any reply may take before the connection is given up as broken. Blocking waits stay
/// below it.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub enum Backend {
    Single(Pool),
    Cluster(Arc<Cluster>),
}

pub struct Cluster {
    client: ClusterClient,
    shared: OnceCell<ClusterConnection>,
    blocking: Mutex<Option<ClusterConnection>>,
}

/// A connection to either kind of deployment.
pub enum Conn {
    Single(deadpool_redis::Connection),
    /// A clone of a pooled connection's multiplexed handle, for requests sent side by side.
    Shared(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl Clone for Conn {
    fn clone(&self) -> Self {
        match self {
            Conn::Single(c) => Conn::Shared((**c).clone()),
            Conn::Shared(c) => Conn::Shared(c.clone()),
            Conn::Cluster(c) => Conn::Cluster(c.clone()),
        }
    }
}

impl Backend {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let urls: Vec<&str> = settings.redis_urls().collect();
        if settings.is_redis_cluster() {
            let client = ClusterClient::builder(urls)
                .connection_timeout(CONNECT_TIMEOUT)
                .response_timeout(RESPONSE_TIMEOUT)
                .build()?;
            return Ok(Self::Cluster(Arc::new(Cluster {
                client,
                shared: OnceCell::new(),
                blocking: Mutex::new(None),
            })));
        }
        let limit = Some(CONNECT_TIMEOUT);
        let connection = AsyncConnectionConfig::new()
            .set_connection_timeout(limit)
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let manager = Manager::new_with_config(urls[0], connection)?;
        let pool = Pool::builder(manager)
            .max_size(settings.redis_pool_size)
            .wait_timeout(limit)
            .create_timeout(limit)
            .recycle_timeout(limit)
            .runtime(Runtime::Tokio1)
            .build()?;
        Ok(Self::Single(pool))
    }

    pub async fn conn(&self) -> StoreResult<Conn> {
        Ok(match self {
            Backend::Single(pool) => Conn::Single(pool.get().await?),
            Backend::Cluster(cluster) => Conn::Cluster(
                cluster
                    .shared
                    .get_or_try_init(|| cluster.client.get_async_connection())
                    .await?
                    .clone(),
            ),
        })
    }

    /// Runs `wait` (a blocking command) on a connection no one else is using.
    pub async fn blocking<T>(
        &self,
        wait: impl AsyncFnOnce(&mut Conn) -> StoreResult<T>,
    ) -> StoreResult<T> {
        match self {
            Backend::Single(_) => wait(&mut self.conn().await?).await,
            Backend::Cluster(cluster) => {
                let mut slot = cluster.blocking.lock().await;
                let conn = match slot.take() {
                    Some(conn) => conn,
                    None => cluster.client.get_async_connection().await?,
                };
                let mut conn = Conn::Cluster(conn);
                let result = wait(&mut conn).await;
                if result.is_ok() {
                    if let Conn::Cluster(conn) = conn {
                        *slot = Some(conn);
                    }
                }
                result
            }
        }
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Shared(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Shared(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Shared(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}
