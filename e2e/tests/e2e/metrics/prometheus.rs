//! A real Prometheus scrapes the API and two workers while jobs run; what its queries answer
//! matches the stats endpoint and what the simulator and the receiver saw.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use e2e::processes::Process;
use e2e::prometheus::Prometheus;
use e2e::{free_port, Stats};
use relay_shared::job::JobStatus;
use relay_shared::telemetry::metrics::CATALOGUE;

use crate::processes::{deploy, submit};

#[tokio::test]
async fn prometheus_scrapes_the_api_and_each_worker_and_its_queries_match_the_stats() {
    let deployment = deploy(&[("WORKER_CONCURRENCY", "8")]).await;
    let worker_ports = [free_port(), free_port()];
    let _workers: Vec<Process> = worker_ports
        .iter()
        .map(|port| {
            let mut env = deployment.env.clone();
            env.insert("METRICS_PORT".into(), port.to_string());
            Process::spawn("relay-worker", &[], &env)
        })
        .collect();
    let api_target = deployment.api.trim_start_matches("http://").to_owned();
    let mut targets = vec![("relay-api", api_target)];
    targets.extend(
        worker_ports
            .iter()
            .map(|port| ("relay-worker", format!("127.0.0.1:{port}"))),
    );
    let prometheus = Prometheus::start(&targets).await;
    prometheus.eventually_equals("count(up == 1)", 3.0).await;

    let jobs = 12;
    let mut ids = Vec::new();
    for n in 0..jobs {
        ids.push(submit(&deployment.api, &format!("measured job {n}")).await);
    }
    deployment
        .receiver
        .wait_for_final(&ids, Duration::from_secs(60))
        .await;
    let stats: Stats = reqwest::get(format!("{}/api/sora/stats", deployment.api))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats.completed_jobs, jobs);
    let jobs = jobs as f64;

    // The deployment's gauges, as the API read them from Redis at the scrape.
    for status in JobStatus::ALL {
        let query = format!("max(relay_jobs{{status=\"{}\"}})", status.as_str());
        prometheus
            .eventually_equals(&query, stats.jobs(status) as f64)
            .await;
    }
    prometheus
        .eventually_equals("sum(relay_queue_items{queue=\"jobs\"})", 0.0)
        .await;
    prometheus
        .eventually_equals("max(relay_redis_up)", 1.0)
        .await;
    assert_eq!(
        prometheus
            .query("relay_queue_items{queue=\"jobs\"}")
            .await
            .len(),
        16,
        "one series per partition"
    );

    // The processes' own counters: the API's, and both workers' added up.
    let sim: serde_json::Value = reqwest::get(format!("{}/sim/stats", deployment.sim))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sim["creates"], jobs as u64);
    for (query, want) in [
        ("sum(relay_jobs_created_total{provider=\"openai\", model=\"sora-2\"})", jobs),
        (
            "sum(relay_http_request_duration_seconds_count{method=\"POST\", route=\"/api/generate\", status=\"202\"})",
            jobs,
        ),
        ("sum(relay_jobs_submitted_total{provider=\"openai\", model=\"sora-2\"})", jobs),
        (
            "sum(relay_provider_request_duration_seconds_count{provider=\"openai\", operation=\"create\", outcome=\"ok\"})",
            jobs,
        ),
        ("sum(relay_jobs_finished_total{status=\"completed\"})", jobs),
        ("sum(relay_job_run_duration_seconds_count{provider=\"openai\"})", jobs),
    ] {
        prometheus.eventually_equals(query, want).await;
    }
    let webhooks = deployment.receiver.all().len() as f64;
    prometheus
        .eventually_equals(
            "sum(relay_webhook_attempts_total{outcome=\"delivered\"})",
            webhooks,
        )
        .await;
    prometheus
        .eventually_equals(
            "sum(relay_webhook_delivery_latency_seconds_count)",
            webhooks,
        )
        .await;
    let claimed = prometheus
        .value("sum(relay_claim_lateness_seconds_count{queue=\"jobs\"})")
        .await
        .unwrap_or(0.0);
    assert!(
        claimed >= jobs,
        "every job was claimed at least once: {claimed}"
    );
    let polls = prometheus
        .value("sum(relay_provider_request_duration_seconds_count{operation=\"retrieve\"})")
        .await
        .unwrap_or(0.0);
    assert!(polls >= jobs, "every job was polled: {polls}");
    assert!(
        prometheus
            .value("max(process_resident_memory_bytes{job=\"relay-worker\"})")
            .await
            .is_some_and(|bytes| bytes > 1e6),
        "the process figures are exported"
    );

    // Every query of the Grafana dashboard is one Prometheus accepts; those of plain values find
    // data already (rates need more samples than these seconds gave).
    for expr in dashboard_queries() {
        let expr = expr.replace("$__rate_interval", "1m");
        let result = prometheus.query(&expr).await;
        if !expr.contains("rate(") && !expr.contains("increase(") {
            assert!(!result.is_empty(), "the dashboard's {expr} finds nothing");
        }
    }

    // The deployment's alert rules evaluate against these series without error, and none fires.
    let rules = prometheus.rules().await;
    let rules: Vec<&serde_json::Value> = rules
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|group| group["rules"].as_array().unwrap())
        .collect();
    assert!(rules.len() >= 5, "{rules:?}");
    for rule in rules {
        assert_eq!(rule["health"], "ok", "{rule}");
        assert_eq!(rule["state"], "inactive", "{rule}");
    }
}

/// The `expr` of every panel of deploy/grafana/sora-relay.json.
fn dashboard_queries() -> Vec<String> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/grafana/sora-relay.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().cloned().unwrap_or_default())
        .map(|target| target["expr"].as_str().unwrap().to_owned())
        .collect()
}

/// The `relay_*` metric names a text mentions, without the histogram series' suffixes.
fn relay_metrics_in(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("relay_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        let name = ["_bucket", "_count", "_sum"]
            .iter()
            .fold(name.clone(), |n, suffix| {
                n.strip_suffix(suffix).map_or(n.clone(), str::to_owned)
            });
        names.push(name);
    }
    names
}

#[test]
fn the_dashboard_and_the_alerts_name_only_metrics_the_relay_exports() {
    let exported: Vec<&str> = CATALOGUE.iter().map(|m| m.name).collect();
    let alerts = std::fs::read_to_string(e2e::prometheus::alert_rules()).unwrap();
    let mut named = relay_metrics_in(&alerts);
    for expr in dashboard_queries() {
        named.extend(relay_metrics_in(&expr));
    }
    assert!(named.len() > 20, "{named:?}");
    for name in named {
        // `relay-worker` and `relay-api` are scrape job names, not metrics.
        assert!(exported.contains(&name.as_str()), "{name} is not exported");
    }
    let dashboard = dashboard_queries().join("\n");
    for metric in CATALOGUE {
        assert!(
            dashboard.contains(metric.name.trim_end_matches("_total"))
                || metric.name == "relay_jobs_created_total",
            "the dashboard shows nothing of {}",
            metric.name
        );
    }
}

#[test]
fn the_deployment_scrape_config_and_alert_rules_pass_promtool() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus");
    for args in [
        vec!["check", "config", "prometheus.yml"],
        vec!["test", "rules", "alerts.test.yml"],
    ] {
        let output = std::process::Command::new("/usr/bin/promtool")
            .args(&args)
            .current_dir(&folder)
            .output()
            .expect("promtool (Debian's prometheus package, installed by scripts/test)");
        assert!(
            output.status.success(),
            "promtool {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn a_taken_metrics_port_stops_the_worker_at_start_up_naming_it() {
    let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let env: HashMap<String, String> = [("METRICS_PORT", port.as_str())]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut worker = Process::spawn("relay-worker", &[], &env);
    assert_eq!(worker.wait(), Some(1));
    let output = worker.output().join("\n");
    assert!(output.contains(&format!("METRICS_PORT {port}")), "{output}");
}
