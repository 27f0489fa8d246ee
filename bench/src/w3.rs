//! W3, the API under load: `wrk` against `POST /api/generate` and `GET /api/videos/status/{id}` of
//! a real `relay-api` process, beside `wrk` against two minimal actix-web handlers on the same
//! machine: one that answers at once (the ceiling for any actix-web service here) and one that
//! makes a single Redis read over one shared multiplexed connection, as relay-api does (the
//! ceiling for any endpoint that reads Redis). Status reads are measured twice: with the access log
//! filtered out (RUST_LOG=warn, as the minimal handlers log nothing) and at the default level,
//! every request a log line. Needs `wrk` on the PATH (`apt-get install wrk`).

use std::net::TcpListener;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::figures::round;
use crate::redis_server::BenchRedis;
use crate::stack::ProcessStack;

/// One `wrk` run's figures.
struct Load {
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
}

impl Load {
    fn json(&self) -> Value {
        json!({
            "requests_per_sec": self.requests_per_sec.round(),
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "non_2xx": self.non_2xx,
        })
    }
}

pub async fn run(redis: &BenchRedis, seconds: u64, connections: u32) -> anyhow::Result<Value> {
    redis.flush().await?;
    let relay_env = [
        (
            "REDIS_KEY_PREFIX",
            format!("w3-{}", &relay_shared::store::layout::new_job_id()[..8]),
        ),
        ("RUST_LOG", "warn".to_owned()),
    ];
    let stack = ProcessStack::start(&redis.url, &[], &relay_env, 0).await?;
    let job_id = stack.submit("W3: the job whose status is read").await?;
    let dir = tempfile::tempdir()?;
    let post_script = dir.path().join("post.lua");
    let body = json!({
        "walletAddress": "0x52908400098527886E0F7030069857D2E4169EE7",
        "script": "W3: a paper boat drifting down a rain gutter, macro lens",
        "renderVersion": "v3",
    });
    std::fs::write(
        &post_script,
        format!(
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = {}\n",
            serde_json::to_string(&body.to_string())?
        ),
    )?;
    let generate = wrk(
        &format!("{}/api/generate", stack.api_url),
        Some(post_script.to_str().unwrap_or_default()),
        seconds,
        connections,
    )
    .await?;
    let status = wrk(
        &format!("{}/api/videos/status/{job_id}", stack.api_url),
        None,
        seconds,
        connections,
    )
    .await?;
    // The same reads from an API at the default log level: an access-log line per request, to a
    // pipe drained by a thread of this process, as a container engine collects a service's logs.
    let (logging_api, logging_url) = stack.another_api(&[("RUST_LOG", "info")]).await?;
    let status_logged = wrk(
        &format!("{logging_url}/api/videos/status/{job_id}"),
        None,
        seconds,
        connections,
    )
    .await?;
    let access_log_lines = logging_api.count_lines("/api/videos/status/");
    drop(logging_api);
    drop(stack);

    let mut conn = redis.connection().await?;
    redis::cmd("HSET")
        .arg(CEILING_KEY)
        .arg("status")
        .arg("completed")
        .query_async::<()>(&mut conn)
        .await?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let trivial = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(conn.clone()))
            .route(
                "/",
                web::get().to(|| async { HttpResponse::Ok().json(json!({"ok": true})) }),
            )
            .route("/one-redis-read", web::get().to(one_redis_read))
    })
    .listen(listener)?
    .disable_signals()
    .run();
    let handle = trivial.handle();
    tokio::spawn(trivial);
    let ceiling = wrk(
        &format!("http://127.0.0.1:{port}/"),
        None,
        seconds,
        connections,
    )
    .await?;
    let one_read = wrk(
        &format!("http://127.0.0.1:{port}/one-redis-read"),
        None,
        seconds,
        connections,
    )
    .await?;
    anyhow::ensure!(one_read.non_2xx == 0, "the one-read handler failed");
    handle.stop(false).await;
    redis.flush().await?;
    Ok(json!({
        "workload": "w3",
        "seconds_each": seconds,
        "connections": connections,
        "generate": generate.json(),
        "status": status.json(),
        "status_with_access_log": status_logged.json(),
        "access_log_lines": access_log_lines,
        "trivial_handler": ceiling.json(),
        "one_redis_read_handler": one_read.json(),
        "status_share_of_ceiling": round(status.requests_per_sec / ceiling.requests_per_sec, 3),
        "status_share_of_one_read": round(status.requests_per_sec / one_read.requests_per_sec, 3),
        "status_with_access_log_share_of_ceiling": round(status_logged.requests_per_sec / ceiling.requests_per_sec, 3),
        "generate_share_of_ceiling": round(generate.requests_per_sec / ceiling.requests_per_sec, 3),
    }))
}

/// The hash the one-read handler reads.
const CEILING_KEY: &str = "w3:ceiling";

/// One HGET over the shared connection, its answer as JSON: the least an endpoint reading Redis does.
async fn one_redis_read(conn: web::Data<redis::aio::MultiplexedConnection>) -> HttpResponse {
    let mut conn = conn.get_ref().clone();
    match redis::cmd("HGET")
        .arg(CEILING_KEY)
        .arg("status")
        .query_async::<Option<String>>(&mut conn)
        .await
    {
        Ok(status) => HttpResponse::Ok().json(json!({ "status": status })),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

async fn wrk(
    url: &str,
    script: Option<&str>,
    seconds: u64,
    connections: u32,
) -> anyhow::Result<Load> {
    let mut command = tokio::process::Command::new("wrk");
    command.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
    ]);
    if let Some(script) = script {
        command.args(["-s", script]);
    }
    let output =
        command.arg(url).output().await.map_err(|e| {
            anyhow::anyhow!("could not run wrk ({e}); install it: apt-get install wrk")
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "wrk failed: {text}");
    parse_wrk(&text).ok_or_else(|| anyhow::anyhow!("unreadable wrk output:\n{text}"))
}

fn parse_wrk(text: &str) -> Option<Load> {
    let line_value = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_owned()))
    };
    let requests_per_sec = line_value("Requests/sec:")?.parse().ok()?;
    let non_2xx = line_value("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let percentile = |p: &str| line_value(p).and_then(|v| duration_ms(&v));
    Some(Load {
        requests_per_sec,
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
        non_2xx,
    })
}

/// wrk's durations: `812.00us`, `1.23ms`, `2.01s`.
fn duration_ms(text: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    let ms = number.parse::<f64>().ok()? * factor;
    Some(round(ms, 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        let text = "Running 1s test @ http://127.0.0.1:1/\n  Latency Distribution\n     50%  812.00us\n     75%    1.00ms\n     90%    1.20ms\n     99%    2.50ms\n  1000 requests in 1.00s, 1.00MB read\n  Non-2xx or 3xx responses: 3\nRequests/sec:   9999.50\n";
        let load = parse_wrk(text).unwrap();
        assert_eq!(load.requests_per_sec, 9999.5);
        assert_eq!((load.p50_ms, load.p99_ms, load.non_2xx), (0.812, 2.5, 3));
    }
}
