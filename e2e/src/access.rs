//! Calling the API as the administrator or a tenant, for the access tests.

use reqwest::Method;
use serde_json::{json, Value};

use crate::Stack;

pub const ADMIN: &str = "admin-key-for-tests";

/// A stack with auth on and [`ADMIN`] as the administrator's key.
pub async fn stack() -> Stack {
    Stack::start(
        Stack::quick_sim(),
        &[("AUTH", "on"), ("ADMIN_API_KEY", ADMIN)],
    )
    .await
}

/// A request with `key` as bearer (none when empty): its status and JSON body.
pub async fn call(
    stack: &Stack,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = stack.http.request(method, format!("{}{path}", stack.api));
    if !key.is_empty() {
        request = request.bearer_auth(key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn new_tenant(stack: &Stack, name: &str) -> (String, String) {
    let (status, reply) = call(
        stack,
        Method::POST,
        "/api/admin/tenants",
        ADMIN,
        Some(json!({ "name": name })),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    (
        reply["tenantId"].as_str().unwrap().to_owned(),
        reply["apiKey"].as_str().unwrap().to_owned(),
    )
}

pub async fn submit(stack: &Stack, key: &str) -> String {
    let body = json!({"walletAddress": "w", "script": "a tenant's video", "renderVersion": "v3"});
    let (status, reply) = call(stack, Method::POST, "/api/generate", key, Some(body)).await;
    assert_eq!(status, 202, "{reply}");
    reply["jobId"].as_str().unwrap().to_owned()
}

/// `GET /api/sora/stats` with `key`: the counters that key may see.
pub async fn stats(stack: &Stack, key: &str) -> crate::Stats {
    crate::stats::from_body(
        call(stack, Method::GET, "/api/sora/stats", key, None)
            .await
            .1,
    )
}
