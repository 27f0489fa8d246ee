//! Custody figures: a video of `mib` MiB, made by the simulator, kept by a real worker in a
//! directory store and served by a real API (release binaries, as processes). Figures:
//! - the copy's throughput (from the worker's first byte requested to the `completed` webhook:
//!   download, SHA-256, write) beside `curl` downloading the same content to the same disk;
//! - the API's streaming throughput of the kept file beside nginx serving the same file over HTTP
//!   (when installed; scripts/bench installs it) and `curl file://` reading it;
//! - memory: the worker's peak resident set after the copy, and the API's resident set before
//!   and its peak (`VmHWM`) after streaming the file `ROUNDS` times.
//!
//! Each curl figure and each relay figure is the best of `ROUNDS` alternating runs (the VM
//! drifts: compare within a run).

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::figures::round;
use crate::redis_server::BenchRedis;
use crate::stack::{memory_kib, ProcessStack};

const ROUNDS: usize = 3;
const MIB: f64 = 1024.0 * 1024.0;

pub async fn run(redis: &BenchRedis, mib: u64) -> anyhow::Result<Value> {
    let dir = tempfile::tempdir()?;
    let store = dir.path().join("content");
    let bytes = mib * 1024 * 1024;
    let stack = ProcessStack::start(
        &redis.url,
        &[
            ("SIM_QUEUED_MS", "100".into()),
            ("SIM_RUNNING_MS", "300".into()),
        ],
        &[
            ("CONTENT_STORE", store.display().to_string()),
            ("CONTENT_LINK_SECRET", "bench-link-key".into()),
            ("PUBLIC_BASE_URL", "{api}".into()),
            ("POLL_INITIAL_INTERVAL_MS", "100".into()),
            ("POLL_MAX_INTERVAL_MS", "200".into()),
            ("RUST_LOG", "warn".into()),
        ],
        1,
    )
    .await?;
    let id = stack
        .submit(&format!("sim:bytes={bytes} the content benchmark"))
        .await?;
    // The copy starts when the simulator sees the first download.
    let started = loop {
        if stack.sim_stats().await?["downloadsBegun"].as_u64() >= Some(1) {
            break Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let finals = stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), Duration::from_secs(600))
        .await;
    let copy_secs = started.elapsed().as_secs_f64();
    let done = finals.iter().rfind(|r| r.job_id() == id).expect("a final");
    anyhow::ensure!(done.status() == "completed", "the job {}", done.body);
    anyhow::ensure!(done.json["contentBytes"].as_u64() == Some(bytes));
    let worker_hwm_kib = memory_kib(stack.workers[0].pid()).map(|(hwm, _)| hwm);
    let video = done.json["soraJobId"].as_str().unwrap_or_default();
    let kept = store.join(&id).join("0");

    let mut curl_download = f64::MAX;
    let mut curl_file = f64::MAX;
    let mut api_stream = f64::MAX;
    let nginx = Nginx::start(&store, dir.path());
    let mut nginx_stream = f64::MAX;
    let api_rss_before = memory_kib(stack.api.pid()).map_or(0, |(_, rss)| rss);
    let provider_url = format!("{}/v1/videos/{video}/content", stack.sim_url);
    let api_url = format!("{}/api/videos/{id}/content", stack.api_url);
    let copy_target = dir.path().join("curl-copy");
    for _ in 0..ROUNDS {
        curl_download = curl_download.min(curl_secs(&[
            "-H",
            "Authorization: Bearer sk-sim",
            "-o",
            copy_target.to_str().unwrap_or_default(),
            &provider_url,
        ])?);
        curl_file = curl_file.min(curl_secs(&[
            "-o",
            "/dev/null",
            &format!("file://{}", kept.display()),
        ])?);
        let url = api_url.clone();
        let secs =
            tokio::task::spawn_blocking(move || curl_secs(&["-o", "/dev/null", &url])).await??;
        api_stream = api_stream.min(secs);
        if let Some(nginx) = &nginx {
            let url = format!("{}/{id}/0", nginx.url);
            nginx_stream = nginx_stream.min(curl_secs(&["-o", "/dev/null", &url])?);
        }
    }
    // The API's peak resident set since it started (VmHWM) covers every stream.
    let api_rss_peak = memory_kib(stack.api.pid()).map_or(0, |(hwm, _)| hwm);
    let _ = std::fs::remove_file(&copy_target);
    let rate = |secs: f64| round(bytes as f64 / MIB / secs, 1);
    Ok(json!({
        "workload": "content",
        "mib": mib,
        "copy_mib_per_sec": rate(copy_secs),
        "curl_download_mib_per_sec": rate(curl_download),
        "copy_vs_curl_download": round(curl_download / copy_secs, 2),
        "api_stream_mib_per_sec": rate(api_stream),
        "curl_file_mib_per_sec": rate(curl_file),
        "api_stream_vs_curl_file": round(curl_file / api_stream, 2),
        "nginx_stream_mib_per_sec": nginx.as_ref().map(|_| rate(nginx_stream)),
        "api_stream_vs_nginx": nginx.as_ref().map(|_| round(nginx_stream / api_stream, 2)),
        "nginx_note": if nginx.is_some() { "nginx 1.x serving the kept file (sendfile on)" } else { "nginx not installed (scripts/bench installs it)" },
        "worker_peak_rss_mib": worker_hwm_kib.map(|k| round(k as f64 / 1024.0, 1)),
        "api_rss_mib_before_streaming": round(api_rss_before as f64 / 1024.0, 1),
        "api_peak_rss_mib_while_streaming": round(api_rss_peak as f64 / 1024.0, 1),
    }))
}

/// Runs curl with `args` (silently, failing on an HTTP error); its total time in seconds.
fn curl_secs(args: &[&str]) -> anyhow::Result<f64> {
    let output = Command::new("curl")
        .args(["-s", "-f", "-w", "%{time_total}"])
        .args(args)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).trim().parse()?)
}

/// nginx serving a directory on a free loopback port, for as long as it lives.
struct Nginx {
    url: String,
    _process: e2e::processes::Process,
}

impl Nginx {
    /// `None` when nginx is not installed.
    fn start(root: &std::path::Path, work: &std::path::Path) -> Option<Self> {
        let program = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())?;
        let port = e2e::free_port();
        let conf = work.join("nginx.conf");
        let config = format!(
            "daemon off; worker_processes 1; pid {work}/nginx.pid; error_log stderr warn;\n\
             events {{ worker_connections 64; }}\n\
             http {{ access_log off; sendfile on; tcp_nopush on; default_type video/mp4;\n\
             client_body_temp_path {work}; proxy_temp_path {work}; fastcgi_temp_path {work};\n\
             uwsgi_temp_path {work}; scgi_temp_path {work};\n\
             server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n",
            work = work.display(),
            root = root.display(),
        );
        std::fs::write(&conf, config).ok()?;
        let conf = conf.display().to_string();
        let process = e2e::processes::Process::spawn_program(
            program,
            &["-c", &conf, "-e", "stderr"],
            &Default::default(),
        );
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Self {
                    url,
                    _process: process,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}
