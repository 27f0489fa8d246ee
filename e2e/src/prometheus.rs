//! A real Prometheus (Debian's `prometheus` package, installed by scripts/test) scraping the
//! processes under test every second, with the deployment's alert rules loaded, and its HTTP query
//! API to read what it scraped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::processes::Process;
use crate::{eventually, free_port};

const PROGRAM: &str = "/usr/bin/prometheus";

pub struct Prometheus {
    _process: Process,
    _dir: tempfile::TempDir,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    http: reqwest::Client,
}

/// The deployment's alert rules (deploy/prometheus/alerts.yml).
pub fn alert_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus/alerts.yml")
}

impl Prometheus {
    /// Starts Prometheus scraping each `(job, host:port)` target every second.
    pub async fn start(targets: &[(&str, String)]) -> Self {
        assert!(
            Path::new(PROGRAM).exists(),
            "{PROGRAM} is missing: scripts/test installs Debian's prometheus package"
        );
        let dir = tempfile::tempdir().unwrap();
        let mut jobs: HashMap<&str, Vec<&str>> = HashMap::new();
        for (job, target) in targets {
            jobs.entry(job).or_default().push(target);
        }
        let mut config = String::from(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n",
        );
        config.push_str(&format!(
            "  - {}\nscrape_configs:\n",
            alert_rules().display()
        ));
        for (job, targets) in jobs {
            let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
            config.push_str(&format!(
                "  - job_name: {job}\n    static_configs:\n      - targets: [{}]\n",
                targets.join(", ")
            ));
        }
        let config_file = dir.path().join("prometheus.yml");
        std::fs::write(&config_file, config).unwrap();
        let port = free_port();
        let env: HashMap<String, String> = HashMap::new();
        let process = Process::spawn_program(
            Path::new(PROGRAM),
            &[
                &format!("--config.file={}", config_file.display()),
                &format!("--storage.tsdb.path={}", dir.path().join("data").display()),
                &format!("--web.listen-address=127.0.0.1:{port}"),
                "--log.level=warn",
            ],
            &env,
        );
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        eventually(
            Duration::from_secs(30),
            "Prometheus to be ready",
            || async {
                http.get(format!("{url}/-/ready"))
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
                    .map(drop)
            },
        )
        .await;
        Self {
            _process: process,
            _dir: dir,
            url,
            http,
        }
    }

    /// An instant query's result: each series' labels and value.
    pub async fn query(&self, promql: &str) -> Vec<(HashMap<String, String>, f64)> {
        let answer: Value = self
            .http
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", promql)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["status"], "success", "{promql}: {answer}");
        answer["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|series| {
                let labels = serde_json::from_value(series["metric"].clone()).unwrap();
                let value = series["value"][1].as_str().unwrap().parse().unwrap();
                (labels, value)
            })
            .collect()
    }

    /// The value of a query that yields one series (`None` while it yields none).
    pub async fn value(&self, promql: &str) -> Option<f64> {
        let result = self.query(promql).await;
        assert!(
            result.len() <= 1,
            "{promql} yields several series: {result:?}"
        );
        result.first().map(|(_, v)| *v)
    }

    /// Waits until `promql` yields `want`.
    pub async fn eventually_equals(&self, promql: &str, want: f64) {
        let mut last = None;
        let what = format!("Prometheus to find {promql} = {want}");
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                last = self.value(promql).await;
                if last == Some(want) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
        .await;
        assert!(found.is_ok(), "timed out waiting for {what}; last {last:?}");
    }

    /// The rule groups as Prometheus evaluates them (`/api/v1/rules`).
    pub async fn rules(&self) -> Value {
        let answer: Value = self
            .http
            .get(format!("{}/api/v1/rules", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["data"]["groups"].clone()
    }
}
