//! `relay-api`: accepts video jobs and answers questions about them. It never calls the provider
//! and never talks to workers: it writes jobs into Redis and reads them back.

mod access_log;
mod auth;
mod dashboard;
mod error;
mod events;
pub mod openapi;
mod requests;
mod routes;
pub mod validate;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use relay_shared::content::Custody;
use relay_shared::provider::callback::Callbacks;
use relay_shared::provider::Providers;
use relay_shared::ssrf::UrlGuard;
use relay_shared::store::Store;
use relay_shared::Settings;
use tracing::Level;

pub use error::ApiError;

pub struct AppState {
    pub store: Store,
    /// `AUTH=on`: every request needs a key.
    pub auth: bool,
    /// SHA-256 of `ADMIN_API_KEY` (see `relay_shared::access`), when set.
    pub admin_key_hash: Option<String>,
    pub tenant_limits: TenantLimits,
    pub limits: validate::Limits,
    pub url_guard: UrlGuard,
    /// The operator's `WEBHOOK_URL`, where jobs without their own URL deliver.
    pub operator_webhook_url: Option<String>,
    /// The enabled providers that can call back.
    pub callback_providers: Vec<&'static str>,
    /// Their signatures' verifiers.
    pub callbacks: Callbacks,
    /// Every enabled provider (the content proxy fetches through them).
    pub providers: Providers,
    /// When a target's circuit opens and for how long (the Providers view reads breakers).
    pub circuit: relay_shared::config::CircuitSettings,
    /// Where finished videos are kept (`CONTENT_STORE`); `None`: they are not.
    pub custody: Option<Custody>,
    /// The live events' one follower of Redis, and their settings.
    pub hub: std::sync::Arc<events::hub::Hub>,
    pub live: relay_shared::config::LiveSettings,
}

/// What each tenant may submit (0: no limit).
#[derive(Clone, Copy, Debug)]
pub struct TenantLimits {
    pub rate_per_min: u32,
    pub rate_burst: u32,
    pub max_active_jobs: u64,
    /// How long an active-job place can be held at most (a job's maximum age and a lease): an
    /// older one belongs to a job that ended without giving it back.
    pub active_place_lifetime: std::time::Duration,
}

/// The API server, built the same way by `main` and by tests.
pub struct Application {
    port: u16,
    server: Server,
    hub: std::sync::Arc<events::hub::Hub>,
}

impl Application {
    /// Binds `settings.api.host:settings.api.port` (port 0 picks a free one) and prepares the server.
    pub fn build(settings: &Settings) -> anyhow::Result<Self> {
        let api = &settings.api;
        let polling = &settings.polling;
        let auth = api.requires_keys()?;
        let enabled = Providers::from_settings(settings)?;
        let providers = enabled.names();
        tracing::info!(
            "providers enabled: {} (default {})",
            providers.join(", "),
            providers[0]
        );
        let callback_providers = enabled
            .iter()
            .filter(|p| p.adapter.capabilities().accepts_callbacks)
            .map(|p| p.name)
            .collect();
        let custody = Custody::from_settings(settings).map_err(anyhow::Error::msg)?;
        if custody.is_some() {
            tracing::info!("videos are kept in {:?}", settings.content.store);
        }
        let listener = TcpListener::bind((api.host.as_str(), api.port))?;
        let port = listener.local_addr()?.port();
        let store = Store::connect(settings)?;
        let hub = events::hub::Hub::new(store.clone());
        let state = web::Data::new(AppState {
            hub: hub.clone(),
            live: settings.live.clone(),
            store,
            auth,
            admin_key_hash: relay_shared::access::admin_key_hash(&api.admin_api_key),
            tenant_limits: TenantLimits {
                rate_per_min: api.tenant_rate_per_min,
                rate_burst: api.tenant_rate_burst,
                max_active_jobs: api.tenant_max_active_jobs,
                active_place_lifetime: polling.job_max_age
                    + polling.job_lease
                    + polling.max_interval,
            },
            limits: validate::Limits {
                script_max_chars: api.script_max_chars,
                metadata_max_bytes: api.metadata_max_bytes,
                providers: enabled
                    .iter()
                    .map(|p| validate::EnabledProvider {
                        name: p.name.to_owned(),
                        default_model: p.default_model.clone(),
                        estimated_progress: !p.adapter.capabilities().reports_progress,
                    })
                    .collect(),
                routes: settings.routes.clone(),
            },
            operator_webhook_url: settings.webhooks.url.clone(),
            callback_providers,
            callbacks: Callbacks::from_settings(&settings.callbacks, settings.providers.timeout)?,
            url_guard: UrlGuard::new(&settings.webhooks.allowed_nets)
                .map_err(|why| anyhow::anyhow!("webhook_allowed_nets: {why}"))?,
            providers: enabled,
            circuit: settings.providers.circuit,
            custody,
        });
        // The access log formats every request before the logger decides to drop the line, so it
        // is only in the chain when its lines are wanted (RUST_LOG at info for it, the default).
        relay_shared::telemetry::metrics::install();
        let access_log = tracing::enabled!(target: "actix_web::middleware::logger", Level::INFO);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                // A query string that does not parse is a 422 with the one error body.
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    ApiError::invalid_field(format!("query string: {e}")).into()
                }))
                .wrap(middleware::Condition::new(access_log, access_log::logger()))
                .wrap(middleware::from_fn(requests::traced_and_timed))
                .configure(routes::configure)
                .configure(dashboard::configure)
                .default_service(web::to(routes::not_found))
        })
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(10)
        .run();
        Ok(Self { port, server, hub })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `stop` resolves, then finishes in-flight requests.
    pub async fn run_until_stopped(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let handle = self.server.handle();
        let hub = self.hub;
        tokio::spawn(async move {
            stop.await;
            // Event streams never finish by themselves: end them first, so that the graceful
            // stop waits only for ordinary requests. Their clients resume elsewhere.
            hub.close_all();
            handle.stop(true).await;
        });
        self.server.await
    }
}
