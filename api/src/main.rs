use relay_api::Application;
use relay_shared::{shutdown, telemetry, Settings};

// Every request allocates and frees small buffers (the request, a Redis reply, the JSON answer);
// mimalloc serves that with less work than glibc's allocator (W3 in BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let _log = telemetry::init("info");
    let settings = Settings::load()?;
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return healthcheck(settings.api.port).await;
    }
    let app = Application::build(&settings)?;
    tracing::info!(
        "🚀 relay-api listening on http://{}:{} (redis {})",
        settings.api.host,
        app.port(),
        redact(&settings.redis.url)
    );
    app.run_until_stopped(shutdown::signal()).await?;
    Ok(())
}

/// A Redis URL without its password.
fn redact(url: &str) -> String {
    match url.split_once('@') {
        Some((scheme_and_auth, host)) => {
            let scheme = scheme_and_auth.split("://").next().unwrap_or("redis");
            format!("{scheme}://***@{host}")
        }
        None => url.to_owned(),
    }
}

/// `relay-api healthcheck`: exits 0 when this container's API is ready. For container health
/// checks in an image that carries no curl.
async fn healthcheck(port: u16) -> anyhow::Result<()> {
    let url = format!("http://127.0.0.1:{port}/readyz");
    let response = reqwest::Client::new()
        .get(&url)
        .timeout(std::time::Duration::from_secs(3))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    Ok(())
}
