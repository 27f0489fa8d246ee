//! `relay-bench`: sora-relay's workloads against a real Redis, each printed beside a peer or a
//! physical limit measured in the same run. Human text by default; `--json` prints one JSON
//! object per workload on its own line. Build with `--release`.

mod content;
mod failover;
mod fanout;
mod figures;
mod memory;
mod redis_server;
mod script_cost;
mod soak;
mod stack;
mod w1;
mod w2;
mod w3;
mod w4;
mod w5;
mod w6;

// The allocator of relay-worker, whose library W1 and W2 run in this process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use serde_json::Value;

#[derive(Parser)]
#[command(name = "relay-bench", version)]
struct Cli {
    /// Redis to run against; by default a private redis-server is started and stopped.
    #[arg(long, global = true)]
    redis_url: Option<String>,
    /// One JSON object per workload, one per line, instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Record Prometheus metrics, as a worker with METRICS_PORT set (or the API) does: run a
    /// workload with and without it to see what they cost.
    #[arg(long, global = true)]
    metrics: bool,
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand)]
enum Workload {
    /// Queue machinery: jobs polled `polls` times each, re-scheduled due now after each poll,
    /// beside BullMQ and the raw-Redis limit.
    W1 {
        #[arg(long, default_value_t = 10_000)]
        jobs: usize,
        #[arg(long, default_value_t = 10)]
        polls: u32,
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Jobs each worker polls at once (the BullMQ peer uses 50).
        #[arg(long, default_value_t = 50)]
        concurrency: usize,
        /// Skip the BullMQ peer (it needs node and npm).
        #[arg(long)]
        no_peer: bool,
    },
    /// Failover: `jobs` jobs each straight to a provider, on a route whose first target is out
    /// of quota, and on one whose first target lacks the model; refusal → acceptance by the next
    /// target, and duplicate submissions (none).
    Failover {
        #[arg(long, default_value_t = 50)]
        jobs: usize,
    },
    /// Live events: `subscribers` clients on one API process's tenant-wide event stream while a
    /// worker drives `jobs` videos; event → client latency, and the API's memory and CPU.
    Fanout {
        #[arg(long, default_value_t = 10_000)]
        subscribers: usize,
        #[arg(long, default_value_t = 5)]
        jobs: usize,
    },
    /// Punctuality: jobs due over `spread_secs`, two workers; lateness from due to provider call.
    W2 {
        #[arg(long, default_value_t = 100_000)]
        jobs: usize,
        #[arg(long, default_value_t = 60)]
        spread_secs: u64,
    },
    /// The drain: every job due at the same moment (a flood; with `--partitions 1`, of one
    /// partition), two workers; time to poll them all, and the lateness.
    Drain {
        #[arg(long, default_value_t = 1_000_000)]
        jobs: usize,
        #[arg(long, default_value_t = 1)]
        partitions: u16,
    },
    /// The API under wrk, beside a trivial actix-web handler and one that makes one Redis read (needs wrk).
    W3 {
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 64)]
        connections: u32,
    },
    /// End to end over HTTP: jobs through the API, workers and the simulator to a webhook receiver.
    W4 {
        #[arg(long, default_value_t = 10_000)]
        jobs: usize,
        #[arg(long, default_value_t = 1)]
        workers: usize,
    },
    /// Memory: Redis bytes per tracked job, beside the bytes of the job's own data.
    W5 {
        #[arg(long, default_value_t = 100_000)]
        jobs: usize,
    },
    /// Provider budget: requests per job and completion-to-webhook delay, beside fixed 5 s polling.
    W6 {
        #[arg(long, default_value_t = 200)]
        jobs: usize,
    },
    /// Custody: a video of `mib` MiB kept by a worker and streamed by the API, beside curl
    /// downloading it and reading the kept file (`file://`); memory while streaming.
    Content {
        #[arg(long, default_value_t = 1024)]
        mib: u64,
    },
    /// The soak: steady load for `minutes` (submissions, polls through the simulator, webhooks to
    /// a receiver refusing one in ten), a line a minute; fails on anything lost or doubled.
    Soak {
        #[arg(long, default_value_t = 10)]
        minutes: u64,
        /// Submissions per second.
        #[arg(long, default_value_t = 20)]
        rate: u64,
        #[arg(long, default_value_t = 2)]
        workers: usize,
    },
    /// A fixed sequence of the worker's claims and commits, for counting Redis's work per poll
    /// cycle with callgrind (scripts/script-cost); no timing in it.
    ScriptCost {
        #[arg(long, default_value_t = 3_000)]
        jobs: usize,
        #[arg(long, default_value_t = 500)]
        rounds: usize,
        #[arg(long, default_value_t = 12)]
        batch: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.metrics {
        relay_shared::telemetry::metrics::install();
    }
    let redis = redis_server::BenchRedis::start_or_use(cli.redis_url.as_deref())?;
    let result = match cli.workload {
        Workload::W1 {
            jobs,
            polls,
            workers,
            concurrency,
            no_peer,
        } => {
            anyhow::ensure!(
                jobs > 0 && polls > 1 && workers > 0,
                "need jobs > 0, polls > 1, workers > 0"
            );
            let w1 = w1::W1 {
                jobs,
                polls,
                workers,
                concurrency,
            };
            w1::run(&redis, w1, !no_peer).await?
        }
        Workload::Failover { jobs } => failover::run(&redis, jobs.max(1)).await?,
        Workload::Fanout { subscribers, jobs } => {
            fanout::run(&redis, subscribers.max(1), jobs.max(1)).await?
        }
        Workload::W2 { jobs, spread_secs } => {
            w2::run(
                &redis,
                jobs.max(1),
                std::time::Duration::from_secs(spread_secs.max(1)),
            )
            .await?
        }
        Workload::Drain { jobs, partitions } => {
            w2::drain(&redis, jobs.max(1), partitions.clamp(1, 1024)).await?
        }
        Workload::W3 {
            seconds,
            connections,
        } => w3::run(&redis, seconds.max(1), connections.max(2)).await?,
        Workload::W4 { jobs, workers } => w4::run(&redis, jobs.max(1), workers.max(1)).await?,
        Workload::W6 { jobs } => w6::run(&redis, jobs.max(1)).await?,
        Workload::W5 { jobs } => w5::run(&redis, jobs.max(1)).await?,
        Workload::Content { mib } => content::run(&redis, mib.max(1)).await?,
        Workload::Soak {
            minutes,
            rate,
            workers,
        } => {
            let soak = soak::Soak {
                minutes: minutes.max(1),
                rate: rate.max(1),
                workers: workers.max(1),
            };
            soak::run(&redis, soak).await?
        }
        Workload::ScriptCost {
            jobs,
            rounds,
            batch,
        } => {
            let cost = script_cost::ScriptCost {
                jobs,
                rounds,
                batch: batch.max(2),
            };
            script_cost::run(&redis, cost).await?
        }
    };
    report(&result, cli.json);
    Ok(())
}

fn report(result: &Value, json: bool) {
    if json {
        println!("{result}");
        return;
    }
    let field = |k: &str| result.get(k).cloned().unwrap_or(Value::Null);
    if !matches!(result["workload"].as_str(), Some("w1" | "w5")) {
        println!(
            "{}",
            result["workload"].as_str().unwrap_or("?").to_uppercase()
        );
        for (key, value) in result.as_object().into_iter().flatten() {
            if key != "workload" {
                println!("  {key:<28} {value}");
            }
        }
    }
    if result["workload"] == "w5" {
        println!(
            "W5 memory: {} queued jobs: {} Redis bytes per job (hash-max-listpack-value {}), beside {} bytes of the job's own data ({}x)",
            field("jobs"),
            field("redis_bytes_per_job"),
            field("hash_max_listpack_value"),
            field("job_data_bytes"),
            field("overhead_factor")
        );
        if let Some(recommended) = result.get("recommended_config") {
            println!(
                "  with hash-max-listpack-value {} (the deployment files' setting): {} bytes per job ({}x)",
                recommended["hash_max_listpack_value"],
                recommended["redis_bytes_per_job"],
                recommended["overhead_factor"]
            );
        }
    }
    if result["workload"] == "w1" {
        println!(
            "W1 queue machinery: {} jobs x {} polls, {} workers x {} concurrent",
            field("jobs"),
            field("polls"),
            field("workers"),
            field("concurrency")
        );
        println!(
            "  sora-relay        {:>9} cycles/s  ({} cycles in {} s)",
            field("cycles_per_sec"),
            field("cycles"),
            field("seconds")
        );
        match result["bullmq_cycles_per_sec"].as_f64() {
            Some(peer) => println!(
                "  BullMQ 5          {peer:>9} cycles/s  -> sora-relay is {}x BullMQ",
                field("vs_bullmq")
            ),
            None => println!("  BullMQ 5          not measured: {}", field("bullmq_note")),
        }
        println!(
            "  raw Redis limit   {:>9} cycles/s  -> sora-relay reaches {} of it",
            field("redis_limit_cycles_per_sec"),
            field("share_of_redis_limit")
        );
        println!(
            "  Redis CPU per cycle: sora-relay {} us, BullMQ {} us, raw limit {} us",
            field("redis_cpu_us_per_cycle"),
            field("bullmq_redis_cpu_us_per_cycle"),
            field("redis_limit_cpu_us_per_cycle")
        );
    }
}
