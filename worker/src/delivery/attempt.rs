//! Webhook delivery. Each job has an outbox of undelivered events; the delivery queue holds the
//! job while its outbox is not empty. A claimed outbox sends its head event, signed; the attempt's
//! outcome is recorded under the claim (delivered, retry later, or dead letter), so a job's events
//! reach the receiver in order, different jobs' events concurrently, and a dead receiver only
//! delays its own jobs' events.

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use rand::Rng;
use relay_shared::redact;
use relay_shared::store::{ClaimFields, Claimed, DeliveryOutcome, JobRef, Queue};
use relay_shared::webhook::{AttemptEntry, AttemptOutcome};
use tokio::sync::OwnedSemaphorePermit;
use tracing::{info, warn};

use super::entry::{count, log_entry, unsent};
use super::sender::Destination;
use crate::Worker;

/// The outbox fields a claim returns, in this order.
pub const CLAIM_FIELDS: ClaimFields =
    ClaimFields::new(&["pending", "attempts", "url", "tenant", "failed"]);

/// One claimed outbox and its head event.
pub(super) struct Head {
    pub job: JobRef,
    pub seq: u64,
    attempts: u32,
    /// The job's own webhook URL, if it has one.
    url: Option<String>,
    /// The tenant that owns the job, if any: its secret signs the event.
    tenant: Option<String>,
    /// An earlier attempt from this outbox failed (`failed`, kept by `finish_delivery.lua`).
    failed: bool,
}

impl Worker {
    /// Delivers the head event of each claimed outbox; returns how many were attempted. `slots`
    /// holds one delivery slot per item, each given back as soon as its item is done.
    pub(crate) async fn deliver_batch(
        &self,
        items: Vec<Claimed>,
        token: &str,
        now_ms: i64,
        mut slots: Option<OwnedSemaphorePermit>,
    ) -> usize {
        let heads: Vec<Head> = items
            .into_iter()
            .map(|item| {
                let mut values = item.values.into_iter().map(Option::unwrap_or_default);
                let pending = values.next().unwrap_or_default();
                Head {
                    job: item.job,
                    seq: pending
                        .split(' ')
                        .next()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0),
                    attempts: values.next().and_then(|a| a.parse().ok()).unwrap_or(0),
                    url: values.next().filter(|u| !u.is_empty()),
                    tenant: values.next().filter(|t| !t.is_empty()),
                    failed: values.next().is_some_and(|f| f == "1"),
                }
            })
            .collect();
        let keys: Vec<(&JobRef, u64)> = heads.iter().map(|h| (&h.job, h.seq)).collect();
        let events = match self.inner.store.outbox_events(&keys).await {
            Ok(events) => events,
            Err(e) => {
                warn!("could not read webhook events ({e}); their leases will bring them back");
                return 0;
            }
        };
        let attempted = heads.len();
        let slots: Vec<_> = (0..attempted)
            .map(|_| slots.as_mut().and_then(|s| s.split(1)))
            .collect();
        stream::iter(heads.into_iter().zip(events).zip(slots))
            .for_each_concurrent(
                self.inner.settings.webhooks.concurrency,
                |((head, event), slot)| async move {
                    let (outcome, entry) = match event {
                        Some((body, created_ms)) => {
                            let began = Instant::now();
                            let (outcome, entry) =
                                self.attempt(&head, &body, created_ms, token, now_ms).await;
                            count(&outcome, created_ms, now_ms, began.elapsed());
                            (outcome, Some(entry))
                        }
                        // An empty outbox (its events were superseded or already delivered): clear it.
                        None => (DeliveryOutcome::Delivered, None),
                    };
                    self.record(&head, token, &outcome, entry.as_ref()).await;
                    drop(slot);
                },
            )
            .await;
        self.inner.deliveries_waiting.notify_one();
        attempted
    }

    /// One attempt at the head event: its outcome, and its entry for the attempt log.
    async fn attempt(
        &self,
        head: &Head,
        body: &str,
        created_ms: i64,
        token: &str,
        now_ms: i64,
    ) -> (DeliveryOutcome, AttemptEntry) {
        let settings = &self.inner.settings.webhooks;
        let destination = match (&head.url, settings.url.as_deref()) {
            (Some(own), _) => Destination::Client(own),
            (None, Some(operator)) => Destination::Operator(operator),
            (None, None) => return unsent(head, None, "no webhook URL configured".into(), None),
        };
        let url = match destination {
            Destination::Operator(url) | Destination::Client(url) => url,
        };
        // Logs and error texts show the URL's origin and a hash, never its credentials or tokens.
        let shown = redact::url(url);
        match self.inner.store.is_gone(url).await {
            Ok(true) => {
                let error = format!("{shown} answered 410 Gone earlier: deliveries to it are stopped until a redelivery is requested");
                warn!(job = %head.job, seq = head.seq, "   ☠️ Webhook not sent: {error}");
                return unsent(head, Some(destination), error, None);
            }
            Ok(false) => {}
            Err(e) => warn!("could not check whether {shown} is gone: {e}"),
        }
        let tenant_keys = match &head.tenant {
            Some(tenant) => match self.inner.signing_keys.get(tenant).await {
                Ok(keys) => keys,
                Err(e) => {
                    // Never sign a tenant's event with the wrong secret: try again later.
                    let error = format!("could not read the tenant's webhook secret: {e}");
                    return unsent(head, Some(destination), error, Some(settings.retry_initial));
                }
            },
            None => None,
        };
        let started = Instant::now();
        let attempt = self.inner.webhooks.send(
            destination,
            tenant_keys.as_deref(),
            &head.job.id,
            head.seq,
            body,
        );
        let sent = self
            .holding_lease(Queue::Deliveries, &head.job, token, attempt)
            .await;
        let took = started.elapsed();
        let failure = match sent {
            Ok(sent) => {
                info!(job = %head.job, seq = head.seq, "   ✅ Webhook sent: {shown} ({})", sent.status);
                let entry = log_entry(
                    head,
                    Some(destination),
                    Some(sent.status),
                    took,
                    None,
                    &sent.response,
                    AttemptOutcome::Delivered,
                );
                return (DeliveryOutcome::Delivered, entry);
            }
            Err(failure) => failure,
        };
        let attempts = head.attempts + 1;
        let window = settings.retry_window;
        let age = Duration::from_millis(now_ms.saturating_sub(created_ms).max(0) as u64);
        let out_of_attempts = settings.max_attempts > 0 && attempts >= settings.max_attempts;
        let gone = failure.status == Some(410) || failure.refused;
        if failure.status == Some(410) {
            if let Err(e) = self.inner.store.mark_gone(url, window).await {
                warn!("could not record that {shown} is gone: {e}");
            }
        }
        let (outcome, verdict) = if out_of_attempts || gone || age >= window {
            let error = format!("{} after {attempts} attempt(s)", failure.reason);
            warn!(job = %head.job, seq = head.seq, "   ☠️ Webhook given up: {shown}: {error}");
            (DeliveryOutcome::Dead { error }, AttemptOutcome::Dead)
        } else {
            // The receiver's own Retry-After wins over our schedule (bounded by the retry window).
            let after = match failure.retry_after {
                Some(asked) => asked.min(window),
                None => self.retry_wait(head.attempts),
            };
            warn!(job = %head.job, seq = head.seq, "   ⚠️ Webhook failed: {shown}: {} (attempt {attempts}); retrying in {after:?}", failure.reason);
            let retry = DeliveryOutcome::Retry {
                after,
                asked_by_receiver: failure.retry_after.is_some(),
            };
            (retry, AttemptOutcome::Retry)
        };
        let entry = log_entry(
            head,
            Some(destination),
            failure.status,
            took,
            Some(&failure.reason),
            &failure.response,
            verdict,
        );
        (outcome, entry)
    }

    /// Exponential backoff from `webhook_retry_initial_ms`, doubled per attempt, ±25% jitter.
    fn retry_wait(&self, previous_attempts: u32) -> Duration {
        let settings = &self.inner.settings.webhooks;
        let base = (settings.retry_initial.as_millis() as u64)
            .saturating_mul(1u64 << previous_attempts.min(32))
            .min(settings.retry_max.as_millis() as u64);
        let jitter = rand::rng().random_range(0.75..1.25);
        Duration::from_millis((base as f64 * jitter) as u64)
    }

    async fn record(
        &self,
        head: &Head,
        token: &str,
        outcome: &DeliveryOutcome,
        entry: Option<&AttemptEntry>,
    ) {
        let store = &self.inner.store;
        match store
            .finish_delivery(
                &head.job,
                token,
                head.seq,
                outcome,
                entry,
                head.attempts > 0 || head.failed,
            )
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                warn!(job = %head.job, "webhook outbox was re-claimed by another worker after its lease ran out")
            }
            Err(e) => {
                warn!(job = %head.job, "could not record the webhook attempt (it may be sent again): {e}")
            }
        }
    }
}
