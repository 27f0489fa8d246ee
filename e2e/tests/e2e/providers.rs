//! Every provider configured by its settings and chosen per job through the REST API: a job at
//! each runs from `POST /api/generate` through a real worker to a signed final webhook, its view
//! naming its provider and model; a provider that is not enabled is a 422 naming those that are.

use std::time::Duration;

use e2e::Stack;
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_job_at_each_provider_runs_from_the_api_to_a_signed_webhook() {
    let stack = Stack::start_all_providers(Stack::quick_sim(), &[]).await;
    let _worker = stack.spawn_worker();
    let jobs = [
        ("openai", "sora-2", json!({})),
        (
            "openrouter",
            "google/veo-3.1",
            json!({"provider": "openrouter", "seconds": 8, "size": "1280x720"}),
        ),
        (
            "replicate",
            "kwaivgi/kling-v2.1",
            json!({"provider": "replicate", "model": "kwaivgi/kling-v2.1", "options": {"negative_prompt": "blur"}}),
        ),
        (
            "fal",
            "fal-ai/kling-video/v2.1/standard/text-to-video",
            json!({"provider": "fal", "seconds": 5}),
        ),
        (
            "runway",
            "gen4.5",
            json!({"provider": "runway", "seconds": 5, "size": "720x1280"}),
        ),
        (
            "veo",
            "veo-3.1-generate-preview",
            json!({"provider": "veo", "seconds": 8, "size": "1280x720"}),
        ),
        (
            "luma",
            "ray-2",
            json!({"provider": "luma", "seconds": 5, "size": "1280x720"}),
        ),
    ];
    let mut ids = Vec::new();
    for (provider, _, extra) in &jobs {
        ids.push(
            stack
                .submit(&format!("a red fox at {provider}"), extra.clone())
                .await,
        );
    }
    let webhooks = stack.receiver.wait_for_final(&ids, LIMIT).await;
    for (id, (provider, model, _)) in ids.iter().zip(&jobs) {
        let last = webhooks.iter().rfind(|r| r.job_id() == id).unwrap();
        assert!(last.signature_ok && last.standard_ok, "{}", last.body);
        assert_eq!(last.status(), "completed", "{provider}: {}", last.body);
        assert!(
            last.json["videoUrl"]
                .as_str()
                .is_some_and(|u| u.starts_with("http")),
            "{}",
            last.body
        );
        let view = stack.status(id).await;
        assert_eq!(
            (view["provider"].as_str(), view["model"].as_str()),
            (Some(*provider), Some(*model)),
            "{view}"
        );
    }
    // One video per job, at the provider it named; the options reached the model's input.
    let videos = stack.sim.all_videos();
    assert_eq!(videos.len(), 7);
    for (provider, model, _) in &jobs {
        let video = videos
            .iter()
            .find(|v| v.prompt == format!("a red fox at {provider}"))
            .unwrap();
        assert_eq!(&video.model, model);
    }
    let fal = videos.iter().find(|v| v.prompt.ends_with("fal")).unwrap();
    assert_eq!(fal.seconds, "5", "fal's duration is the string of seconds");
    let runway = videos
        .iter()
        .find(|v| v.prompt.ends_with("runway"))
        .unwrap();
    assert_eq!(
        (runway.seconds.as_str(), runway.size.as_str()),
        ("5", "720:1280"),
        "Runway's duration in seconds and ratio in pixels"
    );
    let veo = videos.iter().find(|v| v.prompt.ends_with("veo")).unwrap();
    assert_eq!((veo.seconds.as_str(), veo.size.as_str()), ("8", "16:9"));
    let luma = videos.iter().find(|v| v.prompt.ends_with("luma")).unwrap();
    assert_eq!((luma.seconds.as_str(), luma.size.as_str()), ("5s", "16:9"));
    let openrouter = videos
        .iter()
        .find(|v| v.prompt.ends_with("openrouter"))
        .unwrap();
    assert_eq!(
        (openrouter.seconds.as_str(), openrouter.size.as_str()),
        ("8", "1280x720")
    );
}

#[tokio::test]
async fn a_provider_that_is_not_enabled_is_a_422_naming_those_that_are() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    for provider in ["fal", "nonsense"] {
        let (status, body) = stack
            .post_json(
                "/api/generate",
                &json!({"walletAddress": "w", "script": "s", "provider": provider}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "provider_not_enabled");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("enabled: openai"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn provider_failures_reach_the_client_in_the_seams_words() {
    let stack = Stack::start_all_providers(Stack::quick_sim(), &[]).await;
    let _worker = stack.spawn_worker();
    let mut ids = Vec::new();
    for provider in ["openrouter", "fal"] {
        let job = stack
            .submit(
                "sim:fail sim:moderation a fox",
                json!({ "provider": provider }),
            )
            .await;
        ids.push(job);
    }
    let webhooks = stack.receiver.wait_for_final(&ids, LIMIT).await;
    for id in &ids {
        let last = webhooks.iter().rfind(|r| r.job_id() == id).unwrap();
        assert_eq!(last.status(), "failed", "{}", last.body);
        assert!(
            last.json["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{}",
            last.body
        );
    }
}

#[tokio::test]
async fn progress_without_the_providers_is_estimated_from_the_models_recent_jobs_and_says_so() {
    let stack = Stack::start_all_providers(Stack::quick_sim(), &[]).await;
    let _worker = stack.spawn_worker();
    // The first job at the model teaches the relay how long it takes.
    let first = stack
        .submit(
            "sim:running_ms=2500 the first fox",
            json!({"provider": "fal"}),
        )
        .await;
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&first), LIMIT)
        .await;
    let store = relay_shared::store::Store::connect(&stack.settings).unwrap();
    let learned = store
        .expected_runtime("fal", "fal-ai/kling-video/v2.1/standard/text-to-video")
        .await
        .unwrap();
    assert!(
        learned.is_some_and(|ms| ms >= 2500),
        "the model's run time: {learned:?}"
    );
    let second = stack
        .submit(
            "sim:running_ms=2500 the second fox",
            json!({"provider": "fal"}),
        )
        .await;
    let openai = stack.submit("an openai fox", json!({})).await;
    let webhooks = stack
        .receiver
        .wait_for_final(&[second.clone(), openai.clone()], LIMIT)
        .await;
    let of = |id: &str| {
        webhooks
            .iter()
            .filter(|r| r.job_id() == id)
            .collect::<Vec<_>>()
    };
    for hook in of(&first).iter().chain(&of(&second)) {
        assert_eq!(hook.json["progressSource"], "estimated", "{}", hook.body);
    }
    for hook in of(&openai) {
        assert_eq!(hook.json["progressSource"], "provider", "{}", hook.body);
    }
    // The first job could only say 0 while running; the second moves.
    let moving: Vec<u64> = of(&second)
        .iter()
        .filter(|h| h.status() == "processing")
        .map(|h| h.json["progress"].as_u64().unwrap())
        .collect();
    assert!(
        moving.iter().any(|p| (1..100).contains(p)),
        "an estimated progress between 0 and 100: {moving:?}"
    );
    assert!(
        moving.windows(2).all(|w| w[0] <= w[1]),
        "never backwards: {moving:?}"
    );
    let view = stack.status(&second).await;
    assert_eq!(
        (view["status"].as_str(), view["progressSource"].as_str()),
        (Some("completed"), Some("estimated"))
    );
    assert_eq!(stack.status(&openai).await["progressSource"], "provider");
}

/// A model the provider does not have (any more): its create answers 404, and the job fails at
/// once with a message naming the model (class `retired`), instead of waiting out retries.
#[tokio::test]
async fn a_model_the_provider_does_not_have_fails_the_job_naming_it() {
    let stack = Stack::start_all_providers(Stack::quick_sim(), &[]).await;
    let _worker = stack.spawn_worker();
    let id = stack
        .submit(
            "a fox by a model that is gone",
            json!({"provider": "veo", "model": "imagen-0-retired"}),
        )
        .await;
    let view = e2e::stack::wait_for_status(&stack, &id, LIMIT, "failed").await;
    let error = view["error"].as_str().unwrap();
    assert!(
        error.contains("imagen-0-retired") && error.contains("retired or unknown"),
        "{error}"
    );
}
