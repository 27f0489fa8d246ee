//! Defects an independent review found (issue #15), each reproduced here first: every test in
//! these modules failed on the code before its fix. This module holds what they share.

mod deliveries;
mod limits;
mod provider;
mod redis_faults;
mod sending;
mod submissions;

use std::collections::HashMap;
use std::time::Duration;

use e2e::access::{call, ADMIN};
use e2e::receiver::{Failing, Receiver};
use e2e::{eventually, RedisServer, Stack};
use relay_shared::job::{JobStatus, NewJob, PollState};
use relay_shared::store::layout::new_job_id;
use relay_shared::store::{ClaimFields, DeliveryOutcome, JobRef, PollCommit, Queue, Store};
use relay_shared::Settings;
use reqwest::Method;
use serde_json::json;
use sora_sim::SimConfig;

const LIMIT: Duration = Duration::from_secs(30);

fn store_with(redis: &RedisServer, env: &[(&str, &str)]) -> Store {
    let mut vars: HashMap<String, String> = [
        ("REDIS_URL".to_owned(), redis.url()),
        ("JOB_PARTITIONS".to_owned(), "1".to_owned()),
    ]
    .into_iter()
    .collect();
    vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Store::connect(&Settings::from_sources(None, &vars).unwrap()).unwrap()
}

async fn redis_conn(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// A tenant with its own receiver and secret; returns the tenant's API key.
async fn tenant_with_receiver(stack: &Stack, receiver: &Receiver, secret: &str) -> String {
    let (status, reply) = call(
        stack,
        Method::POST,
        "/api/admin/tenants",
        ADMIN,
        Some(json!({"name": "erin", "webhookUrl": receiver.url, "webhookSecret": secret})),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    reply["apiKey"].as_str().unwrap().to_owned()
}

async fn submit_as(stack: &Stack, key: &str, script: &str) -> String {
    let body = json!({"walletAddress": "w", "script": script, "renderVersion": "v3"});
    let (status, reply) = call(stack, Method::POST, "/api/generate", key, Some(body)).await;
    assert_eq!(status, 202, "{reply}");
    reply["jobId"].as_str().unwrap().to_owned()
}

/// Changes what Redis's default user (every process of the stack) may do.
async fn acl(redis_url: &str, rules: &[&str]) {
    let mut conn = redis_conn(redis_url).await;
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("default")
        .arg(rules)
        .query_async(&mut conn)
        .await
        .unwrap();
}

async fn post_with_key(
    stack: &Stack,
    key: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = stack
        .http
        .post(format!("{}/api/generate", stack.api))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// A job whose worker died mid-create: its intent to submit is recorded (as the worker does
/// before the provider call), and no answer was ever stored.
async fn lost_submission(stack: &Stack, script: &str) -> String {
    let id = stack.submit(script, json!({})).await;
    let keys = stack.keys();
    let p = keys.partition_of(&id).unwrap();
    let mut conn = redis_conn(&stack.redis.url()).await;
    let (secs, micros): (i64, i64) = redis::cmd("TIME").query_async(&mut conn).await.unwrap();
    let _: () = redis::cmd("HSET")
        .arg(keys.job(p, &id))
        .arg("submit_at")
        .arg(secs * 1000 + micros / 1000)
        .query_async(&mut conn)
        .await
        .unwrap();
    id
}

/// A stack whose provider cannot list (its list answers 400, as a LiteLLM proxy's does).
async fn stack_that_cannot_list(env: &[(&str, &str)]) -> Stack {
    let stack = Stack::start(Stack::quick_sim(), env).await;
    stack.sim.set_faults(sora_sim::Faults {
        list_broken: true,
        ..Default::default()
    });
    stack
}
