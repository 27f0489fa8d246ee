//! A webhook receiver that checks every signature the way the original client code does:
//! `express.json()` parses the body, `JSON.stringify(req.body)` writes it again, and the hex
//! HMAC-SHA256 of that string under the shared secret must equal `x-signature`.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;
use tokio::sync::Notify;

#[derive(Clone, Debug)]
pub struct Received {
    pub body: String,
    pub json: Value,
    pub signature_ok: bool,
    pub has_timestamp: bool,
    /// The `x-sequence` header.
    pub sequence: Option<u64>,
    /// `webhook-id`, and whether the Standard Webhooks signature verified with the official
    /// `standardwebhooks` library.
    pub webhook_id: Option<String>,
    pub standard_ok: bool,
    pub at: std::time::Instant,
}

impl Received {
    pub fn job_id(&self) -> &str {
        self.json["jobId"].as_str().unwrap_or_default()
    }
    pub fn status(&self) -> &str {
        self.json["status"].as_str().unwrap_or_default()
    }
    pub fn is_final(&self) -> bool {
        matches!(
            self.status(),
            "completed" | "failed" | "timeout" | "cancelled"
        )
    }
}

/// How the receiver answers: the first `count` requests get `status` (with `headers`), the rest 200.
#[derive(Clone, Debug, Default)]
pub struct Failing {
    pub count: usize,
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
}

impl Failing {
    /// The next `count` requests are answered `status`.
    pub fn times(count: usize, status: u16) -> Self {
        Self {
            count,
            status,
            headers: Vec::new(),
        }
    }
}

#[derive(Default)]
struct Inbox {
    received: Mutex<Vec<Received>>,
    /// Requests answered with a failure, in order.
    refused: Mutex<Vec<Received>>,
    failing: Mutex<Failing>,
    arrived: Notify,
    /// Accepted final webhooks (`completed`, `failed`, `timeout`).
    finals: std::sync::atomic::AtomicUsize,
    /// How long each request is held before it is answered.
    hold: Mutex<Duration>,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: std::sync::atomic::AtomicUsize,
    peak: std::sync::atomic::AtomicUsize,
    /// Refuse one request in this many (0: none), with a 503, beside `failing`.
    refuse_every: std::sync::atomic::AtomicUsize,
    requests: std::sync::atomic::AtomicUsize,
}

pub struct Receiver {
    pub url: String,
    inbox: Arc<Inbox>,
}

impl Receiver {
    pub fn start(secret: &str) -> Self {
        Self::start_failing(secret, Failing::default())
    }

    /// A receiver that refuses its first `failing.count` requests.
    pub fn start_failing(secret: &str, failing: Failing) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://127.0.0.1:{}/webhooks/sora-status",
            listener.local_addr().unwrap().port()
        );
        let inbox = Arc::new(Inbox::default());
        *inbox.failing.lock().unwrap() = failing;
        let (state, secret) = (inbox.clone(), secret.to_owned());
        let server = HttpServer::new(move || {
            let (state, secret) = (state.clone(), secret.clone());
            App::new().route(
                "/webhooks/sora-status",
                web::post().to(move |request: HttpRequest, body: web::Bytes| {
                    let (state, secret) = (state.clone(), secret.clone());
                    async move {
                        use std::sync::atomic::Ordering::SeqCst;
                        let now = state.in_flight.fetch_add(1, SeqCst) + 1;
                        state.peak.fetch_max(now, SeqCst);
                        let hold = *state.hold.lock().unwrap();
                        if !hold.is_zero() {
                            tokio::time::sleep(hold).await;
                        }
                        state.in_flight.fetch_sub(1, SeqCst);
                        let received = check(&request, &body, &secret);
                        let nth = state.requests.fetch_add(1, SeqCst) + 1;
                        let every = state.refuse_every.load(SeqCst);
                        let refusal = {
                            let mut failing = state.failing.lock().unwrap();
                            if failing.count > 0 {
                                failing.count -= 1;
                                Some((failing.status, failing.headers.clone()))
                            } else if every > 0 && nth % every == 0 {
                                Some((503, Vec::new()))
                            } else {
                                None
                            }
                        };
                        if let Some((status, headers)) = refusal {
                            state.refused.lock().unwrap().push(received);
                            state.arrived.notify_waiters();
                            let mut response = HttpResponse::build(
                                actix_web::http::StatusCode::from_u16(status).unwrap(),
                            );
                            for (name, value) in headers {
                                response.insert_header((name, value));
                            }
                            return response.body("refused by the test receiver");
                        }
                        if received.is_final() {
                            state
                                .finals
                                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        state.received.lock().unwrap().push(received);
                        state.arrived.notify_waiters();
                        HttpResponse::Ok().json(serde_json::json!({"ok": true}))
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .disable_signals()
        .run();
        tokio::spawn(server);
        Self { url, inbox }
    }

    /// Refuses one request in `n` with a 503, for as long as it runs (0: none).
    pub fn refuse_every(&self, n: usize) {
        self.inbox
            .refuse_every
            .store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Holds each request for `hold` before answering it (a slow receiver).
    pub fn hold_each(&self, hold: Duration) {
        *self.inbox.hold.lock().unwrap() = hold;
    }

    /// The most requests that were ever being answered at once.
    pub fn peak_concurrency(&self) -> usize {
        self.inbox.peak.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Requests answered with a failure.
    pub fn refused(&self) -> Vec<Received> {
        self.inbox.refused.lock().unwrap().clone()
    }

    /// Makes the next `count` requests fail with `status`.
    pub fn fail_next(&self, failing: Failing) {
        *self.inbox.failing.lock().unwrap() = failing;
    }

    /// How many webhooks were accepted, and how many of them were final.
    pub fn counts(&self) -> (usize, usize) {
        let finals = self.inbox.finals.load(std::sync::atomic::Ordering::Relaxed);
        (self.inbox.received.lock().unwrap().len(), finals)
    }

    pub fn all(&self) -> Vec<Received> {
        self.inbox.received.lock().unwrap().clone()
    }

    pub fn for_job(&self, job_id: &str) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|r| r.job_id() == job_id)
            .collect()
    }

    /// Waits until `done` holds for what has arrived, or panics after `limit`.
    pub async fn wait_until(
        &self,
        limit: Duration,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let arrived = self.inbox.arrived.notified();
            let all = self.all();
            if done(&all) {
                return all;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!(
                    "timed out after {limit:?} waiting for {what}; received: {:#?}",
                    self.all()
                );
            }
        }
    }

    /// Waits for a terminal webhook (`completed`, `failed` or `timeout`) for each of `job_ids`.
    pub async fn wait_for_final(&self, job_ids: &[String], limit: Duration) -> Vec<Received> {
        self.wait_until(limit, "a final webhook for every job", |all| {
            job_ids.iter().all(|id| {
                all.iter().any(|r| {
                    r.job_id() == id
                        && matches!(r.status(), "completed" | "failed" | "timeout" | "cancelled")
                })
            })
        })
        .await
    }
}

fn check(request: &HttpRequest, body: &[u8], secret: &str) -> Received {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let restringified = serde_json::to_string(&json).unwrap();
    let computed = relay_shared::webhook::sign(secret.as_bytes(), restringified.as_bytes());
    Received {
        body: String::from_utf8_lossy(body).into_owned(),
        signature_ok: header("x-signature").as_deref() == Some(computed.as_str()),
        has_timestamp: header("x-timestamp").is_some(),
        sequence: header("x-sequence").and_then(|s| s.parse().ok()),
        webhook_id: header("webhook-id"),
        standard_ok: standard_key(secret)
            .verify(body, &http_headers(request))
            .is_ok(),
        at: std::time::Instant::now(),
        json,
    }
}

/// The receiver's Standard Webhooks key: `whsec_…` decoded, any other secret as its bytes.
fn standard_key(secret: &str) -> standardwebhooks::Webhook {
    match secret.strip_prefix("whsec_") {
        Some(_) => standardwebhooks::Webhook::new(secret).expect("a valid whsec_ secret"),
        None => standardwebhooks::Webhook::from_bytes(secret.as_bytes().to_vec()).unwrap(),
    }
}

/// actix's request headers as the `http` crate's map the verifier takes.
fn http_headers(request: &HttpRequest) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in request.headers() {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    headers
}
