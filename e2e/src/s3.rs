//! A real S3-compatible server for the custody tests: moto in server mode (PyPI, installed by
//! scripts/test into `.run/moto-venv`), on a free port, with one bucket.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use crate::processes::Process;
use crate::{eventually, free_port};

pub struct S3Server {
    _process: Process,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    pub bucket: String,
}

impl S3Server {
    /// Starts moto and creates `bucket`.
    pub async fn start(bucket: &str) -> Self {
        let program =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../.run/moto-venv/bin/moto_server");
        assert!(
            program.exists(),
            "{} is missing: scripts/test installs moto (an S3-compatible server) into .run/moto-venv",
            program.display()
        );
        let port = free_port().to_string();
        let env: HashMap<String, String> = ["PATH", "HOME"]
            .iter()
            .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)))
            .collect();
        let process = Process::spawn_program(&program, &["-H", "127.0.0.1", "-p", &port], &env);
        let endpoint = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        eventually(Duration::from_secs(30), "moto to answer", || async {
            http.get(&endpoint).send().await.ok().map(drop)
        })
        .await;
        let created = http
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await
            .unwrap();
        assert!(created.status().is_success(), "{}", created.status());
        Self {
            _process: process,
            endpoint,
            bucket: bucket.to_owned(),
        }
    }

    /// The settings that keep videos here, under `prefix`, as a deployment sets them.
    pub fn env(&self, prefix: &str) -> Vec<(String, String)> {
        [
            ("CONTENT_STORE", format!("s3://{}/{prefix}", self.bucket)),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// The keys in the bucket.
    pub async fn keys(&self) -> Vec<String> {
        let listing = reqwest::get(format!("{}/{}?list-type=2", self.endpoint, self.bucket))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_owned()))
            .collect()
    }
}
