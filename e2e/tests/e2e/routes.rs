//! Model routes with failover through the real API, workers, Redis and the providers' simulators:
//! a route whose first target runs out of quota mid-run moves every later job to the next target
//! and no job is made twice; a retired model moves its jobs on; an open circuit (shared by two
//! workers) moves jobs past a failing target without calling it, and a probe closes it again; a
//! video the provider accepted and then failed moves on with its id on record.

use std::collections::HashMap;
use std::time::Duration;

use e2e::Stack;
use serde_json::{json, Value};
use sora_sim::config::Faults;

const LIMIT: Duration = Duration::from_secs(40);

fn routes(json: &str) -> [(&'static str, String); 1] {
    [("ROUTES", json.to_owned())]
}

async fn start(routes_json: &str, more: &[(&str, &str)]) -> Stack {
    let routes = routes(routes_json);
    let mut env: Vec<(&str, &str)> = routes.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend_from_slice(more);
    Stack::start_all_providers(Stack::quick_sim(), &env).await
}

/// Submits `n` jobs on `route`, each with its own prompt starting `prefix`.
async fn submit_on(stack: &Stack, route: &str, prefix: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            stack
                .submit(&format!("{prefix} {i}"), json!({"model": route}))
                .await,
        );
    }
    ids
}

/// The providers and outcomes of a job's attempts, in order.
fn trail(view: &Value) -> Vec<(String, String)> {
    view["attempts"]
        .as_array()
        .unwrap_or_else(|| panic!("no attempts: {view}"))
        .iter()
        .map(|a| {
            (
                a["provider"].as_str().unwrap().to_owned(),
                a["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(provider: &str, outcome: &str) -> (String, String) {
    (provider.to_owned(), outcome.to_owned())
}

/// Every prompt the simulator made a video for, and how many times.
fn made(stack: &Stack) -> HashMap<String, u64> {
    stack.sim.counters().creates_by_prompt.into_iter().collect()
}

#[tokio::test]
async fn a_route_whose_first_target_runs_out_of_quota_moves_every_later_job_on() {
    let stack = start(
        r#"{"video-fast": ["fal:fal-ai/kling-video/v2.1", "replicate:minimax/video-01", "luma:ray-2"]}"#,
        &[],
    )
    .await;
    let _workers = [stack.spawn_worker(), stack.spawn_worker()];
    let before = submit_on(&stack, "video-fast", "before the wall", 4).await;
    stack.receiver.wait_for_final(&before, LIMIT).await;
    for id in &before {
        let view = stack.status(id).await;
        assert_eq!(view["status"], "completed", "{view}");
        assert_eq!(view["route"], "video-fast");
        assert_eq!(trail(&view), [pair("fal", "completed")], "{view}");
    }

    // fal runs out of credit: every create there is refused from now on; reads still work.
    stack.sim.set_faults(Faults {
        rate_quota: 1.0,
        path_prefix: Some("/fal/".into()),
        posts_only: true,
        ..Faults::default()
    });
    let after = submit_on(&stack, "video-fast", "after the wall", 12).await;
    let webhooks = stack.receiver.wait_for_final(&after, LIMIT).await;
    for id in &after {
        let view = stack.status(id).await;
        assert_eq!(view["status"], "completed", "{view}");
        assert_eq!(
            (view["provider"].as_str(), view["model"].as_str()),
            (Some("replicate"), Some("minimax/video-01")),
            "{view}"
        );
        assert_eq!(
            trail(&view),
            [pair("fal", "quota"), pair("replicate", "completed")],
            "{view}"
        );
        assert_eq!(view["attempts"][0]["providerJobId"], Value::Null);
        // The move was announced, with the same jobId, before the job went on.
        let moved = webhooks
            .iter()
            .find(|w| w.job_id() == id && w.json["attempts"].is_array())
            .unwrap_or_else(|| panic!("no move webhook for {id}"));
        assert!(moved.signature_ok && moved.standard_ok);
        assert_eq!(moved.status(), "queued");
        assert_eq!(moved.json["attempts"][1]["provider"], "replicate");
    }
    // No job was made twice: each prompt has exactly one video, wherever it was made.
    let made = made(&stack);
    assert_eq!(made.len(), 16, "{made:?}");
    assert!(made.values().all(|&n| n == 1), "{made:?}");
    let refused = stack.sim.counters().injected_quota;
    assert!(refused >= 1, "fal refused at least one create");
    println!("fal refused {refused} create(s); the other moves saw the shared quota pause");
}

#[tokio::test]
async fn a_retired_model_moves_its_jobs_to_the_next_target() {
    let stack = start(
        r#"{"ray-or-veo": ["veo:imagen-0-retired", "luma:ray-2"], "veo-only": ["veo:imagen-0-retired"]}"#,
        &[],
    )
    .await;
    let _worker = stack.spawn_worker();
    let moved = stack
        .submit("a fox on a retired model", json!({"model": "ray-or-veo"}))
        .await;
    let stuck = stack
        .submit("a fox with nowhere to go", json!({"model": "veo-only"}))
        .await;
    stack
        .receiver
        .wait_for_final(&[moved.clone(), stuck.clone()], LIMIT)
        .await;
    let view = stack.status(&moved).await;
    assert_eq!(view["status"], "completed", "{view}");
    assert_eq!(
        trail(&view),
        [pair("veo", "retired"), pair("luma", "completed")]
    );
    let why = view["attempts"][0]["error"].as_str().unwrap();
    assert!(why.contains("imagen-0-retired"), "{why}");
    // At the end of its route a job fails as an unrouted one does, naming the model.
    let view = stack.status(&stuck).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        view["error"].as_str().unwrap().contains("imagen-0-retired"),
        "{view}"
    );
    assert_eq!(trail(&view), [pair("veo", "failed")]);
}

#[tokio::test]
async fn an_open_circuit_moves_jobs_past_a_failing_target_and_a_probe_closes_it() {
    let stack = start(
        r#"{"r": ["fal:fal-ai/kling-video/v2.1", "replicate:minimax/video-01"]}"#,
        &[("CIRCUIT_FAILURES", "2"), ("CIRCUIT_OPEN_SECS", "2")],
    )
    .await;
    let _workers = [stack.spawn_worker(), stack.spawn_worker()];
    stack.sim.set_faults(Faults {
        rate_5xx: 1.0,
        path_prefix: Some("/fal/".into()),
        posts_only: true,
        ..Faults::default()
    });
    // Two creates answered 500: fal may have made those videos, so those jobs stay at fal (their
    // submissions are settled there); the failures open its circuit.
    let unsure = submit_on(&stack, "r", "unsure", 2).await;
    e2e::eventually(Duration::from_secs(10), "two failed creates", || async {
        (stack.sim.counters().injected_5xx >= 2).then_some(())
    })
    .await;
    let refused = stack.sim.counters().injected_5xx;
    let past = submit_on(&stack, "r", "past the open circuit", 4).await;
    stack.receiver.wait_for_final(&past, LIMIT).await;
    for id in &past {
        let view = stack.status(id).await;
        assert_eq!(view["status"], "completed", "{view}");
        assert_eq!(
            trail(&view),
            [pair("fal", "circuit_open"), pair("replicate", "completed")],
            "{view}"
        );
    }
    assert_eq!(
        stack.sim.counters().injected_5xx,
        refused,
        "no job called fal while its circuit was open"
    );
    for id in &unsure {
        let view = stack.status(id).await;
        assert_eq!(
            view["provider"], "fal",
            "never moved after an unsure create: {view}"
        );
        assert_ne!(view["status"], "completed", "{view}");
    }

    // fal recovers; after the open spell one job probes it, and its success closes the circuit.
    stack.sim.set_faults(Faults::default());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let probe = submit_on(&stack, "r", "the probe", 1).await;
    stack.receiver.wait_for_final(&probe, LIMIT).await;
    let view = stack.status(&probe[0]).await;
    assert_eq!(trail(&view), [pair("fal", "completed")], "{view}");
    let after = submit_on(&stack, "r", "closed again", 3).await;
    stack.receiver.wait_for_final(&after, LIMIT).await;
    for id in &after {
        let view = stack.status(id).await;
        assert_eq!(trail(&view), [pair("fal", "completed")], "{view}");
    }
    let made = made(&stack);
    assert!(made.values().all(|&n| n == 1), "{made:?}");
}

#[tokio::test]
async fn a_video_the_provider_failed_moves_on_with_its_id_on_record() {
    let stack = start(r#"{"r": ["luma:ray-2", "runway:gen4.5"]}"#, &[]).await;
    let _worker = stack.spawn_worker();
    let id = stack
        .submit(
            "sim:fail a fox that fails everywhere",
            json!({"model": "r"}),
        )
        .await;
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&id), LIMIT)
        .await;
    let view = stack.status(&id).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert_eq!(
        trail(&view),
        [pair("luma", "provider_failed"), pair("runway", "failed")],
        "{view}"
    );
    assert!(
        view["attempts"][0]["providerJobId"].is_string(),
        "the video luma accepted is on record: {view}"
    );
    // Made once at each target: the move came after luma failed its video, not before.
    assert_eq!(
        made(&stack).get("sim:fail a fox that fails everywhere"),
        Some(&2)
    );
}

/// A target nobody answers at (the connection is refused: nothing can have been made there):
/// its failures open its circuit, and every job moves on — the first ones too, since their
/// creates certainly made nothing.
#[tokio::test]
async fn a_provider_that_cannot_be_reached_loses_every_job_to_the_next_target() {
    let dead = format!("http://127.0.0.1:{}", e2e::free_port());
    let stack = start(
        r#"{"r": ["runway:gen4.5", "luma:ray-2"]}"#,
        &[
            ("RUNWAY_BASE_URL", dead.as_str()),
            ("CIRCUIT_FAILURES", "2"),
        ],
    )
    .await;
    let _worker = stack.spawn_worker();
    let ids = submit_on(&stack, "r", "nobody home", 4).await;
    stack.receiver.wait_for_final(&ids, LIMIT).await;
    for id in &ids {
        let view = stack.status(id).await;
        assert_eq!(view["status"], "completed", "{view}");
        let trail = trail(&view);
        assert_eq!(trail[1], pair("luma", "completed"), "{view}");
        assert!(
            matches!(trail[0].1.as_str(), "circuit_open" | "provider_down"),
            "{view}"
        );
    }
    let made = made(&stack);
    assert_eq!(made.len(), 4);
    assert!(made.values().all(|&n| n == 1), "{made:?}");
}
