//! Signatures: key rotation, and a retried event signed afresh under its stable id.

use super::*;

#[tokio::test]
async fn during_a_key_rotation_receivers_with_either_secret_verify() {
    let old = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let new = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    for receiver_secret in [old, new] {
        let receiver = Receiver::start(receiver_secret);
        let secrets = format!("{new} {old}");
        let stack = Stack::start(
            Stack::quick_sim(),
            &[
                ("WEBHOOK_SECRET", secrets.as_str()),
                ("WEBHOOK_URL", receiver.url.as_str()),
            ],
        )
        .await;
        let _worker = stack.spawn_worker();
        let id = stack.submit("rotating", json!({})).await;
        let all = receiver
            .wait_for_final(std::slice::from_ref(&id), LIMIT)
            .await;
        assert!(
            all.iter().all(|r| r.standard_ok),
            "verified with the {} key",
            if receiver_secret == old { "old" } else { "new" }
        );
    }
}

#[tokio::test]
async fn a_retried_event_keeps_its_webhook_id_and_is_signed_afresh() {
    // The video stays queued, so no newer event replaces the first one while it is retried.
    let sim = SimConfig {
        queued_ms: 600_000,
        ..SimConfig::default()
    };
    let stack = Stack::start(sim, &FAST_RETRIES).await;
    stack.receiver.fail_next(Failing::times(2, 500));
    let _worker = stack.spawn_worker();
    let id = stack.submit("retried with one id", json!({})).await;
    let all = stack
        .receiver
        .wait_until(LIMIT, "the queued webhook", |all| !all.is_empty())
        .await;
    let refused = stack.receiver.refused();
    assert_eq!(refused.len(), 2);
    let ids: Vec<&Option<String>> = refused.iter().chain(&all).map(|r| &r.webhook_id).collect();
    assert!(
        ids.iter().all(|i| **i == Some(format!("evt_{id}_1"))),
        "{ids:?}"
    );
    assert!(refused
        .iter()
        .chain(&all)
        .all(|r| r.standard_ok && r.signature_ok));
}
