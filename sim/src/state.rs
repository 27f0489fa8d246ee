//! The simulator's memory: videos in creation order, and counters that tests read back.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde::Serialize;

use crate::config::{Faults, SimConfig};
use crate::video::VideoRecord;

pub struct SimState {
    pub config: SimConfig,
    /// Webhooks posted to the development sink.
    pub sink: crate::sink::Sink,
    /// The simulated providers' signing keys for their callbacks.
    pub signers: crate::callbacks::Signers,
    /// The client callbacks are sent with.
    pub http: reqwest::Client,
    faults: std::sync::RwLock<Faults>,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    videos: HashMap<String, VideoRecord>,
    order: Vec<String>,
    counters: Counters,
    callbacks: Vec<crate::callbacks::SentCallback>,
    /// Videos cancelled, with when.
    cancelled: HashMap<String, u64>,
}

/// What tests and benchmarks read from `GET /sim/stats`.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    pub creates: u64,
    pub retrieves: u64,
    pub lists: u64,
    pub injected_429: u64,
    pub injected_5xx: u64,
    pub injected_quota: u64,
    /// Webhooks posted to the development sink at `/sim/webhooks`.
    pub webhooks_received: u64,
    /// Provider callbacks sent (each attempt).
    pub callbacks_sent: u64,
    pub cancels: u64,
    /// Downloads of a video's content begun, and sent in full.
    #[serde(default)]
    pub downloads_begun: u64,
    #[serde(default)]
    pub downloads_finished: u64,
    /// Videos created per prompt: more than one for a prompt means a duplicate submission.
    pub creates_by_prompt: BTreeMap<String, u64>,
}

pub struct NewVideo {
    pub model: String,
    pub prompt: String,
    pub seconds: String,
    pub size: String,
    pub remixed_from: Option<String>,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

impl SimState {
    pub fn new(config: SimConfig) -> anyhow::Result<Self> {
        Ok(Self {
            faults: std::sync::RwLock::new(config.faults()),
            signers: crate::callbacks::Signers::from_config(&config)?,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()?,
            config,
            sink: crate::sink::Sink::default(),
            inner: Mutex::default(),
        })
    }

    pub fn record_callback(&self, sent: crate::callbacks::SentCallback) {
        let mut inner = self.lock();
        inner.counters.callbacks_sent += 1;
        inner.callbacks.push(sent);
    }

    /// Every callback sent, oldest first.
    pub fn callbacks(&self) -> Vec<crate::callbacks::SentCallback> {
        self.lock().callbacks.clone()
    }

    /// Cancels a video that has not finished: `false` when it has (or does not exist).
    pub fn cancel(&self, id: &str) -> bool {
        let now = now_ms();
        let mut inner = self.lock();
        inner.counters.cancels += 1;
        let live = inner.videos.get(id).is_some_and(|v| !v.is_finished(now));
        if live {
            inner.cancelled.entry(id.to_owned()).or_insert(now);
        }
        live
    }

    pub fn is_cancelled(&self, id: &str) -> bool {
        self.lock().cancelled.contains_key(id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.write().unwrap_or_else(|p| p.into_inner()) = faults;
    }

    /// Every video, oldest first (for tests: what the provider saw, in order).
    pub fn all_videos(&self) -> Vec<VideoRecord> {
        let inner = self.lock();
        inner
            .order
            .iter()
            .map(|id| inner.videos[id].clone())
            .collect()
    }

    pub fn create(&self, new: NewVideo) -> VideoRecord {
        let mut rng = rand::rng();
        let c = &self.config;
        let max = c.running_ms_max.unwrap_or(c.running_ms).max(c.running_ms);
        let record = VideoRecord {
            id: format!("video_{}", hex::encode(rng.random::<[u8; 24]>())),
            created_ms: now_ms(),
            queued_ms: c.queued_ms,
            running_ms: running_ms_asked(&new.prompt)
                .unwrap_or_else(|| rng.random_range(c.running_ms..=max)),
            fails: new.prompt.contains("sim:fail")
                || rng.random_bool(c.failure_rate.clamp(0.0, 1.0)),
            model: new.model,
            prompt: new.prompt,
            seconds: new.seconds,
            size: new.size,
            remixed_from: new.remixed_from,
        };
        let mut inner = self.lock();
        inner.counters.creates += 1;
        *inner
            .counters
            .creates_by_prompt
            .entry(record.prompt.clone())
            .or_default() += 1;
        inner.order.push(record.id.clone());
        inner.videos.insert(record.id.clone(), record.clone());
        record
    }

    /// A video as the simulator itself reads it (its callbacks): not a client's request.
    pub fn peek(&self, id: &str) -> Option<VideoRecord> {
        self.lock().videos.get(id).cloned()
    }

    pub fn get(&self, id: &str) -> Option<VideoRecord> {
        let mut inner = self.lock();
        inner.counters.retrieves += 1;
        inner.videos.get(id).cloned()
    }

    /// Removes a finished video; `Err(true)` when it exists but is not finished.
    pub fn delete(&self, id: &str) -> Result<(), bool> {
        let mut inner = self.lock();
        match inner.videos.get(id) {
            None => Err(false),
            Some(v) if !v.is_finished(now_ms()) => Err(true),
            Some(_) => {
                inner.videos.remove(id);
                inner.order.retain(|other| other != id);
                Ok(())
            }
        }
    }

    /// A page of videos: newest first (`desc`) or oldest first, after the cursor id.
    pub fn list(
        &self,
        after: Option<&str>,
        limit: usize,
        descending: bool,
    ) -> (Vec<VideoRecord>, bool) {
        let mut inner = self.lock();
        inner.counters.lists += 1;
        let ordered: Vec<&String> = if descending {
            inner.order.iter().rev().collect()
        } else {
            inner.order.iter().collect()
        };
        let start = after
            .and_then(|cursor| ordered.iter().position(|id| *id == cursor))
            .map_or(0, |i| i + 1);
        let page: Vec<VideoRecord> = ordered
            .iter()
            .skip(start)
            .take(limit)
            .map(|id| inner.videos[*id].clone())
            .collect();
        let has_more = ordered.len() > start + page.len();
        (page, has_more)
    }

    pub fn count_fault(&self, code: &str) {
        let mut inner = self.lock();
        match code {
            "rate_limit_exceeded" => inner.counters.injected_429 += 1,
            "insufficient_quota" => inner.counters.injected_quota += 1,
            _ => inner.counters.injected_5xx += 1,
        }
    }

    /// A content download begun, or (`finished`) sent in full.
    pub fn count_download(&self, finished: bool) {
        let mut inner = self.lock();
        match finished {
            true => inner.counters.downloads_finished += 1,
            false => inner.counters.downloads_begun += 1,
        }
    }

    /// Removes a video whatever its state (the provider deleted it). False when there is none.
    pub fn purge(&self, id: &str) -> bool {
        let mut inner = self.lock();
        inner.order.retain(|other| other != id);
        inner.videos.remove(id).is_some()
    }

    pub fn count_webhook(&self) {
        self.lock().counters.webhooks_received += 1;
    }

    pub fn counters(&self) -> Counters {
        self.lock().counters.clone()
    }
}

/// A prompt containing `sim:running_ms=<n>` runs for exactly n ms (benchmarks replay the same
/// run times under different polling policies).
fn running_ms_asked(prompt: &str) -> Option<u64> {
    let (_, rest) = prompt.split_once("sim:running_ms=")?;
    let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}
