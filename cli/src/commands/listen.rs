//! `relayctl listen`: a webhook receiver on this machine, for development — what the original
//! needed ngrok and an express server for. Every request is verified with both signature schemes
//! and printed readably (or as JSON); `--save DIR` keeps each as a file `verify` reads;
//! `--forward URL` passes it on, headers and body unchanged, to your own handler and answers the
//! relay with that handler's status (so the relay's retries follow your handler).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

use super::verify::TOLERANCE_SECS;
use crate::output::{self, paint, text, BAD, BOLD, DIM, GOOD, WARN};
use crate::saved::{Checks, Request};

#[derive(clap::Args)]
pub struct Listen {
    /// The port to listen on (127.0.0.1).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// The webhook secret(s) to verify with (the relay's WEBHOOK_SECRET, or the tenant's).
    #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Pass every webhook on to this URL and answer with its status.
    #[arg(long, value_name = "URL")]
    forward: Option<String>,
    /// Keep every request as a file in this folder (`relayctl verify FILE` checks it again).
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
}

struct Receiver {
    secret: Option<String>,
    forward: Option<String>,
    save: Option<PathBuf>,
    json: bool,
    http: reqwest::Client,
    received: AtomicU64,
}

impl Listen {
    pub async fn run(self, json: bool) -> anyhow::Result<ExitCode> {
        if let Some(dir) = &self.save {
            std::fs::create_dir_all(dir)?;
        }
        let receiver = Arc::new(Receiver {
            secret: self.secret.filter(|s| !s.is_empty()),
            forward: self.forward,
            save: self.save,
            json,
            http: reqwest::Client::new(),
            received: AtomicU64::new(0),
        });
        let server = HttpServer::new({
            let receiver = receiver.clone();
            move || {
                App::new()
                    .app_data(web::Data::new(receiver.clone()))
                    .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
                    .default_service(web::to(receive))
            }
        })
        .workers(1)
        .bind(("127.0.0.1", self.port))
        .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{}: {e}", self.port))?
        .run();
        if !json {
            output::line(format!(
                "{} listening on {} {}",
                paint(GOOD, "●"),
                paint(BOLD, format!("http://127.0.0.1:{}", self.port)),
                paint(
                    DIM,
                    "(set it as WEBHOOK_URL or a job's webhookUrl; Ctrl-C to stop)"
                )
            ));
            if receiver.secret.is_none() {
                output::line(paint(
                    WARN,
                    "no --secret (or WEBHOOK_SECRET): signatures are not checked",
                ));
            }
            if let Some(url) = &receiver.forward {
                output::line(format!("  forwarding to {url}"));
            }
        }
        server.await?;
        Ok(ExitCode::SUCCESS)
    }
}

async fn receive(
    receiver: web::Data<Arc<Receiver>>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    if request.method() != actix_web::http::Method::POST {
        return HttpResponse::MethodNotAllowed()
            .insert_header(("Allow", "POST"))
            .body("relayctl listen takes webhooks: POST\n");
    }
    let n = receiver.received.fetch_add(1, Ordering::Relaxed) + 1;
    let saved = Request {
        method: request.method().to_string(),
        path: request.uri().to_string(),
        headers: request
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect(),
        body: body.to_vec(),
    };
    let now = chrono::Utc::now();
    let checks = receiver
        .secret
        .as_deref()
        .and_then(|secret| saved.check(secret, now.timestamp()).ok());
    let file = receiver.save.as_ref().map(|dir| {
        let id = saved
            .header("webhook-id")
            .unwrap_or("request")
            .replace(['/', '\\'], "_");
        dir.join(format!("{n:05}-{id}.http"))
    });
    if let Some(file) = &file {
        if let Err(e) = std::fs::write(file, saved.to_bytes()) {
            output::error(&format!("cannot save {}: {e}", file.display()));
        }
    }
    let forwarded = match &receiver.forward {
        Some(url) => Some(forward(&receiver.http, url, &saved).await),
        None => None,
    };
    let event: Value = serde_json::from_slice(&saved.body).unwrap_or(Value::Null);
    if receiver.json {
        output::json(&json!({
            "receivedAt": now.to_rfc3339(),
            "path": saved.path,
            "webhookId": saved.header("webhook-id"),
            "xSignature": checks.as_ref().and_then(|c| c.original),
            "webhookSignature": checks.as_ref().and_then(|c| c.standard),
            "event": event,
            "forwarded": forwarded.as_ref().map(|f| f.as_ref().map_err(String::clone)),
            "savedAs": file,
        }));
    } else {
        print(&now, &saved, &event, checks.as_ref(), &forwarded);
    }
    match forwarded {
        Some(Ok(status)) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY),
        )
        .finish(),
        Some(Err(_)) => HttpResponse::BadGateway().finish(),
        None => HttpResponse::Ok().finish(),
    }
}

/// Passes the request on with its headers (those a webhook carries) and body: the status.
async fn forward(http: &reqwest::Client, url: &str, request: &Request) -> Result<u16, String> {
    let mut outgoing = http.post(url).body(request.body.clone());
    for (name, value) in &request.headers {
        if name.starts_with("x-")
            || name.starts_with("webhook-")
            || name == "content-type"
            || name == "user-agent"
        {
            outgoing = outgoing.header(name, value);
        }
    }
    outgoing
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| format!("{url}: {e}"))
}

fn print(
    now: &chrono::DateTime<chrono::Utc>,
    request: &Request,
    event: &Value,
    checks: Option<&Checks>,
    forwarded: &Option<Result<u16, String>>,
) {
    let verdict = match checks {
        None => paint(DIM, "unchecked"),
        Some(c) if c.all_good() => {
            let old = c.age.is_some_and(|a| a.as_secs() > TOLERANCE_SECS);
            paint(
                if old { WARN } else { GOOD },
                if old {
                    "✔ signed (but old)"
                } else {
                    "✔ signed"
                },
            )
        }
        Some(c) => paint(
            BAD,
            format!(
                "✘ bad signature (x-signature {}, webhook-signature {})",
                mark(c.original),
                mark(c.standard)
            ),
        ),
    };
    let what = if event.is_null() {
        format!(
            "{} {} ({} bytes)",
            request.method,
            request.path,
            request.body.len()
        )
    } else {
        let mut what = format!(
            "{} {} {}%",
            paint(BOLD, text(event, "jobId")),
            output::status(&text(event, "status")),
            text(event, "progress")
        );
        if let Some(error) = event["error"].as_str() {
            what.push_str(&format!("  {}", paint(BAD, error)));
        }
        if let Some(url) = event["videoUrl"].as_str() {
            what.push_str(&format!("\n           ▶ {url}"));
        }
        what
    };
    let sequence = request
        .header("x-sequence")
        .map(|s| format!("#{s} "))
        .unwrap_or_default();
    output::line(format!(
        "{} {sequence}{what}  {verdict}",
        paint(DIM, now.format("%H:%M:%S"))
    ));
    match forwarded {
        Some(Ok(status)) => output::line(format!("           → forwarded: {status}")),
        Some(Err(e)) => output::line(paint(BAD, format!("           → not forwarded: {e}"))),
        None => {}
    }
}

fn mark(result: Option<bool>) -> &'static str {
    match result {
        Some(true) => "ok",
        Some(false) => "wrong",
        None => "absent",
    }
}
