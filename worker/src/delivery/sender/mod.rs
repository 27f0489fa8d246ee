//! Sending one webhook attempt: the signed request (both schemes), the trusted client for the
//! operator's URL and the guarded one for client-supplied URLs, and what the receiver answered.

use std::sync::Arc;
use std::time::Duration;

use relay_shared::config::WebhookSettings;
use relay_shared::ssrf::{GuardedResolver, UrlGuard, UrlRefusal};
use relay_shared::time::now_unix_secs;
use relay_shared::webhook::{
    event_id, SigningKeys, ID_HEADER, SIGNATURE_HEADER, STANDARD_SIGNATURE_HEADER,
    STANDARD_TIMESTAMP_HEADER, TIMESTAMP_HEADER,
};
use secrecy::ExposeSecret;

/// Header carrying the event's per-job sequence number: it only grows, so a receiver can drop
/// an event older than one it already has.
pub const SEQUENCE_HEADER: &str = "x-sequence";

/// How much of a receiver's answer the attempt log keeps.
const RESPONSE_LOG_LIMIT: usize = 4096;

/// A 2xx answer.
#[derive(Debug)]
pub struct Sent {
    pub status: u16,
    pub response: String,
}

/// Why an attempt failed.
#[derive(Debug, Default)]
pub struct Failure {
    pub status: Option<u16>,
    pub retry_after: Option<Duration>,
    pub reason: String,
    /// The URL failed the SSRF guard: retrying cannot help.
    pub refused: bool,
    pub response: String,
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
    /// The sender the webhook settings describe.
    pub fn from_settings(settings: &WebhookSettings) -> anyhow::Result<Self> {
        Self::new(
            settings.secret.expose_secret(),
            &settings.allowed_nets,
            settings.timeout,
        )
    }

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
        // Never through a proxy from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY): the
        // proxy would resolve the host itself, past the guard, and DNS rebinding would reach
        // loopback or metadata addresses.
        let guarded = client()
            .no_proxy()
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
    /// `keys` replaces the global `WEBHOOK_SECRET` (a tenant's own secret).
    pub async fn send(
        &self,
        destination: Destination<'_>,
        keys: Option<&SigningKeys>,
        job: &str,
        seq: u64,
        body: &str,
    ) -> Result<Sent, Failure> {
        let (client, url) = match destination {
            Destination::Operator(url) => (&self.trusted, url),
            Destination::Client(url) => {
                match self.guard.vet(url).await {
                    Ok(_) => {}
                    Err(UrlRefusal::Refused(why)) => {
                        return Err(Failure {
                            reason: format!("webhook URL refused: {why}"),
                            refused: true,
                            ..Failure::default()
                        })
                    }
                    // A lookup that failed may work later (a DNS blip): an ordinary retry.
                    Err(UrlRefusal::Unresolved(why)) => {
                        return Err(Failure {
                            reason: why,
                            ..Failure::default()
                        })
                    }
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
        if let Some(keys) = keys.or(self.keys.as_ref()) {
            request = request
                .header(SIGNATURE_HEADER, keys.original(body.as_bytes()))
                .header(
                    STANDARD_SIGNATURE_HEADER,
                    keys.standard(&id, now, body.as_bytes()),
                );
        }
        let failure = |reason| Failure {
            reason,
            ..Failure::default()
        };
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(Sent {
                status: response.status().as_u16(),
                response: snippet(response).await,
            }),
            Ok(response) => {
                let status = response.status();
                let retry_after = matches!(status.as_u16(), 429 | 503)
                    .then(|| retry_after(response.headers()))
                    .flatten();
                Err(Failure {
                    status: Some(status.as_u16()),
                    retry_after,
                    reason: format!("receiver answered {status}"),
                    refused: false,
                    response: snippet(response).await,
                })
            }
            Err(e) if e.is_timeout() => Err(failure("timed out".into())),
            Err(e) if e.is_connect() => Err(failure(describe_connect_error(&e))),
            Err(e) => Err(failure(e.to_string())),
        }
    }
}

/// The start of a receiver's answer, for the attempt log.
async fn snippet(mut response: reqwest::Response) -> String {
    let mut kept = Vec::new();
    while kept.len() < RESPONSE_LOG_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            _ => break,
        }
    }
    kept.truncate(RESPONSE_LOG_LIMIT);
    String::from_utf8_lossy(&kept).into_owned()
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

#[cfg(test)]
mod tests;
