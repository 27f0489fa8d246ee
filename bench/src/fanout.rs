//! Live-event fan-out: `subscribers` clients on one API process's tenant-wide event stream
//! (`GET /api/events`, each receiving every event), while a worker drives `jobs` simulated videos
//! through their progress events. Figures: how long the subscribers took to connect, the event →
//! client latency over every event every client received (from the `timestamp` the worker puts
//! in the event as it commits it, to its arrival at the client, on the same clock), whether every
//! client got every event, and the API's memory and CPU.
//!
//! The clients are plain sockets reading the raw stream (a frame is one chunk of the chunked
//! response, so its JSON is never split by the chunk framing): 10,000 of them fit in one process.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::figures::{quantile, round};
use crate::redis_server::BenchRedis;
use crate::stack::{memory_kib, ProcessStack};

const TIMESTAMP: &[u8] = b"\"timestamp\":\"";
const FINAL: &[u8] = b"\"status\":\"completed\"";

/// What one client saw.
#[derive(Default)]
struct Seen {
    latencies_ms: Vec<i64>,
    events: usize,
}

pub async fn run(redis: &BenchRedis, subscribers: usize, jobs: usize) -> anyhow::Result<Value> {
    let stack = ProcessStack::start(
        &redis.url,
        &[
            ("SIM_QUEUED_MS", "500".into()),
            ("SIM_RUNNING_MS", "8000".into()),
        ],
        &[
            ("POLL_INITIAL_INTERVAL_MS", "500".into()),
            ("POLL_MAX_INTERVAL_MS", "1000".into()),
            ("RUST_LOG", "warn".into()),
        ],
        1,
    )
    .await?;
    let address = stack.api_url.trim_start_matches("http://").to_owned();
    let connected = Arc::new(AtomicUsize::new(0));
    let finals = Arc::new(AtomicUsize::new(0));
    let (stop, stopped) = watch::channel(false);
    let began = Instant::now();
    let mut clients = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        let (address, connected, finals, stopped) = (
            address.clone(),
            connected.clone(),
            finals.clone(),
            stopped.clone(),
        );
        clients.push(tokio::spawn(async move {
            subscribe(&address, &connected, &finals, stopped).await
        }));
    }
    while connected.load(Ordering::Relaxed) < subscribers {
        anyhow::ensure!(
            began.elapsed() < Duration::from_secs(120),
            "only {} of {subscribers} subscribers connected",
            connected.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let connect_secs = began.elapsed().as_secs_f64();
    let idle_rss_kib = memory_kib(stack.api.pid()).map_or(0, |(_, rss)| rss);
    let cpu_before = cpu_secs(stack.api.pid());

    let started = Instant::now();
    for n in 0..jobs {
        stack.submit(&format!("fan-out job {n}")).await?;
    }
    // Until every client has seen every job's completion.
    while finals.load(Ordering::Relaxed) < subscribers * jobs {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "{} of {} completions reached the clients",
            finals.load(Ordering::Relaxed),
            subscribers * jobs
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let run_secs = started.elapsed().as_secs_f64();
    let cpu_secs_used = cpu_secs(stack.api.pid()) - cpu_before;
    let peak_rss_kib = memory_kib(stack.api.pid()).map_or(0, |(hwm, _)| hwm);
    stop.send(true)?;
    let mut latencies = Vec::new();
    let mut per_client = Vec::new();
    for client in clients {
        let seen = client.await??;
        per_client.push(seen.events);
        latencies.extend(seen.latencies_ms);
    }
    latencies.sort_unstable();
    let (fewest, most) = (
        per_client.iter().min().copied().unwrap_or(0),
        per_client.iter().max().copied().unwrap_or(0),
    );
    anyhow::ensure!(!latencies.is_empty(), "no event reached a client");
    Ok(json!({
        "workload": "fanout",
        "subscribers": subscribers,
        "jobs": jobs,
        "connect_secs": round(connect_secs, 2),
        "events_per_subscriber": most,
        "every_subscriber_got_every_event": fewest == most,
        "frames_delivered": latencies.len(),
        "frames_per_sec": round(latencies.len() as f64 / run_secs, 0),
        "latency_ms_p50": quantile(&latencies, 0.5),
        "latency_ms_p99": quantile(&latencies, 0.99),
        "latency_ms_max": latencies[latencies.len() - 1],
        "api_rss_mib_idle_subscribed": round(idle_rss_kib as f64 / 1024.0, 1),
        "api_peak_rss_mib": round(peak_rss_kib as f64 / 1024.0, 1),
        "api_cpu_secs": round(cpu_secs_used, 2),
        "run_secs": round(run_secs, 2),
    }))
}

/// One client: subscribes, then notes each event's latency until told to stop.
async fn subscribe(
    address: &str,
    connected: &AtomicUsize,
    finals: &AtomicUsize,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<Seen> {
    let mut socket = TcpStream::connect(address).await?;
    let request =
        format!("GET /api/events HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n\r\n");
    socket.write_all(request.as_bytes()).await?;
    let mut seen = Seen::default();
    let mut buffer: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 16 * 1024];
    let mut headers_read = false;
    loop {
        let read = tokio::select! {
            read = socket.read(&mut chunk) => read?,
            _ = stopped.changed() => return Ok(seen),
        };
        anyhow::ensure!(read > 0, "the API closed an event stream");
        let arrived_ms = chrono::Utc::now().timestamp_millis();
        buffer.extend_from_slice(&chunk[..read]);
        if !headers_read {
            let Some(end) = find(&buffer, b"\r\n\r\n") else {
                continue;
            };
            anyhow::ensure!(buffer.starts_with(b"HTTP/1.1 200"), "refused");
            headers_read = true;
            connected.fetch_add(1, Ordering::Relaxed);
            buffer.drain(..end + 4);
        }
        // Each complete frame ends with a blank line; what follows stays for the next read.
        while let Some(end) = find(&buffer, b"\n\n") {
            let frame: Vec<u8> = buffer.drain(..end + 2).collect();
            if let Some(at) = find(&frame, TIMESTAMP) {
                let start = at + TIMESTAMP.len();
                let stamp = std::str::from_utf8(&frame[start..start + 24]).unwrap_or_default();
                if let Ok(made) = chrono::DateTime::parse_from_rfc3339(stamp) {
                    seen.latencies_ms.push(arrived_ms - made.timestamp_millis());
                    seen.events += 1;
                }
                if find(&frame, FINAL).is_some() {
                    finals.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A process's CPU time so far (user + system), from /proc.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after its closing parenthesis.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}
