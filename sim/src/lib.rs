//! `sora-sim`: a local imitation of the OpenAI Videos API (`/v1/videos`), Replicate's predictions
//! (`/replicate/v1`), OpenRouter's videos (`/openrouter/api/v1`) and fal's queue (`/fal`), with
//! their signed callbacks (`GET /sim/callbacks` lists those sent) and their outputs' bytes
//! (`files`), for development, tests and
//! benchmarks. It follows the wire contracts in `docs/providers/`: for OpenAI every key of the
//! Video object, the error envelope, the bearer-key check, `x-request-id`; for all a configurable
//! timeline and injected faults, each answered in its contract's own error shape. `GET /sim/stats` counts what clients did, including
//! creates per prompt, so tests can prove that no video was submitted twice.

pub mod callbacks;
pub mod config;
mod control;
mod error;
mod fal;
pub mod files;
mod luma;
mod middleware;
mod openai;
mod openrouter;
mod replicate;
mod runway;
pub mod sink;
mod state;
mod veo;
pub mod video;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{dev::Server, middleware::from_fn, web, App, HttpServer};

pub use config::{Faults, SimConfig};
pub use state::{Counters, SimState};

/// A running simulator.
pub struct Simulator {
    pub port: u16,
    pub state: Arc<SimState>,
    pub server: Server,
}

impl Simulator {
    /// Starts serving on `listener` (port 0 gives a free port). Spawn or await `server`.
    pub fn start(config: SimConfig, listener: TcpListener) -> std::io::Result<Self> {
        let port = listener.local_addr()?.port();
        let state = web::Data::new(SimState::new(config).map_err(std::io::Error::other)?);
        let shared = state.clone().into_inner();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                .wrap(from_fn(middleware::request_id))
                .service(
                    web::scope("/v1")
                        .wrap(from_fn(middleware::auth_and_faults))
                        .route("/videos", web::post().to(openai::create))
                        .route("/videos", web::get().to(openai::list))
                        .route("/videos/{id}", web::get().to(openai::retrieve))
                        .route("/videos/{id}", web::delete().to(openai::delete))
                        .route("/videos/{id}/content", web::get().to(openai::content))
                        .route("/videos/{id}/remix", web::post().to(openai::remix)),
                )
                // Outputs, as the providers' CDNs serve them: no key.
                .route("/replicate/v1/files/{name}", web::get().to(files::file))
                .route("/fal/files/{name}", web::get().to(files::file))
                .route("/runway/files/{name}", web::get().to(files::file))
                .route("/veo/v1beta/blobs/{name}", web::get().to(files::file))
                .route(
                    "/luma/dream-machine/v1/files/{name}",
                    web::get().to(files::file),
                )
                .service(
                    web::scope("/luma/dream-machine/v1")
                        .wrap(from_fn(middleware::luma_auth_and_faults))
                        .route("/generations/video", web::post().to(luma::create))
                        .route("/generations/{id}", web::get().to(luma::generation))
                        .route("/generations/{id}", web::delete().to(luma::delete)),
                )
                .service(
                    web::scope("/veo/v1beta")
                        .wrap(from_fn(middleware::google_auth_and_faults))
                        .route("/models/{model}", web::post().to(veo::predict))
                        .route(
                            "/models/{model}/operations/{id}",
                            web::get().to(veo::operation),
                        )
                        .route("/files/{file}", web::get().to(veo::download)),
                )
                .service(
                    web::scope("/runway/v1")
                        .wrap(from_fn(middleware::runway_auth_and_faults))
                        .route("/text_to_video", web::post().to(runway::create))
                        .route("/image_to_video", web::post().to(runway::create))
                        .route("/tasks/{id}", web::get().to(runway::task))
                        .route("/tasks/{id}", web::delete().to(runway::delete)),
                )
                .service(
                    web::scope("/replicate/v1")
                        .wrap(from_fn(middleware::replicate_auth_and_faults))
                        .route(
                            "/models/{owner}/{name}/predictions",
                            web::post().to(replicate::create_for_model),
                        )
                        .route(
                            "/predictions",
                            web::post().to(replicate::create_for_version),
                        )
                        .route("/predictions", web::get().to(replicate::list))
                        .route("/predictions/{id}", web::get().to(replicate::retrieve))
                        .route(
                            "/predictions/{id}/cancel",
                            web::post().to(replicate::cancel),
                        )
                        .route(
                            "/webhooks/default/secret",
                            web::get().to(replicate::webhook_secret),
                        ),
                )
                .service(
                    web::scope("/openrouter/api/v1")
                        .wrap(from_fn(middleware::openrouter_auth_and_faults))
                        .route("/videos", web::post().to(openrouter::create))
                        .route("/videos/{id}", web::get().to(openrouter::retrieve))
                        .route("/videos/{id}/content", web::get().to(openrouter::content)),
                )
                .route("/fal/.well-known/jwks.json", web::get().to(fal::jwks))
                .service(
                    web::scope("/fal")
                        .wrap(from_fn(middleware::fal_auth_and_faults))
                        .route(
                            "/{owner}/{alias}/requests/{id}/status",
                            web::get().to(fal::status),
                        )
                        .route(
                            "/{owner}/{alias}/requests/{id}/cancel",
                            web::put().to(fal::cancel),
                        )
                        .route(
                            "/{owner}/{alias}/requests/{id}",
                            web::get().to(fal::result_of),
                        )
                        .route("/{app:.+}", web::post().to(fal::submit)),
                )
                .route("/sim/callbacks", web::get().to(control::sim_callbacks))
                .route("/sim/stats", web::get().to(control::sim_stats))
                .route("/sim/videos", web::get().to(control::sim_videos))
                .route("/sim/videos/{id}", web::delete().to(files::purge))
                .route("/sim/webhooks", web::post().to(sink::receive))
                .route("/sim/webhooks", web::get().to(sink::list))
                .route("/sim/faults", web::post().to(control::set_faults))
                .default_service(web::to(openai::unknown_route))
        })
        .workers(2)
        .listen(listener)?
        .disable_signals()
        .run();
        Ok(Self {
            port,
            state: shared,
            server,
        })
    }
}
