use super::*;

fn limits() -> Limits {
    Limits {
        script_max_chars: 20,
        metadata_max_bytes: 32,
        providers: vec![
            EnabledProvider {
                name: "openai".into(),
                default_model: "sora-2".into(),
                estimated_progress: false,
            },
            EnabledProvider {
                name: "replicate".into(),
                default_model: "minimax/video-01".into(),
                estimated_progress: true,
            },
        ],
        routes: relay_shared::config::Routes::parse(
            r#"{"fast": ["replicate:minimax/video-01", "openai:sora-2"]}"#,
            "",
        )
        .unwrap(),
    }
}

#[test]
fn a_model_naming_a_route_routes_the_job_to_its_first_target() {
    let job = parse(r#"{"walletAddress":"w","script":"s","model":"fast"}"#).unwrap();
    assert_eq!(
        (
            job.route.as_deref(),
            job.provider.as_str(),
            job.model.as_str()
        ),
        (Some("fast"), "replicate", "minimax/video-01")
    );
    assert!(
        job.estimated_progress,
        "the first target's provider decides"
    );
    let plain = parse(r#"{"walletAddress":"w","script":"s","model":"sora-2"}"#).unwrap();
    assert_eq!(plain.route, None);
    let both = parse(r#"{"walletAddress":"w","script":"s","model":"fast","provider":"openai"}"#)
        .unwrap_err();
    assert_eq!(both.status(), 422);
    assert!(both.to_string().contains("names a route"), "{both}");
}

#[test]
fn the_default_route_is_for_jobs_that_name_neither_model_nor_provider() {
    let mut limits = limits();
    limits.routes =
        relay_shared::config::Routes::parse(r#"{"fast": ["replicate:minimax/video-01"]}"#, "fast")
            .unwrap();
    let job = |body: &str| generate_request(body.as_bytes(), &limits).unwrap();
    assert_eq!(
        job(r#"{"walletAddress":"w","script":"s"}"#)
            .route
            .as_deref(),
        Some("fast")
    );
    assert_eq!(
        job(r#"{"walletAddress":"w","script":"s","model":"sora-2"}"#).route,
        None
    );
    assert_eq!(
        job(r#"{"walletAddress":"w","script":"s","provider":"openai"}"#).route,
        None
    );
}

fn parse(body: &str) -> Result<NewJob, ApiError> {
    generate_request(body.as_bytes(), &limits())
}

#[test]
fn the_original_curl_body_is_accepted_with_defaults() {
    let job =
        parse(r#"{"walletAddress":"test-wallet","script":"Explain loops","renderVersion":"v3"}"#)
            .unwrap();
    assert_eq!(job.model, "sora-2");
    assert_eq!(job.render_version, "v3");
    let job = parse(r#"{"walletAddress":"w","script":"s"}"#).unwrap();
    assert_eq!(job.render_version, "v3");
}

#[test]
fn optional_fields_are_kept() {
    let job = parse(r#"{"walletAddress":"w","script":"s","model":"sora-2-pro","seconds":"8","size":"1792x1024","metadata":{"k":1}}"#).unwrap();
    assert_eq!(
        (job.seconds.as_deref(), job.size.as_deref()),
        (Some("8"), Some("1792x1024"))
    );
    assert_eq!(job.metadata.as_deref(), Some(r#"{"k":1}"#));
}

#[test]
fn a_job_names_an_enabled_provider_its_model_and_options() {
    let job = parse(r#"{"walletAddress":"w","script":"s","provider":"replicate","seconds":6,"options":{"prompt_optimizer":false}}"#).unwrap();
    assert_eq!(job.provider, "replicate");
    assert_eq!(job.model, "minimax/video-01");
    assert!(job.estimated_progress);
    assert_eq!(job.seconds.as_deref(), Some("6"));
    assert_eq!(
        job.options.as_deref(),
        Some(r#"{"prompt_optimizer":false}"#)
    );
    let job = parse(r#"{"walletAddress":"w","script":"s","provider":"replicate","model":"kwaivgi/kling-v2.1","seconds":"10"}"#).unwrap();
    assert_eq!(
        (job.model.as_str(), job.seconds.as_deref()),
        ("kwaivgi/kling-v2.1", Some("10"))
    );
    let job = parse(r#"{"walletAddress":"w","script":"s"}"#).unwrap();
    assert_eq!((job.provider.as_str(), job.options), ("openai", None));
    let refused = parse(r#"{"walletAddress":"w","script":"s","provider":"fal"}"#).unwrap_err();
    assert_eq!(refused.code, ErrorCode::ProviderNotEnabled);
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused.message.contains("openai, replicate"),
        "{}",
        refused.message
    );
}

#[test]
fn every_bad_field_is_a_4xx_naming_it() {
    let cases = [
        ("{", 400, "JSON"),
        ("[]", 422, "object"),
        (r#"{"script":"s"}"#, 422, "walletAddress"),
        (r#"{"walletAddress":"w"}"#, 422, "script"),
        (r#"{"walletAddress":"w","script":"   "}"#, 422, "script"),
        (r#"{"walletAddress":7,"script":"s"}"#, 422, "walletAddress"),
        (
            r#"{"walletAddress":"w","script":"123456789012345678901"}"#,
            422,
            "maximum",
        ),
        (
            r#"{"walletAddress":"w","script":"s","renderVersion":"v2"}"#,
            422,
            "v3",
        ),
        (
            r#"{"walletAddress":"w","script":"s","seconds":8}"#,
            422,
            "seconds",
        ),
        (
            r#"{"walletAddress":"w","script":"s","seconds":"5"}"#,
            422,
            "seconds",
        ),
        (
            r#"{"walletAddress":"w","script":"s","size":"big"}"#,
            422,
            "size",
        ),
        (
            r#"{"walletAddress":"w","script":"s","model":"a b"}"#,
            422,
            "model",
        ),
        (
            r#"{"walletAddress":"w","script":"s","provider":7}"#,
            422,
            "provider",
        ),
        (
            r#"{"walletAddress":"w","script":"s","provider":"replicate","seconds":0}"#,
            422,
            "seconds",
        ),
        (
            r#"{"walletAddress":"w","script":"s","provider":"replicate","seconds":"1.5"}"#,
            422,
            "seconds",
        ),
        (
            r#"{"walletAddress":"w","script":"s","options":"fast"}"#,
            422,
            "options",
        ),
        (
            r#"{"walletAddress":"w","script":"s","metadata":[1]}"#,
            422,
            "metadata",
        ),
        (
            r#"{"walletAddress":"w","script":"s","metadata":{"long":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}"#,
            422,
            "metadata",
        ),
    ];
    for (body, status, mention) in cases {
        let err = parse(body).unwrap_err();
        assert_eq!(err.status().as_u16(), status, "{body}");
        assert!(err.message.contains(mention), "{body}: {}", err.message);
    }
    assert_eq!(
        parse(r#"{"walletAddress":"w","script":"s","renderVersion":"v2"}"#)
            .unwrap_err()
            .code,
        ErrorCode::UnsupportedRenderVersion
    );
}
