//! Webhook delivery: claimed events are POSTed to the receiver, signed, one job's events in
//! sequence order, different jobs' events concurrently. Each event is attempted once (the original
//! system's behaviour); a failure is logged and the job's state stays readable at the status
//! endpoint.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{stream, StreamExt};
use relay_shared::store::{Claimed, Queue};
use relay_shared::time::now_unix_secs;
use relay_shared::webhook::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use secrecy::{ExposeSecret, SecretString};
use tracing::{info, warn};

use crate::Worker;

/// The delivery fields a claim returns, in this order.
pub const CLAIM_FIELDS: &[&str] = &["job", "seq", "body"];

/// Posts signed webhook bodies to one URL.
pub struct WebhookSender {
    client: reqwest::Client,
    secret: Option<SecretString>,
}

impl WebhookSender {
    pub fn new(secret: Option<&str>, timeout: Duration) -> reqwest::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("sora-relay/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            secret: secret.map(|s| SecretString::from(s.to_owned())),
        })
    }

    /// One attempt. `Ok(status)` for a 2xx answer, `Err(reason)` otherwise.
    pub async fn send(&self, url: &str, body: &str) -> Result<u16, String> {
        let mut request = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header(TIMESTAMP_HEADER, now_unix_secs().to_string())
            .body(body.to_owned());
        if let Some(secret) = &self.secret {
            request = request.header(
                SIGNATURE_HEADER,
                sign(secret.expose_secret().as_bytes(), body.as_bytes()),
            );
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(response.status().as_u16()),
            Ok(response) => Err(format!("receiver answered {}", response.status())),
            Err(e) if e.is_timeout() => Err("timed out".into()),
            Err(e) if e.is_connect() => Err("could not connect".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

struct Delivery {
    partition: u16,
    id: String,
    job: String,
    seq: u64,
    body: String,
}

impl Worker {
    /// Delivers a claimed batch; returns how many events were attempted.
    pub(crate) async fn deliver_batch(&self, items: Vec<(u16, Claimed)>, token: &str) -> usize {
        let mut by_job: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
        for (partition, item) in items {
            let mut values = item.values.into_iter();
            let mut next = || values.next().flatten().unwrap_or_default();
            let (job, seq, body) = (next(), next().parse().unwrap_or(0), next());
            by_job.entry(job.clone()).or_default().push(Delivery {
                partition,
                id: item.id,
                job,
                seq,
                body,
            });
        }
        let attempted = by_job.values().map(Vec::len).sum();
        stream::iter(by_job.into_values())
            .for_each_concurrent(
                self.inner.settings.webhook_concurrency,
                |mut events| async move {
                    events.sort_by_key(|d| d.seq);
                    for delivery in events {
                        self.deliver(delivery, token).await;
                    }
                },
            )
            .await;
        attempted
    }

    async fn deliver(&self, delivery: Delivery, token: &str) {
        if let Some(url) = self.inner.settings.webhook_url() {
            let attempt = self.inner.webhooks.send(url, &delivery.body);
            let outcome = self
                .holding_lease(
                    Queue::Deliveries,
                    delivery.partition,
                    &delivery.id,
                    token,
                    attempt,
                )
                .await;
            match outcome {
                Ok(status) => {
                    info!(job = %delivery.job, seq = delivery.seq, "   ✅ Webhook sent: {url} ({status})")
                }
                Err(reason) => {
                    warn!(job = %delivery.job, seq = delivery.seq, "   ⚠️ Webhook failed: {url}: {reason}")
                }
            }
        }
        match self
            .inner
            .store
            .finish_delivery(delivery.partition, &delivery.id, token)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                warn!(job = %delivery.job, "delivery {} was re-claimed by another worker after its lease ran out", delivery.id)
            }
            Err(e) => {
                warn!(job = %delivery.job, "could not mark delivery {} done (it may be sent again): {e}", delivery.id)
            }
        }
    }
}
