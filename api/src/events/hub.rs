//! The process's one follower of the live streams, and the subscribers it feeds.
//!
//! On the first subscription the hub starts, on a thread of its own, one task per partition that
//! follows that partition's live stream (`Store::follow_live`: a blocking read on a connection of
//! its own) and hands each event to the subscribers it concerns: those of its job, of its tenant,
//! and of every job (the operator). Redis is asked once per event batch and process, never per
//! client: 10,000 clients of one job cost what one does. An event's body is read only when some
//! subscriber wants it.
//!
//! Each subscriber has a bounded queue. One that falls behind by a whole queue (a client reading
//! slower than events come) is dropped, which ends its response: the client reconnects with its
//! `Last-Event-ID` and resumes without loss, from Redis, instead of holding memory here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use relay_shared::store::live::{LiveEntry, Position};
use relay_shared::store::Store;
use tokio::sync::mpsc;

/// Events a subscriber may have waiting before it is dropped.
const QUEUE: usize = 1024;
/// One blocking read's longest wait (below the Redis reply timeout).
const BLOCK: Duration = Duration::from_secs(4);
/// After a failed read, the follower waits this long before trying again.
const RETRY: Duration = Duration::from_secs(1);

/// One event as subscribers get it.
#[derive(Debug)]
pub struct LiveEvent {
    pub entry: LiveEntry,
    /// The webhook body.
    pub body: String,
}

/// What a subscriber wants.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Interest {
    Job(String),
    Tenant(String),
    Everything,
}

type Queue = mpsc::Sender<Arc<LiveEvent>>;

#[derive(Default)]
struct Subscribers {
    by_interest: HashMap<Interest, Vec<(u64, Queue)>>,
}

impl Subscribers {
    fn wants(&self, entry: &LiveEntry) -> bool {
        let job = Interest::Job(entry.job_id.clone());
        self.by_interest.contains_key(&job)
            || self.by_interest.contains_key(&Interest::Everything)
            || entry
                .tenant
                .as_ref()
                .is_some_and(|t| self.by_interest.contains_key(&Interest::Tenant(t.clone())))
    }

    /// Hands `event` to everyone it concerns; drops those whose queue is full or gone.
    fn deliver(&mut self, event: &Arc<LiveEvent>) {
        let entry = &event.entry;
        let mut concerned = vec![Interest::Job(entry.job_id.clone()), Interest::Everything];
        if let Some(tenant) = &entry.tenant {
            concerned.push(Interest::Tenant(tenant.clone()));
        }
        for interest in concerned {
            let Some(queues) = self.by_interest.get_mut(&interest) else {
                continue;
            };
            queues.retain(|(_, queue)| queue.try_send(event.clone()).is_ok());
            if queues.is_empty() {
                self.by_interest.remove(&interest);
            }
        }
    }
}

pub struct Hub {
    store: Store,
    subscribers: Mutex<Subscribers>,
    next_id: AtomicU64,
    started: OnceLock<()>,
}

/// A subscriber's end: its events, in stream order per partition. `None` from `next` means the
/// hub dropped it (it fell behind): end the response.
pub struct Subscription {
    hub: Arc<Hub>,
    id: u64,
    interest: Interest,
    events: mpsc::Receiver<Arc<LiveEvent>>,
}

impl Subscription {
    pub async fn next(&mut self) -> Option<Arc<LiveEvent>> {
        self.events.recv().await
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut subscribers = self.hub.lock();
        if let Some(queues) = subscribers.by_interest.get_mut(&self.interest) {
            queues.retain(|(id, _)| *id != self.id);
            if queues.is_empty() {
                subscribers.by_interest.remove(&self.interest);
            }
        }
    }
}

impl Hub {
    pub fn new(store: Store) -> Arc<Self> {
        Arc::new(Self {
            store,
            subscribers: Mutex::default(),
            next_id: AtomicU64::new(0),
            started: OnceLock::new(),
        })
    }

    /// Subscribes to the events of `interest` announced from now on.
    pub fn subscribe(self: &Arc<Self>, interest: Interest) -> Subscription {
        self.started.get_or_init(|| self.start());
        let (queue, events) = mpsc::channel(QUEUE);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock()
            .by_interest
            .entry(interest.clone())
            .or_default()
            .push((id, queue));
        Subscription {
            hub: self.clone(),
            id,
            interest,
            events,
        }
    }

    /// Ends every subscription (the process is stopping): their streams end, their clients
    /// reconnect to another process and resume there.
    pub fn close_all(&self) {
        self.lock().by_interest.clear();
    }

    /// How many subscribers are connected now.
    pub fn subscribers(&self) -> usize {
        self.lock().by_interest.values().map(Vec::len).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Subscribers> {
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts following every partition, on a thread of its own (the API's workers each run a
    /// runtime of their own; the followers belong to none of them).
    fn start(self: &Arc<Self>) {
        let hub = self.clone();
        let spawned = std::thread::Builder::new()
            .name("live-events".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the live-event followers");
                runtime.block_on(async move {
                    let partitions = hub.store.keys().partitions();
                    let followers = (0..partitions).map(|p| tokio::spawn(hub.clone().follow(p)));
                    futures_util::future::join_all(followers).await;
                });
            });
        if let Err(e) = spawned {
            tracing::error!("could not start the live-event followers: {e}");
        }
    }

    /// Follows one partition's live stream for as long as the process runs, from its end when it
    /// starts (subscribers catch up on what came before from Redis themselves).
    async fn follow(self: Arc<Self>, partition: u16) {
        let mut after = loop {
            match self.store.live_ends().await {
                Ok(ends) => break ends[usize::from(partition)],
                Err(e) => {
                    tracing::warn!(partition, "live events: cannot read the stream's end ({e})");
                    tokio::time::sleep(RETRY).await;
                }
            }
        };
        let mut follower = self.store.follow_live(partition);
        let mut failing = false;
        loop {
            let entries = match follower.next(after, BLOCK).await {
                Ok(entries) => entries,
                Err(e) => {
                    if !failing {
                        tracing::warn!(
                            partition,
                            "live events: cannot read the stream ({e}); retrying"
                        );
                    }
                    failing = true;
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            failing = false;
            let Some(last) = entries.last() else {
                continue;
            };
            let next_after: Position = last.position;
            let wanted: Vec<LiveEntry> = {
                let subscribers = self.lock();
                entries
                    .into_iter()
                    .filter(|e| subscribers.wants(e))
                    .collect()
            };
            if !wanted.is_empty() {
                match self.store.live_bodies(partition, &wanted).await {
                    Ok(bodies) => {
                        let mut subscribers = self.lock();
                        for (entry, body) in wanted.into_iter().zip(bodies) {
                            // A job that expired since has no body to send.
                            let Some(body) = body else { continue };
                            subscribers.deliver(&Arc::new(LiveEvent { entry, body }));
                        }
                    }
                    Err(e) => {
                        // Read again from the same place: nothing is skipped.
                        tracing::warn!(
                            partition,
                            "live events: cannot read the bodies ({e}); retrying"
                        );
                        tokio::time::sleep(RETRY).await;
                        continue;
                    }
                }
            }
            after = next_after;
        }
    }
}
