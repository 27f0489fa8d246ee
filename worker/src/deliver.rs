//! Webhook delivery. Each job has an outbox of undelivered events; the delivery queue holds the
//! job while its outbox is not empty. A claimed outbox sends its head event, signed; the attempt's
//! outcome is recorded under the claim (delivered, retry later, or dead letter), so a job's events
//! reach the receiver in order, different jobs' events concurrently, and a dead receiver only
//! delays its own jobs' events.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{stream, StreamExt};
use rand::Rng;
use relay_shared::ssrf::{GuardedResolver, UrlGuard};
use relay_shared::store::{Claimed, DeliveryOutcome};
use relay_shared::time::now_unix_secs;
use relay_shared::webhook::{
    event_id, SigningKeys, ID_HEADER, SIGNATURE_HEADER, STANDARD_SIGNATURE_HEADER,
    STANDARD_TIMESTAMP_HEADER, TIMESTAMP_HEADER,
};
use tracing::{info, warn};

use crate::Worker;

/// The outbox fields a claim returns, in this order.
pub const CLAIM_FIELDS: &[&str] = &["pending", "attempts", "url"];

/// Header carrying the event's per-job sequence number: it only grows, so a receiver can drop
/// an event older than one it already has.
pub const SEQUENCE_HEADER: &str = "x-sequence";

/// Why an attempt failed.
#[derive(Debug)]
pub struct Failure {
    pub status: Option<u16>,
    pub retry_after: Option<Duration>,
    pub reason: String,
    /// The URL failed the SSRF guard: retrying cannot help.
    pub refused: bool,
}

/// Where an event goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination<'a> {
    /// The operator's `WEBHOOK_URL`: trusted.
    Operator(&'a str),
    /// A client-supplied URL: vetted again now, and connected to only at vetted addresses.
    Client(&'a str),
}

/// Posts signed webhook bodies.
pub struct WebhookSender {
    trusted: reqwest::Client,
    guarded: reqwest::Client,
    guard: UrlGuard,
    keys: Option<SigningKeys>,
}

impl WebhookSender {
    pub fn new(secret: &str, allowed_nets: &str, timeout: Duration) -> anyhow::Result<Self> {
        let guard = UrlGuard::new(allowed_nets)
            .map_err(|why| anyhow::anyhow!("WEBHOOK_ALLOWED_NETS: {why}"))?;
        let client = || {
            reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("sora-relay/", env!("CARGO_PKG_VERSION")))
        };
        let trusted = client().build()?;
        let guarded = client()
            .dns_resolver(Arc::new(GuardedResolver {
                guard: guard.clone(),
            }))
            .build()?;
        let keys =
            SigningKeys::parse(secret).map_err(|why| anyhow::anyhow!("WEBHOOK_SECRET: {why}"))?;
        Ok(Self {
            trusted,
            guarded,
            guard,
            keys,
        })
    }

    /// One attempt of event `seq` of job `job`: `Ok(status)` for a 2xx answer. Redirects are
    /// failures, never followed. Signed afresh for each attempt; `webhook-id` never changes.
    pub async fn send(
        &self,
        destination: Destination<'_>,
        job: &str,
        seq: u64,
        body: &str,
    ) -> Result<u16, Failure> {
        let (client, url) = match destination {
            Destination::Operator(url) => (&self.trusted, url),
            Destination::Client(url) => {
                if let Err(why) = self.guard.vet(url).await {
                    return Err(Failure {
                        status: None,
                        retry_after: None,
                        reason: format!("webhook URL refused: {why}"),
                        refused: true,
                    });
                }
                (&self.guarded, url)
            }
        };
        let now = now_unix_secs();
        let id = event_id(job, seq);
        let mut request = client
            .post(url)
            .header("content-type", "application/json")
            .header(TIMESTAMP_HEADER, now.to_string())
            .header(SEQUENCE_HEADER, seq.to_string())
            .header(ID_HEADER, &id)
            .header(STANDARD_TIMESTAMP_HEADER, now.to_string())
            .body(body.to_owned());
        if let Some(keys) = &self.keys {
            request = request
                .header(SIGNATURE_HEADER, keys.original(body.as_bytes()))
                .header(
                    STANDARD_SIGNATURE_HEADER,
                    keys.standard(&id, now, body.as_bytes()),
                );
        }
        let failure = |status, retry_after, reason| Failure {
            status,
            retry_after,
            reason,
            refused: false,
        };
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(response.status().as_u16()),
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = matches!(status, 429 | 503)
                    .then(|| retry_after(response.headers()))
                    .flatten();
                Err(failure(
                    Some(status),
                    retry_after,
                    format!("receiver answered {}", response.status()),
                ))
            }
            Err(e) if e.is_timeout() => Err(failure(None, None, "timed out".into())),
            Err(e) if e.is_connect() => Err(failure(None, None, describe_connect_error(&e))),
            Err(e) => Err(failure(None, None, e.to_string())),
        }
    }
}

/// A connection failure, saying so when the guard refused the host at connect time.
fn describe_connect_error(e: &reqwest::Error) -> String {
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if text.contains("webhooks may not reach") {
            return format!("webhook URL refused: {text}");
        }
        source = cause.source();
    }
    "could not connect".into()
}

/// `Retry-After` in seconds (the HTTP-date form is rare for webhooks and read as absent).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs: u64 = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

/// One claimed outbox and its head event.
struct Head {
    partition: u16,
    job: String,
    seq: u64,
    attempts: u32,
    /// The job's own webhook URL, if it has one.
    url: Option<String>,
}

impl Worker {
    /// Delivers the head event of each claimed outbox; returns how many were attempted.
    pub(crate) async fn deliver_batch(
        &self,
        items: Vec<(u16, Claimed)>,
        token: &str,
        now_ms: i64,
    ) -> usize {
        let heads: Vec<Head> = items
            .into_iter()
            .map(|(partition, item)| {
                let mut values = item.values.into_iter().map(Option::unwrap_or_default);
                let pending = values.next().unwrap_or_default();
                Head {
                    partition,
                    job: item.id,
                    seq: pending
                        .split(' ')
                        .next()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0),
                    attempts: values.next().and_then(|a| a.parse().ok()).unwrap_or(0),
                    url: values.next().filter(|u| !u.is_empty()),
                }
            })
            .collect();
        let keys: Vec<(u16, &str, u64)> = heads
            .iter()
            .map(|h| (h.partition, h.job.as_str(), h.seq))
            .collect();
        let events = match self.inner.store.outbox_events(&keys).await {
            Ok(events) => events,
            Err(e) => {
                warn!("could not read webhook events ({e}); their leases will bring them back");
                return 0;
            }
        };
        let attempted = heads.len();
        stream::iter(heads.into_iter().zip(events))
            .for_each_concurrent(
                self.inner.settings.webhook_concurrency,
                |(head, event)| async move {
                    let outcome = match event {
                        Some((body, created_ms)) => {
                            self.attempt(&head, &body, created_ms, token, now_ms).await
                        }
                        // An empty outbox (its events were superseded or already delivered): clear it.
                        None => DeliveryOutcome::Delivered,
                    };
                    self.record(&head, token, &outcome).await;
                },
            )
            .await;
        self.inner.deliveries_waiting.notify_one();
        attempted
    }

    async fn attempt(
        &self,
        head: &Head,
        body: &str,
        created_ms: i64,
        token: &str,
        now_ms: i64,
    ) -> DeliveryOutcome {
        let settings = &self.inner.settings;
        let destination = match (&head.url, settings.webhook_url()) {
            (Some(own), _) => Destination::Client(own),
            (None, Some(operator)) => Destination::Operator(operator),
            (None, None) => {
                return DeliveryOutcome::Dead {
                    error: "no webhook URL configured".into(),
                }
            }
        };
        let url = match destination {
            Destination::Operator(url) | Destination::Client(url) => url,
        };
        let attempt = self
            .inner
            .webhooks
            .send(destination, &head.job, head.seq, body);
        let sent = self
            .holding_lease(
                relay_shared::store::Queue::Deliveries,
                head.partition,
                &head.job,
                token,
                attempt,
            )
            .await;
        let failure = match sent {
            Ok(status) => {
                info!(job = %head.job, seq = head.seq, "   ✅ Webhook sent: {url} ({status})");
                return DeliveryOutcome::Delivered;
            }
            Err(failure) => failure,
        };
        let attempts = head.attempts + 1;
        let window = Duration::from_secs(settings.webhook_retry_window_secs);
        let age = Duration::from_millis(now_ms.saturating_sub(created_ms).max(0) as u64);
        let out_of_attempts =
            settings.webhook_max_attempts > 0 && attempts >= settings.webhook_max_attempts;
        let gone = failure.status == Some(410) || failure.refused;
        if out_of_attempts || gone || age >= window {
            let error = format!("{} after {attempts} attempt(s)", failure.reason);
            warn!(job = %head.job, seq = head.seq, "   ☠️ Webhook given up: {url}: {error}");
            return DeliveryOutcome::Dead { error };
        }
        // The receiver's own Retry-After wins over our schedule (bounded by the retry window).
        let after = match failure.retry_after {
            Some(asked) => asked.min(window),
            None => self.retry_wait(head.attempts),
        };
        warn!(job = %head.job, seq = head.seq, "   ⚠️ Webhook failed: {url}: {} (attempt {attempts}); retrying in {after:?}", failure.reason);
        DeliveryOutcome::Retry { after }
    }

    /// Exponential backoff from `webhook_retry_initial_ms`, doubled per attempt, ±25% jitter.
    fn retry_wait(&self, previous_attempts: u32) -> Duration {
        let settings = &self.inner.settings;
        let base = settings
            .webhook_retry_initial_ms
            .saturating_mul(1u64 << previous_attempts.min(32))
            .min(settings.webhook_retry_max_ms);
        let jitter = rand::rng().random_range(0.75..1.25);
        Duration::from_millis((base as f64 * jitter) as u64)
    }

    async fn record(&self, head: &Head, token: &str, outcome: &DeliveryOutcome) {
        let store = &self.inner.store;
        match store
            .finish_delivery(head.partition, &head.job, token, head.seq, outcome)
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
