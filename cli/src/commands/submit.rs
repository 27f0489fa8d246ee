//! `relayctl submit "prompt" [--wait] [--download FILE]`: submits a job; with `--wait`, follows it
//! on its event stream (a progress bar at a terminal, a line per change elsewhere, the event
//! bodies with `--json`), reconnecting with `Last-Event-ID` if the stream breaks, and ends with the
//! video's link — and the video itself with `--download`, checked against its SHA-256 when the
//! relay keeps it. Exit code: 0 completed, 1 failed or timed out, 2 when it could not tell.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::client::{shown, Client};
use crate::events::EventStream;
use crate::output::{self, paint, text, BOLD, DIM, GOOD};

/// How often a broken event stream is reopened before giving up.
const RECONNECTS: u32 = 30;

#[derive(clap::Args)]
pub struct Submit {
    /// What the video shows (the prompt; the original API's `script`).
    prompt: String,
    /// The provider (default: the relay's PROVIDER).
    #[arg(long)]
    provider: Option<String>,
    /// The model (default: the provider's).
    #[arg(long)]
    model: Option<String>,
    /// The video's length in seconds.
    #[arg(long)]
    seconds: Option<String>,
    /// The video's size, WIDTHxHEIGHT (1280x720).
    #[arg(long)]
    size: Option<String>,
    /// Where this job's webhooks go (default: the tenant's or the relay's).
    #[arg(long)]
    webhook_url: Option<String>,
    /// The original API's walletAddress: who asked.
    #[arg(long, default_value = "relayctl")]
    wallet: String,
    /// Follow the job until it ends; exit 0 only if it completed.
    #[arg(long)]
    wait: bool,
    /// Once completed, download the video to this file (needs --wait).
    #[arg(long, requires = "wait", value_name = "FILE")]
    download: Option<PathBuf>,
}

impl Submit {
    pub async fn run(self, client: &Client, json: bool) -> anyhow::Result<ExitCode> {
        let mut body = json!({
            "walletAddress": self.wallet,
            "script": self.prompt,
            "renderVersion": "v3",
        });
        for (key, value) in [
            ("provider", &self.provider),
            ("model", &self.model),
            ("seconds", &self.seconds),
            ("size", &self.size),
            ("webhookUrl", &self.webhook_url),
        ] {
            if let Some(value) = value {
                body[key] = json!(value);
            }
        }
        let accepted = client.post("/api/generate", &body).await?;
        let job = accepted["jobId"]
            .as_str()
            .context("the relay answered without a jobId")?
            .to_owned();
        if json {
            output::json(&accepted);
        } else {
            output::line(format!("{} job {}", paint(GOOD, "✔"), paint(BOLD, &job)));
        }
        if !self.wait {
            return Ok(ExitCode::SUCCESS);
        }
        let last = follow(client, &job, json).await?;
        let status = text(&last, "status");
        if status != "completed" {
            if !json {
                let why = last["error"].as_str().unwrap_or("no reason given");
                output::line(format!("{} {status}: {why}", paint(output::BAD, "✘")));
            }
            return Ok(ExitCode::from(1));
        }
        let link = last["videoUrl"].as_str().map(str::to_owned);
        if !json {
            match &link {
                Some(link) => output::line(format!("{} {link}", paint(GOOD, "▶"))),
                None => output::line(paint(DIM, "completed, without a video link")),
            }
        }
        if let (Some(file), Some(link)) = (&self.download, &link) {
            download(client, link, file, last["contentSha256"].as_str(), json).await?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Follows the job's events to its final one, which it returns.
async fn follow(client: &Client, job: &str, json: bool) -> anyhow::Result<Value> {
    let bar = Bar::new(job, json);
    let mut last_id: Option<String> = None;
    let mut last_event = Value::Null;
    let mut reconnects = 0;
    loop {
        let headers: Vec<(&str, String)> = last_id
            .iter()
            .map(|id| ("last-event-id", id.clone()))
            .collect();
        let opened = client
            .open(&format!("/api/videos/{job}/events"), &headers)
            .await;
        let mut stream = match opened {
            Ok(response) => EventStream::new(response),
            Err(e) if reconnects < RECONNECTS && last_id.is_some() => {
                reconnects += 1;
                bar.note(&format!("reconnecting ({e})"));
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        while let Some(frame) = stream.next().await {
            let Ok(event) = serde_json::from_str::<Value>(&frame.data) else {
                continue;
            };
            last_id = frame.id.clone();
            if json {
                output::json(&event);
            }
            bar.show(&event);
            last_event = event;
        }
        if is_final(&last_event) {
            bar.finish(&last_event);
            return Ok(last_event);
        }
        // The stream broke (the API process stopped): resume where it was, on any process.
        reconnects += 1;
        anyhow::ensure!(
            reconnects <= RECONNECTS,
            "the job's event stream kept breaking; `relayctl status {job}` tells where it is"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn is_final(event: &Value) -> bool {
    matches!(
        event["status"].as_str(),
        Some("completed" | "failed" | "timeout" | "cancelled")
    )
}

/// The job's progress: an indicatif bar at a terminal, a line per change of status elsewhere.
struct Bar {
    bar: ProgressBar,
    started: Instant,
    last_status: std::cell::RefCell<String>,
    quiet: bool,
}

impl Bar {
    /// `quiet`: no bar and no lines (the events are printed as JSON instead).
    fn new(job: &str, quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(100)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner:.cyan} {prefix:.bold} [{bar:40.cyan/blue}] {pos:>3}% {msg} ({elapsed})",
            )
            .expect("a valid template")
            .progress_chars("█▉▊▋▌▍▎▏ "),
        );
        bar.set_prefix(short(job));
        bar.set_message("queued");
        bar.enable_steady_tick(Duration::from_millis(120));
        Self {
            bar,
            started: Instant::now(),
            last_status: std::cell::RefCell::new(String::new()),
            quiet,
        }
    }

    fn show(&self, event: &Value) {
        let status = text(event, "status");
        let progress = event["progress"].as_u64().unwrap_or(0);
        self.bar.set_position(progress);
        let estimated = event["progressSource"] == "estimated";
        self.bar.set_message(if estimated {
            format!("{status} (estimated)")
        } else {
            status.clone()
        });
        // Without a terminal the bar is hidden: a line per change of status says the same.
        if self.bar.is_hidden() && !self.quiet && *self.last_status.borrow() != status {
            output::line(format!(
                "{} {}",
                output::status(&status),
                paint(DIM, format!("{progress}%"))
            ));
        }
        *self.last_status.borrow_mut() = status;
    }

    fn note(&self, message: &str) {
        self.bar.set_message(message.to_owned());
    }

    fn finish(&self, event: &Value) {
        let status = text(event, "status");
        self.bar.finish_with_message(format!(
            "{} in {:.1}s",
            status,
            self.started.elapsed().as_secs_f64()
        ));
    }
}

/// The first block of a job id, enough to tell jobs apart on screen.
pub fn short(job: &str) -> String {
    job.split('-').next().unwrap_or(job).to_owned()
}

/// Downloads the video to `file` with a bar of bytes; checks its SHA-256 when the relay gave one.
async fn download(
    client: &Client,
    link: &str,
    file: &PathBuf,
    sha256: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let response = client.open(link, &[]).await?;
    let bar = ProgressBar::new(response.content_length().unwrap_or(0));
    bar.set_style(
        ProgressStyle::with_template("  {bytes}/{total_bytes} [{bar:40.green}] {bytes_per_sec}")
            .expect("a valid template"),
    );
    let partial = file.with_extension("part");
    let mut out = tokio::fs::File::create(&partial)
        .await
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let mut body = response.bytes_stream();
    let mut hasher = Sha256::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.with_context(|| format!("the download from {} broke", shown(link)))?;
        hasher.update(&chunk);
        out.write_all(&chunk).await?;
        bar.inc(chunk.len() as u64);
    }
    out.flush().await?;
    drop(out);
    bar.finish_and_clear();
    let got = hex::encode(hasher.finalize());
    if let Some(want) = sha256 {
        anyhow::ensure!(
            got == want,
            "the downloaded video's sha256 is {got}, the relay's record says {want}: not kept"
        );
    }
    tokio::fs::rename(&partial, file).await?;
    if json {
        output::json(&json!({ "downloaded": file, "sha256": got }));
    } else {
        let checked = if sha256.is_some() {
            ", sha256 checked"
        } else {
            ""
        };
        output::line(format!("{} {}{checked}", paint(GOOD, "⬇"), file.display()));
    }
    Ok(())
}
