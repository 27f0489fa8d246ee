//! What this worker tells every other process about a provider's health (`store::health`): our
//! key refused, a model gone, and answers, which end those warnings. Problems are written when
//! met, answers at most every [`ANSWER_EVERY`] per provider and model, problems at most every
//! [`PROBLEM_EVERY`]: a healthy provider costs a write every half minute, a broken one a write
//! every few seconds, however many jobs call it. The first answer after a problem this worker
//! wrote is written at once, so a fixed key or a model back in service clears its warning with
//! the first call that shows it. At start-up each provider's key is checked once
//! ([`check_keys`]) and what is known is logged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use relay_shared::provider::{ProviderError, KEY_CHECK_ID};
use relay_shared::store::{CallKind, Seen, Store};
use tracing::{error, info, warn};

use super::GatedProvider;

const ANSWER_EVERY: Duration = Duration::from_secs(30);
const PROBLEM_EVERY: Duration = Duration::from_secs(5);

/// When this worker last wrote each of a provider's health fields.
pub struct HealthNotes {
    /// The last answer's write, in ms after `since`: read on every poll, so lock-free.
    answer_written_ms: AtomicU64,
    since: Instant,
    written: Mutex<HashMap<String, Instant>>,
}

impl Default for HealthNotes {
    fn default() -> Self {
        Self {
            answer_written_ms: AtomicU64::new(0),
            since: Instant::now(),
            written: Mutex::default(),
        }
    }
}

impl HealthNotes {
    /// Whether an answer (of a read) is due a write now: once per [`ANSWER_EVERY`].
    fn answer_due(&self) -> bool {
        let now = self.since.elapsed().as_millis() as u64 + ANSWER_EVERY.as_millis() as u64;
        let last = self.answer_written_ms.load(Ordering::Relaxed);
        now.saturating_sub(last) >= ANSWER_EVERY.as_millis() as u64
            && self
                .answer_written_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Whether `field` is due a write now (and if so, it counts as written).
    fn due(&self, field: &str, every: Duration) -> bool {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match written.get(field) {
            Some(at) if now.duration_since(*at) < every => false,
            _ => {
                written.insert(field.to_owned(), now);
                true
            }
        }
    }

    /// The provider answered (a create: `model` took it).
    pub async fn answered(&self, store: &Store, provider: &str, model: Option<&str>) {
        let due = match model {
            None => self.answer_due(),
            Some(model) => self.due(&format!("ok:{model}"), ANSWER_EVERY),
        };
        if due {
            if let Err(e) = store.note_provider(provider, Seen::Answer { model }).await {
                warn!(provider, "could not record the provider's answer: {e}");
            }
        }
    }

    /// The provider refused our key, or a model: recorded for every process to see.
    pub async fn failed(&self, store: &Store, provider: &str, e: &ProviderError) {
        let detail = e.to_string();
        let seen = match e {
            ProviderError::Unauthorized { .. } => Seen::KeyRefused { detail: &detail },
            ProviderError::Retired { model, .. } => Seen::Retired {
                model,
                detail: &detail,
            },
            _ => return,
        };
        // The problem's field, and the model whose answer ends it (none: the key's).
        let (field, model) = match &seen {
            Seen::Retired { model, .. } => (format!("retired:{model}"), Some(*model)),
            _ => ("auth".to_owned(), None),
        };
        if self.due(&field, PROBLEM_EVERY) {
            self.answer_due_at_once(model);
            if let Err(e) = store.note_provider(provider, seen).await {
                warn!(provider, "could not record the provider's refusal: {e}");
            }
        }
    }

    /// A problem was written: the answer that ends it — `model`'s, or any answer for the key's —
    /// is due at once.
    fn answer_due_at_once(&self, model: Option<&str>) {
        match model {
            Some(model) => {
                let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
                written.remove(&format!("ok:{model}"));
            }
            None => self.answer_written_ms.store(0, Ordering::Relaxed),
        }
    }
}

/// Checks each provider's key once (a read of a video nobody has: a working key gets a 404, a
/// refused one a 401/403), then logs every warning known of the providers — including retired
/// models other workers met.
pub async fn check_keys(store: &Store, providers: &[GatedProvider]) {
    let checks = providers.iter().map(|p| async move {
        let name = p.provider.name;
        if p.gate.budget(CallKind::Read).await.is_err() {
            return;
        }
        match p.provider.adapter.retrieve(KEY_CHECK_ID).await {
            Err(e @ ProviderError::Unauthorized { .. }) => {
                p.gate.note_error(&e).await;
            }
            Err(
                ProviderError::Unavailable { message, .. } | ProviderError::Unreachable { message },
            ) => {
                info!(provider = name, "could not check the key now: {message}");
            }
            // Any other answer: the key was taken.
            _ => p.gate.health.answered(store, name, None).await,
        }
    });
    futures_util::future::join_all(checks).await;
    let names: Vec<&str> = providers.iter().map(|p| p.provider.name).collect();
    match store.provider_warnings(&names).await {
        Ok(warnings) => {
            for w in warnings {
                match w.model {
                    None => error!(
                        "🚨 {} refuses our key: every call fails ({}) — fix its key",
                        w.provider, w.detail
                    ),
                    Some(model) => warn!(
                        "⚠️ {} no longer has model {model} (last refused {}): jobs naming it fail, or move on their route",
                        w.provider, w.last_failure_at
                    ),
                }
            }
        }
        Err(e) => warn!("could not read the providers' health: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_written_twice_a_minute_and_at_once_after_a_problem() {
        let notes = HealthNotes::default();
        assert!(notes.answer_due(), "the first answer");
        assert!(!notes.answer_due(), "not again within the half minute");
        assert!(notes.due("ok:ray-2", ANSWER_EVERY));
        assert!(!notes.due("ok:ray-2", ANSWER_EVERY));

        notes.answer_due_at_once(None);
        assert!(notes.answer_due(), "the key works again");
        assert!(
            !notes.due("ok:ray-2", ANSWER_EVERY),
            "the model's own answer is not touched"
        );

        notes.answer_due_at_once(Some("ray-2"));
        assert!(notes.due("ok:ray-2", ANSWER_EVERY), "the model is back");
        assert!(!notes.answer_due());
    }
}
