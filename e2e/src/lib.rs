//! Test kit: each test gets its own `redis-server` on a free port, its own simulator, API and
//! webhook receiver, all over real sockets. Waiting is always for an event, with a deadline.

pub mod access;
pub mod processes;
pub mod prometheus;
pub mod receiver;
pub mod redis;
pub mod s3;
pub mod sse;
pub mod stack;
pub mod stats;

pub use receiver::{Received, Receiver};
pub use redis::{RedisCluster, RedisServer};
pub use stack::Stack;
pub use stats::Stats;

use std::future::Future;
use std::time::Duration;

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Evaluates `check` until it returns `Some`, or panics with `what` after `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
