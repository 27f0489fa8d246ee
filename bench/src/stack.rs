//! The whole system as its users run it, for the end-to-end workloads: `sora-sim`, `relay-api` and
//! `relay-worker` as separate processes (the release binaries next to `relay-bench`), and a
//! webhook receiver on loopback that checks every signature.

use std::collections::HashMap;
use std::time::Duration;

use e2e::processes::Process;
use e2e::receiver::Receiver;
use e2e::stack::SECRET;
use serde_json::Value;

pub struct ProcessStack {
    pub sim_url: String,
    pub api_url: String,
    pub receiver: Receiver,
    pub http: reqwest::Client,
    pub api: Process,
    pub workers: Vec<Process>,
    /// The environment the API and workers were started with.
    env: HashMap<String, String>,
    _sim: Process,
}

impl ProcessStack {
    /// Starts the simulator with `sim_env`, the API and `workers` workers with `relay_env` on top
    /// of a local configuration (`{sim}` and `{api}` in its values stand for their base URLs), and
    /// waits until the API is ready.
    pub async fn start(
        redis_url: &str,
        sim_env: &[(&str, String)],
        relay_env: &[(&str, String)],
        workers: usize,
    ) -> anyhow::Result<Self> {
        let (sim, sim_url) = start_sim(sim_env);
        let receiver = Receiver::start(SECRET);
        let api_port = e2e::free_port();
        let mut env: HashMap<String, String> = [
            ("PORT", api_port.to_string()),
            ("HOST", "127.0.0.1".into()),
            ("AUTH", "off".into()),
            ("REDIS_URL", redis_url.to_owned()),
            ("OPENAI_BASE_URL", format!("{sim_url}/v1")),
            ("OPENAI_API_KEY", "sk-sim".into()),
            ("WEBHOOK_URL", receiver.url.clone()),
            ("WEBHOOK_SECRET", SECRET.into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        // `{sim}` and `{api}` in a value stand for the simulator's and the API's base URLs.
        let api_url = format!("http://127.0.0.1:{api_port}");
        env.extend(relay_env.iter().map(|(k, v)| {
            let v = v.replace("{sim}", &sim_url).replace("{api}", &api_url);
            (k.to_string(), v)
        }));
        let api = Process::spawn("relay-api", &[], &env);
        let workers = (0..workers)
            .map(|_| Process::spawn("relay-worker", &[], &env))
            .collect();
        let stack = Self {
            sim_url,
            api_url: format!("http://127.0.0.1:{api_port}"),
            receiver,
            http: reqwest::Client::new(),
            api,
            workers,
            env,
            _sim: sim,
        };
        for url in [
            format!("{}/readyz", stack.api_url),
            format!("{}/sim/stats", stack.sim_url),
        ] {
            wait_for(&stack.http, &url).await?;
        }
        Ok(stack)
    }

    /// One more `relay-api` on the same Redis, with `extra_env` on top of the stack's; the process
    /// and its base URL, once it is ready.
    pub async fn another_api(
        &self,
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<(Process, String)> {
        let port = e2e::free_port();
        let mut env = self.env.clone();
        env.insert("PORT".into(), port.to_string());
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let api = Process::spawn("relay-api", &[], &env);
        let url = format!("http://127.0.0.1:{port}");
        wait_for(&self.http, &format!("{url}/readyz")).await?;
        Ok((api, url))
    }

    /// Submits one job through the API; its id.
    pub async fn submit(&self, script: &str) -> anyhow::Result<String> {
        self.submit_to(script, None).await
    }

    /// The same at `provider` (the default when `None`).
    pub async fn submit_to(&self, script: &str, provider: Option<&str>) -> anyhow::Result<String> {
        let mut body = serde_json::json!({
            "walletAddress": "0x52908400098527886E0F7030069857D2E4169EE7",
            "script": script,
            "renderVersion": "v3",
        });
        if let Some(provider) = provider {
            body["provider"] = provider.into();
        }
        self.submit_body(&body).await
    }

    /// Submits a job with this body; its id.
    pub async fn submit_body(&self, body: &Value) -> anyhow::Result<String> {
        let response: Value = self
            .http
            .post(format!("{}/api/generate", self.api_url))
            .json(body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        response["jobId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no jobId in {response}"))
    }

    /// The simulator's request counters.
    pub async fn sim_stats(&self) -> anyhow::Result<Value> {
        get_json(&self.http, &format!("{}/sim/stats", self.sim_url)).await
    }
}

/// `sora-sim` on a free port with `sim_env`; the process and its base URL (without `/v1`).
pub fn start_sim(sim_env: &[(&str, String)]) -> (Process, String) {
    let port = e2e::free_port();
    let mut env: HashMap<String, String> = HashMap::from([
        ("SIM_PORT".to_owned(), port.to_string()),
        ("SIM_WEBHOOK_SECRET".to_owned(), SECRET.to_owned()),
    ]);
    env.extend(sim_env.iter().map(|(k, v)| (k.to_string(), v.clone())));
    (
        Process::spawn("sora-sim", &[], &env),
        format!("http://127.0.0.1:{port}"),
    )
}

/// Waits up to 10 s for `url` to answer 2xx.
pub async fn wait_for(http: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if let Ok(response) = http.get(url).send().await {
            if response.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("{url} did not answer within 10 s")
}

pub async fn get_json(http: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    Ok(http
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Peak and current resident memory of a process, in KiB (`VmHWM`, `VmRSS`).
pub fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}
