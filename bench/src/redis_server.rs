//! The Redis a benchmark runs against: `--redis-url`, or a private `redis-server` started here
//! (no persistence, like the peer figures) and stopped at the end.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct BenchRedis {
    pub url: String,
    pub port: u16,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl BenchRedis {
    pub fn start_or_use(url: Option<&str>) -> anyhow::Result<Self> {
        if let Some(url) = url {
            let port = url
                .rsplit(':')
                .next()
                .and_then(|p| p.trim_end_matches('/').parse().ok())
                .unwrap_or(6379);
            return Ok(Self {
                url: url.to_owned(),
                port,
                child: None,
                _dir: None,
            });
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let dir = tempfile::tempdir()?;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start redis-server ({e}); pass --redis-url"))?;
        let url = format!("redis://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self {
            url,
            port,
            child: Some(child),
            _dir: Some(dir),
        })
    }

    /// Empties the database between workloads (only a server this run started).
    /// Started by this run (so it may be flushed and reconfigured).
    pub fn is_private(&self) -> bool {
        self.child.is_some()
    }

    pub async fn flush(&self) -> anyhow::Result<()> {
        if self.child.is_some() {
            let mut conn = self.connection().await?;
            redis::cmd("FLUSHALL").query_async::<()>(&mut conn).await?;
        }
        Ok(())
    }
}

impl BenchRedis {
    /// A plain connection without a reply timeout (FLUSHALL of a large data set takes a while).
    pub async fn connection(&self) -> anyhow::Result<redis::aio::MultiplexedConnection> {
        let client = redis::Client::open(self.url.as_str())?;
        let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
        Ok(client
            .get_multiplexed_async_connection_with_config(&config)
            .await?)
    }

    /// CPU seconds the Redis server has used so far (user + system, all its threads), from
    /// `INFO cpu`: the difference around a workload is Redis's own cost of it, whatever else the
    /// machine is doing.
    pub async fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let mut conn = self.connection().await?;
        let info: String = redis::cmd("INFO").arg("cpu").query_async(&mut conn).await?;
        let field = |name: &str| -> anyhow::Result<f64> {
            info.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| anyhow::anyhow!("INFO cpu lacks {name}"))
        };
        Ok(field("used_cpu_user")? + field("used_cpu_sys")?)
    }
}

impl Drop for BenchRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
