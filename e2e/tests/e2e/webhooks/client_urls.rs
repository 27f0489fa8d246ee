//! A job's own webhook URL: allowed networks, refused at submission and again at delivery.

use super::*;

#[tokio::test]
async fn a_job_can_name_its_own_receiver_inside_an_allowed_network() {
    let own = Receiver::start(SECRET);
    let stack = Stack::start(
        Stack::quick_sim(),
        &[("WEBHOOK_ALLOWED_NETS", "127.0.0.0/8")],
    )
    .await;
    let _worker = stack.spawn_worker();
    let mine = stack
        .submit("to my own receiver", json!({"webhookUrl": own.url}))
        .await;
    let theirs = stack.submit("to the operator's receiver", json!({})).await;
    let delivered = own.wait_for_final(std::slice::from_ref(&mine), LIMIT).await;
    assert!(delivered
        .iter()
        .all(|r| r.job_id() == mine && r.signature_ok && r.standard_ok));
    stack
        .receiver
        .wait_for_final(std::slice::from_ref(&theirs), LIMIT)
        .await;
    assert!(
        stack.receiver.for_job(&mine).is_empty(),
        "the operator's receiver got nothing of it"
    );
}

#[tokio::test]
async fn client_webhook_urls_into_private_networks_are_refused_at_submission() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    for url in [
        stack.receiver.url.clone(),
        "https://127.0.0.1/hook".into(),
        "https://localhost/hook".into(),
        "https://169.254.169.254/latest/meta-data/".into(),
        "https://[::ffff:127.0.0.1]/hook".into(),
        "https://[fd00:ec2::254]/hook".into(),
        "https://10.0.0.1/hook".into(),
        "https://100.64.0.1/hook".into(),
        "http://8.8.8.8/hook".into(),
        "gopher://8.8.8.8/".into(),
    ] {
        let body = json!({"walletAddress": "w", "script": "s", "webhookUrl": url});
        let (status, reply) = stack.post_json("/api/generate", &body).await;
        assert_eq!(status, 422, "{url}: {reply}");
        assert_eq!(reply["error"]["code"], "webhook_url_refused", "{url}");
    }
    assert_eq!(stack.stats().await.total_jobs, 0);
}

#[tokio::test]
async fn the_guard_checks_client_urls_again_at_delivery() {
    // Accepted when submitted (the API allows loopback), refused when delivered (this worker does
    // not): the address a name resolves to can change in between.
    let own = Receiver::start(SECRET);
    let stack = Stack::start(
        Stack::quick_sim(),
        &[("WEBHOOK_ALLOWED_NETS", "127.0.0.0/8")],
    )
    .await;
    let mut strict = stack.settings.clone();
    strict.webhooks.allowed_nets = String::new();
    let worker = relay_worker::Worker::build(strict).unwrap();
    let id = stack
        .submit("rebinding", json!({"webhookUrl": own.url}))
        .await;
    worker.run_once().await.unwrap();
    e2e::eventually(LIMIT, "the event to be dead-lettered", || async {
        worker.run_once().await.unwrap();
        (stack.stats().await.webhook_dead_letters == 1).then_some(())
    })
    .await;
    assert!(
        own.all().is_empty() && own.refused().is_empty(),
        "nothing reached the refused address"
    );
    assert_eq!(stack.status(&id).await["status"], "queued");
}
