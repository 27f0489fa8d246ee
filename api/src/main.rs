use relay_api::Application;
use relay_shared::{shutdown, telemetry, Settings};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("info");
    let settings = Settings::load()?;
    let app = Application::build(&settings)?;
    tracing::info!(
        "🚀 relay-api listening on http://{}:{} (redis {})",
        settings.host,
        app.port(),
        redact(&settings.redis_url)
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
