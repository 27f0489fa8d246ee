//! W5, memory: Redis bytes per tracked job at `jobs` queued jobs (used_memory before and after,
//! divided by the jobs), beside the floor — the bytes of the job's own field names and values.

use std::collections::HashMap;

use relay_shared::job::NewJob;
use relay_shared::store::layout::new_job_id;
use relay_shared::store::Store;
use relay_shared::Settings;
use serde_json::{json, Value};

use crate::figures::round;
use crate::redis_server::BenchRedis;

const PROMPT: &str = "A slow dolly shot through a neon-lit night market in the rain, steam rising from food stalls, cinematic";

/// The compact-hash limit sora-relay's deployment files give Redis (`hash-max-listpack-value`).
const RECOMMENDED_LISTPACK_VALUE: &str = "1024";

/// Measures at the server's own setting and, on a server this run started, at the recommended one.
pub async fn run(redis: &BenchRedis, jobs: usize) -> anyhow::Result<Value> {
    let mut conn = redis.connection().await?;
    let reply: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("hash-max-listpack-value")
        .query_async(&mut conn)
        .await?;
    let initial = reply.get(1).cloned().unwrap_or_default();
    let mut result = measure(redis, jobs).await?;
    result["hash_max_listpack_value"] = json!(initial);
    if redis.is_private() && initial != RECOMMENDED_LISTPACK_VALUE {
        redis::cmd("CONFIG")
            .arg("SET")
            .arg("hash-max-listpack-value")
            .arg(RECOMMENDED_LISTPACK_VALUE)
            .query_async::<()>(&mut conn)
            .await?;
        let recommended = measure(redis, jobs).await?;
        result["recommended_config"] = json!({
            "hash_max_listpack_value": RECOMMENDED_LISTPACK_VALUE,
            "redis_bytes_per_job": recommended["redis_bytes_per_job"],
            "overhead_factor": recommended["overhead_factor"],
        });
    }
    Ok(result)
}

async fn measure(redis: &BenchRedis, jobs: usize) -> anyhow::Result<Value> {
    redis.flush().await?;
    let env: HashMap<String, String> = [("REDIS_URL", redis.url.clone())]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let store = Store::connect(&Settings::from_sources(None, &env)?)?;
    let mut conn = redis.connection().await?;
    let before = used_memory(&mut conn).await?;
    let job = NewJob {
        seconds: Some("8".into()),
        size: Some("1280x720".into()),
        ..NewJob::new("0x52908400098527886E0F7030069857D2E4169EE7", PROMPT)
    };
    let ids: Vec<String> = (0..jobs).map(|_| new_job_id()).collect();
    for chunk in ids.chunks(1000) {
        futures_util::future::try_join_all(chunk.iter().map(|id| store.create_job(id, &job)))
            .await?;
    }
    let after = used_memory(&mut conn).await?;
    let per_job = (after - before) as f64 / jobs as f64;
    // What the job itself holds: its fields as stored, plus its id in the schedule.
    let floor: usize = job
        .to_fields()
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum::<usize>()
        + [
            "state",
            "queued 0 1764064800000 - - 0 ",
            "updated",
            "1764064800000",
        ]
        .iter()
        .map(|s| s.len())
        .sum::<usize>()
        + 36;
    redis.flush().await?;
    Ok(json!({
        "workload": "w5",
        "jobs": jobs,
        "redis_bytes_per_job": per_job.round(),
        "job_data_bytes": floor,
        "overhead_factor": round(per_job / floor as f64, 2),
    }))
}

async fn used_memory(conn: &mut redis::aio::MultiplexedConnection) -> anyhow::Result<i64> {
    let info: String = redis::cmd("INFO").arg("memory").query_async(conn).await?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no used_memory in INFO"))
}
