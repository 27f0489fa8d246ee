use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_match_the_original_system() {
    let s = Settings::from_sources(None, &env(&[])).unwrap();
    assert_eq!(s.api.port, 3001);
    assert_eq!(s.redis.url, "redis://127.0.0.1:6379");
    assert_eq!(s.openai.base_url, "https://api.openai.com/v1");
    assert_eq!(s.openai.model, "sora-2");
    assert_eq!(s.polling.initial_interval, Duration::from_secs(5));
    assert_eq!(s.polling.max_interval, Duration::from_secs(60));
    assert_eq!(s.polling.job_max_age, Duration::from_secs(86400));
    assert_eq!(s.webhooks.url, None);
    assert_eq!(s.api.auth, Auth::On);
    assert_eq!(s.providers.submission_unknown, UnknownSubmission::Fail);
}

#[test]
fn the_api_is_closed_by_default_and_open_only_on_loopback() {
    let api_auth = |pairs: &[(&str, &str)]| {
        Settings::from_sources(None, &env(pairs))
            .unwrap()
            .api
            .requires_keys()
    };
    let refused = api_auth(&[]).unwrap_err().to_string();
    assert!(refused.contains("ADMIN_API_KEY"), "{refused}");
    assert!(api_auth(&[("ADMIN_API_KEY", "k")]).unwrap());
    let refused = api_auth(&[("AUTH", "off")]).unwrap_err().to_string();
    assert!(refused.contains("HOST=127.0.0.1"), "{refused}");
    for host in ["127.0.0.1", "::1", "localhost"] {
        assert!(!api_auth(&[("AUTH", "off"), ("HOST", host)]).unwrap());
    }
    assert!(Settings::from_sources(None, &env(&[("AUTH", "maybe")])).is_err());
}

#[test]
fn original_env_names_override_defaults() {
    let s = Settings::from_sources(
        None,
        &env(&[
            ("PORT", "4000"),
            ("WEBHOOK_URL", "http://client.test/hook"),
            ("WEBHOOK_SECRET", "12345"),
            ("POLL_INITIAL_INTERVAL_MS", "250"),
            ("SORA_MODEL", "sora-2-pro"),
            ("UNRELATED", "not a number"),
        ]),
    )
    .unwrap();
    assert_eq!(s.api.port, 4000);
    assert_eq!(s.webhooks.url.as_deref(), Some("http://client.test/hook"));
    assert_eq!(s.webhooks.secret.expose_secret(), "12345");
    assert_eq!(s.polling.initial_interval, Duration::from_millis(250));
    assert_eq!(s.openai.model, "sora-2-pro");
}

#[test]
fn a_bad_value_names_its_key() {
    let err = Settings::from_sources(None, &env(&[("PORT", "eighty")])).unwrap_err();
    assert!(err.to_string().contains("port"), "{err}");
    let err = Settings::from_sources(None, &env(&[("POLL_MAX_INTERVAL_MS", "10")])).unwrap_err();
    assert!(err.to_string().contains("poll_max_interval_ms"), "{err}");
    let err = Settings::from_sources(None, &env(&[("REDIS_URL", "localhost")])).unwrap_err();
    assert!(err.to_string().contains("redis_url"), "{err}");
}

#[test]
fn several_redis_urls_mean_a_cluster() {
    let s = Settings::from_sources(
        None,
        &env(&[("REDIS_URL", "redis://a:7000, redis://b:7001")]),
    )
    .unwrap();
    assert!(s.redis.is_cluster());
    assert_eq!(
        s.redis.urls().collect::<Vec<_>>(),
        ["redis://a:7000", "redis://b:7001"]
    );
    let single = Settings::from_sources(None, &env(&[])).unwrap();
    assert!(!single.redis.is_cluster());
}

#[test]
fn secrets_never_show_in_debug_output() {
    let s = Settings::from_sources(
        None,
        &env(&[
            ("OPENAI_API_KEY", "sk-very-secret"),
            ("WEBHOOK_SECRET", "whsec-x"),
        ]),
    )
    .unwrap();
    let shown = format!("{s:?}");
    assert!(!shown.contains("sk-very-secret") && !shown.contains("whsec-x"));
}

#[test]
fn a_provider_is_enabled_by_its_key_and_the_default_must_be_enabled() {
    let enabled = |pairs: &[(&str, &str)]| {
        Settings::from_sources(None, &env(pairs))
            .unwrap()
            .enabled_providers()
            .map_err(|e| e.to_string())
    };
    let refused = enabled(&[]).unwrap_err();
    assert!(
        refused.contains("OPENAI_API_KEY") && refused.contains("enabled: none"),
        "{refused}"
    );
    assert_eq!(enabled(&[("OPENAI_API_KEY", "k")]).unwrap(), ["openai"]);
    assert_eq!(
        enabled(&[
            ("OPENAI_API_KEY", "k"),
            ("FAL_KEY", "f"),
            ("REPLICATE_API_TOKEN", "r"),
            ("PROVIDER", "replicate"),
        ])
        .unwrap(),
        ["replicate", "openai", "fal"]
    );
    let refused = enabled(&[("OPENAI_API_KEY", "k"), ("PROVIDER", "fal")]).unwrap_err();
    assert!(
        refused.contains("FAL_KEY") && refused.contains("enabled: openai"),
        "{refused}"
    );
    let unknown = Settings::from_sources(None, &env(&[("PROVIDER", "sora")])).unwrap_err();
    assert!(unknown.to_string().contains("provider"), "{unknown}");
}

#[test]
fn uniform_openai_names_stand_for_the_original_sora_names() {
    let s = Settings::from_sources(
        None,
        &env(&[
            ("SORA_MAX_RPM", "50"),
            ("SORA_MAX_IN_FLIGHT", "4"),
            ("OPENAI_MAX_IN_FLIGHT", "8"),
            ("OPENAI_MODEL", ""),
            ("REPLICATE_MAX_RPM", "600"),
        ]),
    )
    .unwrap();
    assert_eq!(s.openai.max_rpm, 50);
    assert_eq!(s.openai.max_in_flight, 8, "the uniform name wins");
    assert_eq!(s.openai.model, "sora-2", "an empty alias is not set");
    assert_eq!(s.replicate.max_rpm, 600);
    assert_eq!(s.replicate.model, "minimax/video-01");
}

#[test]
fn callbacks_need_a_public_address() {
    let s = Settings::from_sources(None, &env(&[])).unwrap();
    assert_eq!(s.callbacks.url_for("fal", "j1"), None);
    let s = Settings::from_sources(None, &env(&[("PUBLIC_BASE_URL", "https://relay.example/")]))
        .unwrap();
    assert_eq!(
        s.callbacks.url_for("fal", "j1").as_deref(),
        Some("https://relay.example/api/providers/fal/callback?job=j1")
    );
    assert!(Settings::from_sources(None, &env(&[("PUBLIC_BASE_URL", "relay.example")])).is_err());
}

#[test]
fn unsigned_callbacks_come_to_a_tokened_path_or_not_at_all() {
    let public = ("PUBLIC_BASE_URL", "https://relay.example");
    let s = Settings::from_sources(None, &env(&[public])).unwrap();
    assert_eq!(s.callbacks.url_for("luma", "j1"), None);
    let s =
        Settings::from_sources(None, &env(&[public, ("CALLBACK_TOKEN_SECRET", "secret")])).unwrap();
    let token = crate::provider::callback::token::for_job(b"secret", "luma", "j1");
    assert_eq!(
        s.callbacks.url_for("luma", "j1"),
        Some(format!(
            "https://relay.example/api/providers/luma/callback/{token}?job=j1"
        ))
    );
    assert_eq!(
        s.callbacks.url_for("fal", "j1").as_deref(),
        Some("https://relay.example/api/providers/fal/callback?job=j1"),
        "signed providers keep the plain path"
    );
}

mod documentation {
    use super::super::known_keys;

    /// `.env.example` and `docker-compose.yml` are how users set things: neither may forget a key.
    #[test]
    fn every_setting_is_listed_in_env_example_and_compose() {
        let env_example = include_str!("../../../.env.example");
        let compose = include_str!("../../../docker-compose.yml");
        for key in known_keys().unwrap() {
            let name = key.to_ascii_uppercase();
            assert!(
                env_example
                    .lines()
                    .any(|l| l.starts_with(&format!("{name}="))),
                ".env.example lacks {name}"
            );
            // The compose topology fixes these: the API's in-container address, its one Redis
            // service, and the workers' metrics port that its Prometheus scrapes.
            if !["PORT", "HOST", "REDIS_URL", "REDIS_CLUSTER", "METRICS_PORT"]
                .contains(&name.as_str())
            {
                assert!(
                    compose.contains(&format!("{name}: ${{{name}:-")),
                    "docker-compose.yml lacks {name}"
                );
            }
        }
    }
}
