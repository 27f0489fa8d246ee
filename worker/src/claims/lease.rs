//! Keeping claims alive and handing them back.
//!
//! A claim lasts one lease (`JOB_LEASE_MS`). Work that may outlast it — a slow provider call, a
//! slow receiver — runs under [`Worker::holding_lease`], which renews the lease every third of its
//! length, so a live worker never loses a job to another one. What is still in flight when a
//! worker stops is recorded in [`Held`] and handed back due at once.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use relay_shared::store::{JobRef, Queue};
use tracing::{info, warn};

use crate::Worker;

pub(crate) type Key = (Queue, JobRef);

/// The claims this process holds right now.
#[derive(Default)]
pub struct Held {
    claims: Mutex<HashMap<Key, Arc<str>>>,
}

/// Removes its claim from [`Held`] when the work ends, however it ends.
pub struct Tracked {
    registry: Arc<Held>,
    key: Key,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.key);
    }
}

impl Held {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<str>>> {
        self.claims.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn track(self: &Arc<Self>, queue: Queue, item: &JobRef, token: Arc<str>) -> Tracked {
        let key = (queue, item.clone());
        self.lock().insert(key.clone(), token);
        Tracked {
            registry: self.clone(),
            key,
        }
    }

    /// Forgets and returns the claims held on `queue`.
    fn take(&self, queue: Queue) -> Vec<(Key, Arc<str>)> {
        let mut claims = self.lock();
        let keys: Vec<Key> = claims.keys().filter(|k| k.0 == queue).cloned().collect();
        keys.into_iter()
            .filter_map(|k| claims.remove_entry(&k))
            .collect()
    }
}

impl Worker {
    /// Runs `work` while renewing the lease on one claimed item.
    pub(crate) async fn holding_lease<T>(
        &self,
        queue: Queue,
        item: &JobRef,
        token: &str,
        work: impl Future<Output = T>,
    ) -> T {
        let lease = self.lease();
        let mut renewals =
            tokio::time::interval_at(tokio::time::Instant::now() + lease / 3, lease / 3);
        tokio::pin!(work);
        loop {
            tokio::select! {
                output = &mut work => return output,
                _ = renewals.tick() => {
                    match self.inner.store.renew(queue, item, token, lease).await {
                        Ok(true) => {}
                        Ok(false) => warn!(%item, "lease lost while working; the result will be refused"),
                        Err(e) => warn!(%item, "could not renew lease: {e}"),
                    }
                }
            }
        }
    }

    /// Forgets the claims still held on `queue`, for [`Worker::hand_back`] once their work stopped.
    pub(crate) fn take_claims(&self, queue: Queue) -> Vec<(Key, Arc<str>)> {
        self.inner.held.take(queue)
    }

    /// Hands claims back to their queues, due now.
    pub(crate) async fn hand_back(&self, held: Vec<(Key, Arc<str>)>) {
        if held.is_empty() {
            return;
        }
        let mut released = 0;
        for ((queue, item), token) in held {
            match self.inner.store.release(queue, &item, &token).await {
                Ok(true) => released += 1,
                Ok(false) => {}
                Err(e) => {
                    warn!(%item, "could not hand back (its lease will expire instead): {e}")
                }
            }
        }
        info!("handed back {released} unfinished item(s) for other workers");
    }
}
