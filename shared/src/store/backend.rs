//! One Redis server or a Redis Cluster, behind one connection type.
//!
//! Every ordinary request goes over one multiplexed connection per process (a `ConnectionManager`
//! for a server, a `ClusterConnection` for a cluster): concurrent requests are pipelined on it,
//! and it reconnects by itself after Redis restarts. Blocking waits get a connection of their own,
//! since a blocking command would hold up every request queued behind it. Connections are made on
//! first use, so processes start while Redis is down.
//!
//! A request on the shared connection that finds it broken (Redis restarted, the connection was
//! reset) is sent once more, on the connection the manager makes anew, when sending it twice is
//! harmless ([`safe_to_repeat`]): otherwise the first request after every Redis restart would
//! fail, since a broken connection is found only by the request that meets it.
//!
//! Why not a pool (deadpool-redis): its checkout pings the server every time (UNWATCH + PING), one
//! extra round trip per request; with it W1 ran at 6.5k poll cycles/s on this machine.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, Pipeline, RedisFuture, Value};
use tokio::sync::{Mutex, OnceCell};

use super::StoreResult;
use crate::config::RedisSettings;

/// How long any reply may take before the connection is given up as broken. Blocking waits stay
/// below it.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub enum Backend {
    Single(Arc<Single>),
    Cluster(Arc<Cluster>),
}

pub struct Single {
    client: Client,
    shared: OnceCell<ConnectionManager>,
    blocking: Mutex<Option<MultiplexedConnection>>,
}

pub struct Cluster {
    client: ClusterClient,
    shared: OnceCell<ClusterConnection>,
    blocking: Mutex<Option<ClusterConnection>>,
}

/// A connection to either kind of deployment.
#[derive(Clone)]
pub enum Conn {
    Shared(ConnectionManager),
    Dedicated(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl Backend {
    pub fn new(settings: &RedisSettings) -> anyhow::Result<Self> {
        let urls: Vec<&str> = settings.urls().collect();
        if settings.is_cluster() {
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
        Ok(Self::Single(Arc::new(Single {
            client: Client::open(urls[0])?,
            shared: OnceCell::new(),
            blocking: Mutex::new(None),
        })))
    }

    pub async fn conn(&self) -> StoreResult<Conn> {
        Ok(match self {
            Backend::Single(single) => Conn::Shared(
                single
                    .shared
                    .get_or_try_init(|| {
                        let config = ConnectionManagerConfig::new()
                            .set_connection_timeout(Some(CONNECT_TIMEOUT))
                            .set_response_timeout(Some(RESPONSE_TIMEOUT));
                        ConnectionManager::new_with_config(single.client.clone(), config)
                    })
                    .await?
                    .clone(),
            ),
            Backend::Cluster(cluster) => Conn::Cluster(
                cluster
                    .shared
                    .get_or_try_init(|| cluster.client.get_async_connection())
                    .await?
                    .clone(),
            ),
        })
    }

    /// A connection of its own, for a caller that blocks on it again and again (a stream
    /// follower): made now, used by no one else.
    pub async fn dedicated(&self) -> StoreResult<Conn> {
        Ok(match self {
            Backend::Single(single) => {
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT));
                Conn::Dedicated(
                    single
                        .client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await?,
                )
            }
            Backend::Cluster(cluster) => {
                Conn::Cluster(cluster.client.get_async_connection().await?)
            }
        })
    }

    /// Runs `wait` (a blocking command) on a connection no one else is using; a connection that
    /// failed is made anew next time.
    pub async fn blocking<T>(
        &self,
        wait: impl AsyncFnOnce(&mut Conn) -> StoreResult<T>,
    ) -> StoreResult<T> {
        match self {
            Backend::Single(single) => {
                let mut slot = single.blocking.lock().await;
                let conn = match slot.take() {
                    Some(conn) => conn,
                    None => {
                        let config = AsyncConnectionConfig::new()
                            .set_connection_timeout(Some(CONNECT_TIMEOUT))
                            .set_response_timeout(Some(RESPONSE_TIMEOUT));
                        single
                            .client
                            .get_multiplexed_async_connection_with_config(&config)
                            .await?
                    }
                };
                let mut conn = Conn::Dedicated(conn);
                let result = wait(&mut conn).await;
                if let (Ok(_), Conn::Dedicated(conn)) = (&result, conn) {
                    *slot = Some(conn);
                }
                result
            }
            Backend::Cluster(cluster) => {
                let mut slot = cluster.blocking.lock().await;
                let conn = match slot.take() {
                    Some(conn) => conn,
                    None => cluster.client.get_async_connection().await?,
                };
                let mut conn = Conn::Cluster(conn);
                let result = wait(&mut conn).await;
                if let (Ok(_), Conn::Cluster(conn)) = (&result, conn) {
                    *slot = Some(conn);
                }
                result
            }
        }
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Shared(c) => Box::pin(async move {
                match c.req_packed_command(cmd).await {
                    Err(e) if is_broken_connection(&e) && safe_to_repeat(cmd) => {
                        tracing::debug!("redis connection broke ({e}); sending again on a new one");
                        c.req_packed_command(cmd).await
                    }
                    other => other,
                }
            }),
            Conn::Dedicated(c) => c.req_packed_command(cmd),
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
            Conn::Shared(c) => Box::pin(async move {
                match c.req_packed_commands(pipeline, offset, count).await {
                    Err(e)
                        if is_broken_connection(&e) && pipeline.cmd_iter().all(safe_to_repeat) =>
                    {
                        tracing::debug!("redis connection broke ({e}); sending again on a new one");
                        c.req_packed_commands(pipeline, offset, count).await
                    }
                    other => other,
                }
            }),
            Conn::Dedicated(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Shared(c) => c.get_db(),
            Conn::Dedicated(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// The connection is gone (the server closed it, or it was reset), so the request got no answer
/// and the manager is connecting anew. Not a timeout: a request that timed out may still run.
fn is_broken_connection(e: &redis::RedisError) -> bool {
    e.is_unrecoverable_error() && !e.is_timeout()
}

/// Whether running `cmd` a second time is harmless should its first run have happened after all
/// (the server executed it, then died before answering): every read, every write that sets a
/// value, and the scripts whose second run finds the first one's effect
/// ([`super::scripts::is_repeatable`]). Not `SET … NX`, whose second run would find itself.
fn safe_to_repeat(cmd: &Cmd) -> bool {
    let mut args = cmd.args_iter().filter_map(|arg| match arg {
        redis::Arg::Simple(bytes) => Some(bytes),
        _ => None,
    });
    let Some(name) = args.next() else {
        return false;
    };
    if name.eq_ignore_ascii_case(b"EVALSHA") {
        return args.next().is_some_and(super::scripts::is_repeatable);
    }
    if name.eq_ignore_ascii_case(b"SET") {
        return !args.any(|a| a.eq_ignore_ascii_case(b"NX"));
    }
    true
}
