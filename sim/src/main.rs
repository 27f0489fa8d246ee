use std::net::TcpListener;

use clap::Parser;
use sora_sim::{SimConfig, Simulator};

/// A local imitation of the OpenAI Videos API.
#[derive(Parser)]
#[command(name = "sora-sim", version)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "SIM_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, env = "SIM_PORT", default_value_t = 8080)]
    port: u16,
    #[command(flatten)]
    config: SimConfig,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let _log = relay_shared::telemetry::init("info");
    let cli = Cli::parse();
    let listener = TcpListener::bind((cli.host.as_str(), cli.port))?;
    let sim = Simulator::start(cli.config.clone(), listener)?;
    tracing::info!(
        "🎬 sora-sim listening on http://{}:{}/v1 (queued {} ms, running {} ms, failures {:.0}%, 429s {:.0}%, 5xx {:.0}%)",
        cli.host,
        sim.port,
        cli.config.queued_ms,
        cli.config.running_ms,
        cli.config.failure_rate * 100.0,
        cli.config.rate_429 * 100.0,
        cli.config.rate_5xx * 100.0,
    );
    let handle = sim.server.handle();
    tokio::spawn(async move {
        relay_shared::shutdown::signal().await;
        handle.stop(true).await;
    });
    sim.server.await?;
    Ok(())
}
