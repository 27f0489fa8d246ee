//! Webhook delivery that survives receivers: retries with backoff, Retry-After, no redirects,
//! dead letters, per-job order, and fresh state instead of a backlog after an outage.
//!
//! The tests live in modules by theme; this one holds what they share.

mod client_urls;
mod dead_letters;
mod retries;
mod signing;

use std::time::Duration;

use e2e::receiver::Failing;
use e2e::stack::SECRET;
use e2e::{Receiver, Stack};
use serde_json::json;
use sora_sim::SimConfig;

const LIMIT: Duration = Duration::from_secs(30);
const FAST_RETRIES: [(&str, &str); 2] = [
    ("WEBHOOK_RETRY_INITIAL_MS", "100"),
    ("WEBHOOK_RETRY_MAX_MS", "400"),
];

async fn wait_for_dead_letters(stack: &Stack, n: i64) {
    e2e::eventually(LIMIT, &format!("{n} dead letters"), || async {
        (stack.stats().await.webhook_dead_letters == n).then_some(())
    })
    .await
}
