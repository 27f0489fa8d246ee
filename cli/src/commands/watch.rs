//! `relayctl watch`: a live table of running jobs — one row per job with its provider, model,
//! status and a progress bar — fed by the tenant-wide event stream (`GET /api/events`). It starts
//! from the oldest events the relay still keeps, so jobs already running appear at once; finished
//! jobs leave the table. With `--json`, the event bodies, one per line.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::Value;

use super::submit::short;
use crate::client::Client;
use crate::events::EventStream;
use crate::output::{self, paint, text, DIM};

#[derive(clap::Args)]
pub struct Watch {
    /// Only jobs with events from now on (by default, every job the kept events show running).
    #[arg(long)]
    from_now: bool,
}

struct Row {
    bar: ProgressBar,
    status: String,
}

impl Watch {
    pub async fn run(self, client: &Client, json: bool) -> anyhow::Result<ExitCode> {
        let table = MultiProgress::new();
        let style = ProgressStyle::with_template(
            "{prefix:.bold} {msg:<40!} [{bar:30.cyan/blue}] {pos:>3}%",
        )
        .expect("a valid template")
        .progress_chars("█▉▊▋▌▍▎▏ ");
        let mut rows: HashMap<String, Row> = HashMap::new();
        let mut position = if self.from_now {
            None
        } else {
            Some(oldest_position(client).await?)
        };
        if !json && table.is_hidden() {
            output::line(paint(
                DIM,
                "watching (a line per change; at a terminal, a live table)",
            ));
        }
        loop {
            let headers: Vec<(&str, String)> = position
                .iter()
                .map(|p| ("last-event-id", p.clone()))
                .collect();
            let mut stream = EventStream::new(client.open("/api/events", &headers).await?);
            while let Some(frame) = stream.next().await {
                position = frame.id.clone().or(position);
                if frame.event.is_some() {
                    continue; // `ready` and `gap`
                }
                let Ok(event) = serde_json::from_str::<Value>(&frame.data) else {
                    continue;
                };
                if json {
                    output::json(&event);
                    continue;
                }
                let job = text(&event, "jobId");
                let status = text(&event, "status");
                let progress = event["progress"].as_u64().unwrap_or(0);
                let finished = matches!(
                    status.as_str(),
                    "completed" | "failed" | "timeout" | "cancelled"
                );
                if !rows.contains_key(&job) {
                    if finished {
                        continue;
                    }
                    let view = client
                        .get(&format!("/api/videos/status/{job}"))
                        .await
                        .unwrap_or_default();
                    let bar = table.add(ProgressBar::new(100));
                    bar.set_style(style.clone());
                    bar.set_prefix(short(&job));
                    let label = format!("{} {}", text(&view, "provider"), text(&view, "model"));
                    bar.set_message(label);
                    rows.insert(
                        job.clone(),
                        Row {
                            bar,
                            status: String::new(),
                        },
                    );
                }
                let row = rows.get_mut(&job).expect("just added");
                row.bar.set_position(progress);
                if table.is_hidden() && row.status != status {
                    output::line(format!(
                        "{} {} {progress}%",
                        short(&job),
                        output::status(&status)
                    ));
                }
                if row.status != status {
                    let label = row.bar.message();
                    let provider = label.split(" · ").next().unwrap_or(&label).to_owned();
                    row.bar.set_message(format!("{provider} · {status}"));
                    row.status = status;
                }
                if finished {
                    let row = rows.remove(&job).expect("present");
                    row.bar.finish();
                    table.remove(&row.bar);
                }
            }
            // The stream ended (the API process stopped): resume where it was.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// The position before every event the relay keeps: a zero per partition (the number of
/// partitions read from a `ready` frame).
async fn oldest_position(client: &Client) -> anyhow::Result<String> {
    let mut stream = EventStream::new(client.open("/api/events", &[]).await?);
    while let Some(frame) = stream.next().await {
        if frame.event.as_deref() == Some("ready") {
            let partitions = frame.id.unwrap_or_default().split(',').count();
            return Ok(vec!["0-0"; partitions].join(","));
        }
    }
    anyhow::bail!("the event stream ended before it said where it starts")
}
