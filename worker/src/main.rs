use relay_shared::{telemetry, Settings};
use relay_worker::Worker;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("info");
    let settings = Settings::load()?;
    let worker = Worker::build(settings)?;
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        relay_shared::shutdown::signal().await;
        tracing::info!("stop requested: finishing in-flight work");
        on_signal.cancel();
    });
    worker.run_until_stopped(shutdown).await
}
