//! What an operator looks at when something is wrong — the same reads as the dashboard's
//! Deliveries and Providers views — and the force poll its job page has.

use std::process::ExitCode;

use serde_json::{json, Value};

use crate::client::Client;
use crate::output::{self, paint, text, BOLD, DIM};

/// `POST /api/sora/poll/{jobId}`: the job is polled now.
pub async fn poll(client: &Client, job: &str, json: bool) -> anyhow::Result<ExitCode> {
    let view = client
        .post(&format!("/api/sora/poll/{job}"), &json!({}))
        .await?;
    if json {
        output::json(&view);
    } else {
        output::line(format!("{} {job} is due now", paint(output::GOOD, "✔")));
    }
    Ok(ExitCode::SUCCESS)
}

/// `GET /api/deliveries/dead` and `GET /api/deliveries/failing`.
pub async fn dead_letters(client: &Client, limit: usize, json: bool) -> anyhow::Result<ExitCode> {
    let letters = client
        .get(&format!("/api/deliveries/dead?limit={limit}"))
        .await?;
    let failing = client.get("/api/deliveries/failing").await?;
    if json {
        output::json(
            &json!({ "deadLetters": letters["deadLetters"], "truncated": letters["truncated"], "failing": failing["endpoints"] }),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let letters = letters["deadLetters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if letters.is_empty() {
        output::line(paint(DIM, "no dead letters"));
    }
    for letter in &letters {
        let event = &letter["event"];
        output::line(format!(
            "{}  {} {}%  {} attempts  {}  {}",
            paint(BOLD, text(letter, "deliveryId")),
            text(event, "status"),
            text(event, "progress"),
            text(letter, "attempts"),
            paint(output::BAD, text(letter, "error")),
            paint(DIM, text(letter, "diedAt")),
        ));
    }
    for endpoint in failing["endpoints"].as_array().into_iter().flatten() {
        output::line(format!(
            "failing: {}  since {}  {} failures  {}",
            paint(BOLD, text(endpoint, "endpoint")),
            text(endpoint, "since"),
            text(endpoint, "failures"),
            paint(output::BAD, text(endpoint, "error")),
        ));
    }
    if !letters.is_empty() {
        output::line(paint(
            DIM,
            "relayctl redeliver <deliveryId> sends one again",
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// `GET /api/providers`: one line per provider and model.
pub async fn providers(client: &Client, json: bool) -> anyhow::Result<ExitCode> {
    let answer = client.get("/api/providers").await?;
    if json {
        output::json(&answer);
        return Ok(ExitCode::SUCCESS);
    }
    let limit = |value: &Value, max: &str| match value[max].as_u64() {
        Some(0) | None => "no limit".to_owned(),
        Some(n) => n.to_string(),
    };
    for provider in answer["providers"].as_array().into_iter().flatten() {
        let paused = [
            ("pausedUntil", "paused"),
            ("quotaPausedUntil", "submissions paused"),
        ]
        .iter()
        .filter(|(key, _)| provider[*key].is_string())
        .map(|(key, what)| format!("  {what} until {}", text(provider, key)))
        .collect::<String>();
        output::line(format!(
            "{}  {}/{} requests a minute  {}/{} in flight{}",
            paint(BOLD, text(provider, "name")),
            text(provider, "requestsPerMinute"),
            limit(provider, "maxRpm"),
            text(provider, "inFlight"),
            limit(provider, "maxInFlight"),
            paint(output::WARN, paused),
        ));
        for model in provider["models"].as_array().into_iter().flatten() {
            let circuit = text(model, "circuit");
            let circuit = match circuit.as_str() {
                "closed" => paint(output::GOOD, &circuit),
                _ => paint(output::BAD, &circuit),
            };
            let ms = |key: &str| {
                model[key]
                    .as_u64()
                    .map_or("–".into(), |ms| format!("{:.1}s", ms as f64 / 1000.0))
            };
            output::line(format!(
                "    {}  circuit {circuit}  p50 {}  p95 {}  ({} runs)",
                text(model, "model"),
                ms("p50Ms"),
                ms("p95Ms"),
                text(model, "runs"),
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}
