//! How the flat keys (`raw`) become the grouped, typed settings: durations as [`Duration`]s,
//! choices as enums, each provider's account.

use std::time::Duration;

use super::raw::Raw;
use super::{
    ApiSettings, Auth, CallbackSettings, CircuitSettings, ContentSettings, LinkKind, LiveSettings,
    PollingSettings, ProviderPolicy, ProviderSettings, RedisSettings, Routes, Settings,
    UnknownSubmission, WebhookSettings,
};
use crate::provider::Frame;

impl From<Raw> for Settings {
    fn from(r: Raw) -> Self {
        let ms = Duration::from_millis;
        let secs = Duration::from_secs;
        let quota_pause = secs(r.sora_quota_pause_secs);
        Settings {
            api: ApiSettings {
                port: r.port,
                host: r.host,
                auth: if r.auth == "off" { Auth::Off } else { Auth::On },
                admin_api_key: r.admin_api_key,
                tenant_rate_per_min: r.tenant_rate_per_min,
                tenant_rate_burst: r.tenant_rate_burst,
                tenant_max_active_jobs: r.tenant_max_active_jobs,
                script_max_chars: r.script_max_chars,
                metadata_max_bytes: r.metadata_max_bytes,
                idempotency_window: secs(r.idempotency_window_secs),
            },
            redis: RedisSettings {
                url: r.redis_url,
                cluster: r.redis_cluster,
                key_prefix: r.redis_key_prefix,
                partitions: r.job_partitions,
                wait_replicas: r.redis_wait_replicas,
                wait_timeout: ms(r.redis_wait_timeout_ms),
            },
            openai: ProviderSettings {
                base_url: r.openai_base_url,
                api_key: r.openai_api_key,
                model: r.sora_model,
                default_seconds: r.sora_default_seconds.parse().ok(),
                default_frame: Frame::parse_size(&r.sora_default_size),
                max_rpm: r.sora_max_rpm,
                max_in_flight: r.sora_max_in_flight,
                quota_pause,
            },
            openrouter: ProviderSettings {
                base_url: r.openrouter_base_url,
                api_key: r.openrouter_api_key,
                model: r.openrouter_model,
                default_seconds: None,
                default_frame: None,
                max_rpm: r.openrouter_max_rpm,
                max_in_flight: r.openrouter_max_in_flight,
                quota_pause,
            },
            replicate: ProviderSettings {
                base_url: r.replicate_base_url,
                api_key: r.replicate_api_token,
                model: r.replicate_model,
                default_seconds: None,
                default_frame: None,
                max_rpm: r.replicate_max_rpm,
                max_in_flight: r.replicate_max_in_flight,
                quota_pause,
            },
            fal: ProviderSettings {
                base_url: r.fal_base_url,
                api_key: r.fal_key,
                model: r.fal_model,
                default_seconds: None,
                default_frame: None,
                max_rpm: r.fal_max_rpm,
                max_in_flight: r.fal_max_in_flight,
                quota_pause,
            },
            runway: ProviderSettings {
                base_url: r.runway_base_url,
                api_key: r.runwayml_api_secret,
                model: r.runway_model,
                default_seconds: None,
                default_frame: None,
                max_rpm: r.runway_max_rpm,
                max_in_flight: r.runway_max_in_flight,
                quota_pause,
            },
            veo: ProviderSettings {
                base_url: r.gemini_base_url,
                api_key: r.gemini_api_key,
                model: r.veo_model,
                default_seconds: None,
                default_frame: None,
                max_rpm: r.veo_max_rpm,
                max_in_flight: r.veo_max_in_flight,
                quota_pause,
            },
            luma: ProviderSettings {
                base_url: r.luma_base_url,
                api_key: r.lumaai_api_key,
                model: r.luma_model,
                default_seconds: None,
                default_frame: None,
                max_rpm: r.luma_max_rpm,
                max_in_flight: r.luma_max_in_flight,
                quota_pause,
            },
            live: LiveSettings {
                stream_length: r.live_stream_length,
                heartbeat: secs(r.events_heartbeat_secs),
            },
            callbacks: CallbackSettings {
                public_base_url: Some(r.public_base_url).filter(|u| !u.is_empty()),
                poll_stretch: r.poll_stretch_with_callbacks,
                replicate_secret: r.replicate_webhook_secret,
                openrouter_secret: r.openrouter_webhook_secret,
                fal_jwks_url: r.fal_jwks_url,
                token_secret: r.callback_token_secret,
            },
            providers: ProviderPolicy {
                default: r.provider,
                timeout: ms(r.provider_timeout_ms),
                failure_max: secs(r.provider_failure_max_secs),
                submission_unknown_max: secs(r.submission_unknown_max_secs),
                submission_unknown: if r.submission_unknown_policy == "resubmit" {
                    UnknownSubmission::Resubmit
                } else {
                    UnknownSubmission::Fail
                },
                circuit: CircuitSettings {
                    failures: r.circuit_failures,
                    window: secs(r.circuit_window_secs),
                    open: secs(r.circuit_open_secs),
                },
            },
            // Parsed (and its file read) by `Settings::from_sources`, which can fail.
            routes: Routes::default(),
            polling: PollingSettings {
                initial_interval: ms(r.poll_initial_interval_ms),
                max_interval: ms(r.poll_max_interval_ms),
                job_max_age: secs(r.job_max_age_secs),
                job_lease: ms(r.job_lease_ms),
                job_retention: secs(r.job_retention_secs),
                shutdown_grace: ms(r.worker_shutdown_grace_ms),
                concurrency: r.worker_concurrency,
                idle_max: ms(r.worker_idle_max_ms),
                metrics_port: r.metrics_port.parse().ok(),
            },
            webhooks: WebhookSettings {
                url: Some(r.webhook_url).filter(|u| !u.is_empty()),
                allowed_nets: r.webhook_allowed_nets,
                secret: r.webhook_secret,
                timeout: ms(r.webhook_timeout_ms),
                retry_initial: ms(r.webhook_retry_initial_ms),
                retry_max: ms(r.webhook_retry_max_ms),
                retry_window: secs(r.webhook_retry_window_secs),
                max_attempts: r.webhook_max_attempts,
                concurrency: r.webhook_concurrency,
            },
            content: ContentSettings {
                store: crate::content::StoreUrl::parse(&r.content_store).expect("validated"),
                link: if r.content_link == "presigned" {
                    LinkKind::Presigned
                } else {
                    LinkKind::Signed
                },
                link_ttl: secs(r.content_link_ttl_secs),
                link_secret: r.content_link_secret,
                retention: (r.content_retention_days > 0.0)
                    .then(|| Duration::from_secs_f64(r.content_retention_days * 86_400.0)),
                copy_concurrency: r.content_copy_concurrency,
            },
        }
    }
}
