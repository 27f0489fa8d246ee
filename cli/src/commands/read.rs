//! Reading a job, the stats and a job's deliveries; acting on deliveries.

use std::process::ExitCode;

use serde_json::{json, Value};

use crate::client::Client;
use crate::output::{self, paint, text, BOLD, DIM};

pub async fn status(client: &Client, job: &str, json: bool) -> anyhow::Result<ExitCode> {
    let view = client.get(&format!("/api/videos/status/{job}")).await?;
    if json {
        output::json(&view);
    } else {
        print_job(&view);
    }
    Ok(ExitCode::SUCCESS)
}

/// A job view as rows.
pub fn print_job(view: &Value) {
    let mut rows = vec![
        ("job", text(view, "jobId")),
        ("status", output::status(&text(view, "status"))),
        (
            "progress",
            format!(
                "{}% ({})",
                text(view, "progress"),
                text(view, "progressSource")
            ),
        ),
        (
            "provider",
            format!("{} {}", text(view, "provider"), text(view, "model")),
        ),
        ("provider job", text(view, "soraJobId")),
        ("created", text(view, "createdAt")),
        ("updated", text(view, "updatedAt")),
    ];
    if !view["error"].is_null() {
        rows.push(("error", text(view, "error")));
    }
    if !view["videoUrl"].is_null() {
        rows.push(("video", text(view, "videoUrl")));
    }
    if !view["contentSha256"].is_null() {
        rows.push((
            "kept",
            format!(
                "{} bytes, sha256 {}",
                text(view, "contentBytes"),
                text(view, "contentSha256")
            ),
        ));
    }
    output::rows(&rows);
}

pub async fn stats(client: &Client, json: bool) -> anyhow::Result<ExitCode> {
    let stats = client.get("/api/sora/stats").await?;
    if json {
        output::json(&stats);
        return Ok(ExitCode::SUCCESS);
    }
    let n = |key: &str| stats[key].as_i64().unwrap_or(0).to_string();
    output::rows(&[
        ("total", paint(BOLD, n("total_jobs"))),
        ("queued", n("queued_jobs")),
        ("processing", n("processing_jobs")),
        ("completed", paint(output::GOOD, n("completed_jobs"))),
        ("failed", n("failed_jobs")),
        ("timeout", n("timeout_jobs")),
        ("cancelled", n("cancelled_jobs")),
        ("dead letters", n("webhook_dead_letters")),
        ("submissions unknown", n("submissions_unknown")),
    ]);
    Ok(ExitCode::SUCCESS)
}

pub async fn deliveries(client: &Client, job: &str, json: bool) -> anyhow::Result<ExitCode> {
    let list = client.get(&format!("/api/videos/{job}/deliveries")).await?;
    if json {
        output::json(&list);
        return Ok(ExitCode::SUCCESS);
    }
    let deliveries = list["deliveries"].as_array().cloned().unwrap_or_default();
    if deliveries.is_empty() {
        output::line(paint(DIM, "no webhook events yet"));
    }
    for delivery in deliveries {
        let event = &delivery["event"];
        let state = text(&delivery, "state");
        let state = match state.as_str() {
            "delivered" => paint(output::GOOD, &state),
            "dead" => paint(output::BAD, &state),
            _ => paint(output::WARN, &state),
        };
        output::line(format!(
            "{}  {state}  {} {}%  {}",
            paint(BOLD, text(&delivery, "deliveryId")),
            text(event, "status"),
            text(event, "progress"),
            paint(DIM, text(&delivery, "createdAt")),
        ));
        for attempt in delivery["attempts"].as_array().into_iter().flatten() {
            let outcome = text(attempt, "outcome");
            let status = text(attempt, "statusCode");
            let error = attempt["error"]
                .as_str()
                .map(|e| format!("  {e}"))
                .unwrap_or_default();
            output::line(format!(
                "    {}  {outcome:<9} {status:>3}  {}ms{error}",
                paint(DIM, text(attempt, "at")),
                text(attempt, "durationMs"),
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn cancel(client: &Client, job: &str, json: bool) -> anyhow::Result<ExitCode> {
    let answer = client
        .post(&format!("/api/videos/{job}/cancel"), &json!({}))
        .await?;
    if json {
        output::json(&answer);
    } else {
        output::line(format!(
            "{} {job} is being cancelled (it was {})",
            paint(output::GOOD, "✔"),
            answer["status"].as_str().unwrap_or("?")
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn redeliver(client: &Client, delivery: &str, json: bool) -> anyhow::Result<ExitCode> {
    let answer = client
        .post(&format!("/api/deliveries/{delivery}/redeliver"), &json!({}))
        .await?;
    if json {
        output::json(&answer);
    } else {
        output::line(format!(
            "{} {delivery} is due again",
            paint(output::GOOD, "✔")
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn recover(
    client: &Client,
    since: &str,
    until: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let window = |t: &str| {
        t.parse::<i64>()
            .map_or_else(|_| json!(t), |secs| json!(secs))
    };
    let answer = client
        .post(
            "/api/deliveries/recover",
            &json!({ "since": window(since), "until": window(until) }),
        )
        .await?;
    if json {
        output::json(&answer);
    } else {
        output::line(format!(
            "{} {} dead letters are due again",
            paint(output::GOOD, "✔"),
            text(&answer, "requeued")
        ));
    }
    Ok(ExitCode::SUCCESS)
}
