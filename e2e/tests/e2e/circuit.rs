//! The circuit breaker script against a real redis-server: failures in a row open a target's
//! circuit, an open circuit lets one probe through after its spell (the others still see it
//! open), a failed probe opens it again, an answer closes it, and failures further apart than
//! the window never add up. Targets do not share breakers.

use std::collections::HashMap;
use std::time::Duration;

use e2e::RedisServer;
use relay_shared::config::{CircuitSettings, Target};
use relay_shared::store::{AfterFailure, Circuit, Store};
use relay_shared::Settings;

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
