//! The circuit breaker script against a real redis-server: failures in a row open a target's
//! circuit, an open circuit lets one probe through after its spell (the others still see it
//! open), a failed probe opens it again, an answer closes it, and failures further apart than
//! the window never add up. Targets do not share breakers. And through the real API and a worker:
//! jobs with nowhere else to go (no route) do not call a target whose circuit is open, and still
//! end failed after `PROVIDER_FAILURE_MAX_SECS`, saying why.

use std::collections::HashMap;
use std::time::Duration;

use e2e::{RedisServer, Stack};
use relay_shared::config::{CircuitSettings, Target};
use relay_shared::store::{AfterFailure, Circuit, Store};
use relay_shared::Settings;
use serde_json::json;

fn store(redis: &RedisServer) -> Store {
    let env: HashMap<String, String> = [("REDIS_URL".to_owned(), redis.url())].into();
    Store::connect(&Settings::from_sources(None, &env).unwrap()).unwrap()
}

const SETTINGS: CircuitSettings = CircuitSettings {
    failures: 2,
    window: Duration::from_secs(60),
    open: Duration::from_millis(300),
};

/// Checks until the open spell is over: the check that ends it is the probe.
async fn until_probe(store: &Store, target: &Target) {
    e2e::eventually(Duration::from_secs(5), "the probe's turn", || async {
        (store.check_circuit(target, SETTINGS).await.unwrap() == Circuit::Probe).then_some(())
    })
    .await;
}

#[tokio::test]
async fn failures_open_a_circuit_one_probe_tests_it_and_an_answer_closes_it() {
    let redis = RedisServer::start();
    let store = store(&redis);
    let fal = Target::new("fal", "fal-ai/kling-video/v2.1");
    let other = Target::new("fal", "another-model");

    assert_eq!(
        store.check_circuit(&fal, SETTINGS).await.unwrap(),
        Circuit::Closed { failures: 0 }
    );
    assert_eq!(
        store.circuit_failure(&fal, SETTINGS).await.unwrap(),
        AfterFailure::Closed { failures: 1 }
    );
    assert_eq!(
        store.check_circuit(&fal, SETTINGS).await.unwrap(),
        Circuit::Closed { failures: 1 }
    );
    assert_eq!(
        store.circuit_failure(&fal, SETTINGS).await.unwrap(),
        AfterFailure::Opened
    );
    match store.check_circuit(&fal, SETTINGS).await.unwrap() {
        Circuit::Open(wait) => assert!(wait <= SETTINGS.open, "{wait:?}"),
        other => panic!("open after two failures, not {other:?}"),
    }
    assert_eq!(
        store.check_circuit(&other, SETTINGS).await.unwrap(),
        Circuit::Closed { failures: 0 },
        "each target has its own"
    );

    // After the spell: one probe; everyone else still sees it open.
    until_probe(&store, &fal).await;
    assert!(matches!(
        store.check_circuit(&fal, SETTINGS).await.unwrap(),
        Circuit::Open(_)
    ));
    // The probe fails: open for another spell.
    assert_eq!(
        store.circuit_failure(&fal, SETTINGS).await.unwrap(),
        AfterFailure::Reopened
    );
    assert!(matches!(
        store.check_circuit(&fal, SETTINGS).await.unwrap(),
        Circuit::Open(_)
    ));
    // The next probe gets an answer: closed, nothing remembered.
    until_probe(&store, &fal).await;
    store.circuit_success(&fal, SETTINGS).await.unwrap();
    assert_eq!(
        store.check_circuit(&fal, SETTINGS).await.unwrap(),
        Circuit::Closed { failures: 0 }
    );
}

#[tokio::test]
async fn failures_further_apart_than_the_window_never_add_up() {
    let redis = RedisServer::start();
    let store = store(&redis);
    let target = Target::new("luma", "ray-2");
    let settings = CircuitSettings {
        window: Duration::from_millis(200),
        ..SETTINGS
    };
    for _ in 0..3 {
        assert_eq!(
            store.circuit_failure(&target, settings).await.unwrap(),
            AfterFailure::Closed { failures: 1 }
        );
        // Longer than the window: the next failure starts the count again.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        store.check_circuit(&target, settings).await.unwrap(),
        Circuit::Closed { failures: 1 }
    );
}

/// The circuit is opened as another worker's failed creates would open it; the provider itself
/// answers well, so a job that called it would complete.
#[tokio::test]
async fn jobs_with_nowhere_else_to_go_do_not_call_a_target_whose_circuit_is_open() {
    let stack = Stack::start(
        Stack::quick_sim(),
        &[
            ("CIRCUIT_FAILURES", "2"),
            // Open for the whole test: no probe goes.
            ("CIRCUIT_OPEN_SECS", "600"),
            ("PROVIDER_FAILURE_MAX_SECS", "2"),
        ],
    )
    .await;
    let target = Target::new("openai", &stack.settings.openai.model);
    let circuit = stack.settings.providers.circuit;
    let store = stack.store();
    for _ in 0..2 {
        store.circuit_failure(&target, circuit).await.unwrap();
    }
    let _worker = stack.spawn_worker();
    let mut jobs = Vec::new();
    for i in 0..3 {
        jobs.push(
            stack
                .submit(&format!("while it is open {i}"), json!({}))
                .await,
        );
    }
    stack
        .receiver
        .wait_for_final(&jobs, Duration::from_secs(30))
        .await;
    assert_eq!(
        stack.sim.counters().creates,
        0,
        "no job called the provider while its circuit was open"
    );
    let not_called = format!("not called: the circuit of {target} is open");
    for id in &jobs {
        let view = stack.status(id).await;
        assert_eq!(view["status"], "failed", "{view}");
        let error = view["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("PROVIDER_FAILURE_MAX_SECS") && error.contains(&not_called),
            "{view}"
        );
    }
}
