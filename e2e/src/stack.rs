//! The whole system in one test process: redis-server, sora-sim, relay-api and a receiver, with
//! workers started on demand — the same builders `main` uses.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use relay_api::Application;
use relay_shared::Settings;
use relay_worker::Worker;
use serde_json::{json, Value};
use sora_sim::{SimConfig, SimState, Simulator};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{Receiver, RedisCluster, RedisServer};

pub const SECRET: &str = "your-secret-key";

/// The Redis a stack runs on.
pub enum Redis {
    Single(RedisServer),
    Cluster(RedisCluster),
}

impl Redis {
    pub fn url(&self) -> String {
        match self {
            Redis::Single(server) => server.url(),
            Redis::Cluster(cluster) => cluster.url(),
        }
    }

    /// The single server (to kill and restart it).
    pub fn server(&mut self) -> &mut RedisServer {
        match self {
            Redis::Single(server) => server,
            Redis::Cluster(_) => panic!("this stack runs on a cluster"),
        }
    }
}

pub struct Stack {
    pub redis: Redis,
    pub sim: Arc<SimState>,
    pub sim_url: String,
    pub receiver: Receiver,
    pub api: String,
    pub settings: Settings,
    pub http: reqwest::Client,
    stop: CancellationToken,
}

/// Settings for tests: fast polling, everything on loopback.
pub fn test_env(redis: &Redis, sim_url: &str, webhook_url: &str) -> HashMap<String, String> {
    let cluster = if matches!(redis, Redis::Cluster(_)) {
        "true"
    } else {
        "false"
    };
    [
        ("PORT", "0"),
        ("HOST", "127.0.0.1"),
        ("AUTH", "off"),
        ("REDIS_URL", redis.url().as_str()),
        ("REDIS_CLUSTER", cluster),
        ("OPENAI_BASE_URL", sim_url),
        ("OPENAI_API_KEY", "sk-sim"),
        ("WEBHOOK_URL", webhook_url),
        ("WEBHOOK_SECRET", SECRET),
        ("POLL_INITIAL_INTERVAL_MS", "100"),
        ("POLL_MAX_INTERVAL_MS", "400"),
        ("JOB_LEASE_MS", "5000"),
        ("WORKER_IDLE_MAX_MS", "200"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// What the test stacks derive unsigned providers' callback paths from.
pub const CALLBACK_TOKEN_SECRET: &str = "e2e-callback-token-secret";

/// The `openrouter`, `replicate` and `fal` providers at the simulator whose root URL is `sim_root`.
pub fn provider_env(sim_root: &str) -> HashMap<String, String> {
    use sora_sim::config::{DEFAULT_OPENROUTER_SECRET, DEFAULT_REPLICATE_SECRET};
    [
        ("OPENROUTER_API_KEY", "sk-sim".to_owned()),
        (
            "OPENROUTER_BASE_URL",
            format!("{sim_root}/openrouter/api/v1"),
        ),
        (
            "OPENROUTER_WEBHOOK_SECRET",
            DEFAULT_OPENROUTER_SECRET.to_owned(),
        ),
        ("REPLICATE_API_TOKEN", "sk-sim".to_owned()),
        ("REPLICATE_BASE_URL", format!("{sim_root}/replicate/v1")),
        (
            "REPLICATE_WEBHOOK_SECRET",
            DEFAULT_REPLICATE_SECRET.to_owned(),
        ),
        ("FAL_KEY", "sk-sim".to_owned()),
        ("FAL_BASE_URL", format!("{sim_root}/fal")),
        (
            "FAL_JWKS_URL",
            format!("{sim_root}/fal/.well-known/jwks.json"),
        ),
        ("RUNWAYML_API_SECRET", "sk-sim".to_owned()),
        ("RUNWAY_BASE_URL", format!("{sim_root}/runway")),
        ("GEMINI_API_KEY", "sk-sim".to_owned()),
        ("GEMINI_BASE_URL", format!("{sim_root}/veo/v1beta")),
        ("LUMAAI_API_KEY", "sk-sim".to_owned()),
        ("LUMA_BASE_URL", format!("{sim_root}/luma/dream-machine/v1")),
        ("CALLBACK_TOKEN_SECRET", CALLBACK_TOKEN_SECRET.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

impl Stack {
    /// Where the providers call back: this stack's API, for workers started after this.
    pub fn with_callbacks(mut self) -> Self {
        self.settings.callbacks.public_base_url = Some(self.api.clone());
        self
    }

    /// Starts everything with the simulator configured by `sim` and settings overridden by `env`.
    pub async fn start(sim: SimConfig, env: &[(&str, &str)]) -> Self {
        Self::start_on(Redis::Single(RedisServer::start()), sim, env).await
    }

    /// The same, on a Redis Cluster of three primaries.
    pub async fn start_on_cluster(sim: SimConfig, env: &[(&str, &str)]) -> Self {
        Self::start_on(Redis::Cluster(RedisCluster::start(3)), sim, env).await
    }

    pub async fn start_on(redis: Redis, sim: SimConfig, env: &[(&str, &str)]) -> Self {
        Self::start_with(redis, sim, env, false).await
    }

    /// Every provider enabled, each at its contract in the simulator (with the simulator's signing
    /// secrets for their callbacks); `openai` stays the default.
    pub async fn start_all_providers(sim: SimConfig, env: &[(&str, &str)]) -> Self {
        Self::start_with(Redis::Single(RedisServer::start()), sim, env, true).await
    }

    async fn start_with(
        redis: Redis,
        sim: SimConfig,
        env: &[(&str, &str)],
        all_providers: bool,
    ) -> Self {
        let simulator = Simulator::start(sim, TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
        let sim_root = format!("http://127.0.0.1:{}", simulator.port);
        let sim_url = format!("{sim_root}/v1");
        let sim_state = simulator.state.clone();
        tokio::spawn(simulator.server);
        let receiver = Receiver::start(SECRET);
        let mut vars = test_env(&redis, &sim_url, &receiver.url);
        if all_providers {
            vars.extend(provider_env(&sim_root));
        }
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let settings = Settings::from_sources(None, &vars).expect("test settings are valid");
        let app = Application::build(&settings).expect("the API binds");
        let api = format!("http://127.0.0.1:{}", app.port());
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(app.run_until_stopped(async move { stopped.cancelled().await }));
        Self {
            redis,
            sim: sim_state,
            sim_url,
            receiver,
            api,
            settings,
            http: reqwest::Client::new(),
            stop,
        }
    }

    /// A simulator that finishes videos in about a second.
    pub fn quick_sim() -> SimConfig {
        SimConfig {
            queued_ms: 150,
            running_ms: 600,
            ..SimConfig::default()
        }
    }

    /// The Redis key layout the stack's processes use.
    pub fn keys(&self) -> relay_shared::store::layout::Keyspace {
        relay_shared::store::layout::Keyspace::new(
            self.settings.redis.key_prefix.clone(),
            self.settings.redis.partitions,
        )
    }

    /// The stack's Redis store, as its processes use it.
    pub fn store(&self) -> relay_shared::store::Store {
        relay_shared::store::Store::connect(&self.settings).expect("the store connects")
    }

    pub fn worker(&self) -> Worker {
        Worker::build(self.settings.clone()).expect("worker builds")
    }

    /// A worker running its loops in the background until the stack is dropped.
    pub fn spawn_worker(&self) -> JoinHandle<anyhow::Result<()>> {
        self.spawn_worker_with(self.settings.clone())
    }

    /// The same, with settings of its own (another provider in front of the simulator, say).
    pub fn spawn_worker_with(&self, settings: Settings) -> JoinHandle<anyhow::Result<()>> {
        let worker = Worker::build(settings).expect("worker builds");
        tokio::spawn(worker.run_until_stopped(self.stop.child_token()))
    }

    /// `POST /api/generate` with the original client's body (plus `extra` fields); returns the job id.
    pub async fn submit(&self, script: &str, extra: Value) -> String {
        let mut body =
            json!({ "walletAddress": "test-wallet", "script": script, "renderVersion": "v3" });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let (status, reply) = self.post_json("/api/generate", &body).await;
        assert_eq!(status, 202, "{reply}");
        assert_eq!(reply["status"], "queued");
        reply["jobId"].as_str().expect("a jobId").to_owned()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.api))
            .json(body)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.api))
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn status(&self, job_id: &str) -> Value {
        let (status, view) = self.get(&format!("/api/videos/status/{job_id}")).await;
        assert_eq!(status, 200, "{view}");
        view
    }

    pub async fn stats(&self) -> crate::Stats {
        crate::stats::from_body(self.get("/api/sora/stats").await.1)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Waits up to `limit` for `check` on the job's status view.
pub async fn wait_for_status(stack: &Stack, job_id: &str, limit: Duration, want: &str) -> Value {
    crate::eventually(limit, &format!("job {job_id} to be {want}"), || async {
        let view = stack.status(job_id).await;
        (view["status"] == want).then_some(view)
    })
    .await
}
