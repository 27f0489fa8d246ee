//! The simulator speaks the OpenAI Videos API contract, over real HTTP.

use std::net::TcpListener;
use std::time::Duration;

use serde_json::{json, Value};
use sora_sim::{SimConfig, Simulator};

struct Sim {
    base: String,
    http: reqwest::Client,
}

fn start(config: SimConfig) -> Sim {
    let sim = Simulator::start(config, TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
    let base = format!("http://127.0.0.1:{}", sim.port);
    tokio::spawn(sim.server);
    Sim {
        base,
        http: reqwest::Client::new(),
    }
}

impl Sim {
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let response = request.bearer_auth("sk-sim").send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body, headers)
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value, reqwest::header::HeaderMap) {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
            .await
    }
    async fn get(&self, path: &str) -> (u16, Value, reqwest::header::HeaderMap) {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }
}

fn quick() -> SimConfig {
    SimConfig {
        queued_ms: 100,
        running_ms: 300,
        ..SimConfig::default()
    }
}

#[tokio::test]
async fn a_video_is_created_queued_and_completes_with_every_key() {
    let sim = start(quick());
    let (status, video, headers) = sim
        .post("/v1/videos", json!({"prompt": "aurora", "seconds": "8"}))
        .await;
    assert_eq!(status, 200);
    assert!(headers.get("x-request-id").is_some());
    let keys: Vec<&str> = video
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "id",
        "object",
        "created_at",
        "status",
        "completed_at",
        "error",
        "expires_at",
        "model",
        "progress",
        "prompt",
        "remixed_from_video_id",
        "seconds",
        "size",
    ];
    expected.sort();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
    let id = video["id"].as_str().unwrap();
    assert!(id.starts_with("video_") && id.len() == 6 + 48);
    assert_eq!(
        (video["status"].as_str(), video["progress"].as_i64()),
        (Some("queued"), Some(0))
    );
    assert_eq!(video["seconds"], "8");

    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, done, _) = sim.get(&format!("/v1/videos/{id}")).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["progress"], 100);
    assert_eq!(
        done["expires_at"].as_i64().unwrap(),
        done["completed_at"].as_i64().unwrap() + 3600
    );

    let response = sim
        .http
        .get(format!("{}/v1/videos/{id}/content", sim.base))
        .bearer_auth("sk-sim")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "video/mp4");
    let (status, deleted, _) = sim
        .send(sim.http.delete(format!("{}/v1/videos/{id}", sim.base)))
        .await;
    assert_eq!((status, deleted["deleted"].as_bool()), (200, Some(true)));
}

#[tokio::test]
async fn multipart_create_is_accepted() {
    let sim = start(quick());
    let form = reqwest::multipart::Form::new()
        .text("prompt", "from a form")
        .text("size", "1280x720");
    let (status, video, _) = sim
        .send(
            sim.http
                .post(format!("{}/v1/videos", sim.base))
                .multipart(form),
        )
        .await;
    assert_eq!(status, 200, "{video}");
    assert_eq!(
        (video["prompt"].as_str(), video["size"].as_str()),
        (Some("from a form"), Some("1280x720"))
    );
}

#[tokio::test]
async fn invalid_requests_get_the_error_envelope() {
    let sim = start(quick());
    let (status, body, _) = sim
        .post("/v1/videos", json!({"prompt": "x", "seconds": 4}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_type");
    assert_eq!(body["error"]["param"], "seconds");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (status, body, _) = sim
        .post("/v1/videos", json!({"prompt": "x", "size": "1792x1024"}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_value"))
    );
    let (status, _, _) = sim.post("/v1/videos", json!({"model": "sora-2"})).await;
    assert_eq!(status, 400);
    let (status, body, _) = sim.get("/v1/videos/video_nope").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let unauthorized = sim
        .http
        .get(format!("{}/v1/videos", sim.base))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert!(unauthorized.headers().get("x-request-id").is_some());
}

#[tokio::test]
async fn list_pages_newest_first_and_counts_creates_per_prompt() {
    let sim = start(quick());
    for prompt in ["a", "b", "c", "c"] {
        sim.post("/v1/videos", json!({"prompt": prompt})).await;
    }
    let (_, page, _) = sim.get("/v1/videos?limit=2").await;
    assert_eq!(page["object"], "list");
    assert_eq!(page["has_more"], true);
    let prompts: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["prompt"].as_str().unwrap())
        .collect();
    assert_eq!(prompts, ["c", "c"]);
    let (_, rest, _) = sim
        .get(&format!(
            "/v1/videos?limit=10&after={}",
            page["last_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 2);
    assert_eq!(rest["has_more"], false);
    let stats: Value = reqwest::get(format!("{}/sim/stats", sim.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["creates"], 4);
    assert_eq!(stats["createsByPrompt"]["c"], 2);
}

#[tokio::test]
async fn injected_faults_carry_retry_after_and_the_error_envelope() {
    let sim = start(SimConfig {
        rate_429: 1.0,
        retry_after_secs: 7,
        ..quick()
    });
    let (status, body, headers) = sim.post("/v1/videos", json!({"prompt": "x"})).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    assert_eq!(headers["retry-after"], "7");
    let sim = start(SimConfig {
        rate_5xx: 1.0,
        ..quick()
    });
    let (status, body, _) = sim.get("/v1/videos").await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (500, Some("server_error"))
    );
}

#[tokio::test]
async fn a_prompt_asking_to_fail_fails_with_an_error_object() {
    let sim = start(quick());
    let (_, video, _) = sim
        .post("/v1/videos", json!({"prompt": "please sim:fail"}))
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (_, failed, _) = sim
        .get(&format!("/v1/videos/{}", video["id"].as_str().unwrap()))
        .await;
    assert_eq!(failed["status"], "failed");
    assert!(failed["error"]["message"].is_string());
}

#[tokio::test]
async fn a_prompt_can_fix_its_run_time_and_the_timeline_is_published() {
    let sim = start(quick());
    let (_, video, _) = sim
        .post(
            "/v1/videos",
            json!({"prompt": "a long take sim:running_ms=60000"}),
        )
        .await;
    let (status, videos, _) = sim.get("/sim/videos").await;
    assert_eq!(status, 200);
    let listed = &videos[0];
    assert_eq!(listed["id"], video["id"]);
    let created = listed["created_ms"].as_u64().unwrap();
    assert_eq!(
        listed["finishes_ms"].as_u64().unwrap(),
        created + 100 + 60_000
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (_, running, _) = sim
        .get(&format!("/v1/videos/{}", video["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        (running["status"].as_str(), running["progress"].as_u64()),
        (Some("in_progress"), Some(0)),
        "a quick simulator's video still runs for the minute it asked for"
    );
}

#[tokio::test]
async fn the_webhook_sink_keeps_what_it_received_with_each_signature_verdict() {
    let sim = start(SimConfig {
        webhook_secret: "sink-secret".into(),
        ..quick()
    });
    let body = r#"{"jobId":"j1","status":"completed","progress":100}"#;
    let good = relay_shared::webhook::sign(b"sink-secret", body.as_bytes());
    for signature in [good.as_str(), "0badc0de"] {
        let response = sim
            .http
            .post(format!("{}/sim/webhooks", sim.base))
            .header("content-type", "application/json")
            .header("x-signature", signature)
            .header("webhook-id", "evt_j1_3")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    let (status, listed, _) = sim.get("/sim/webhooks").await;
    assert_eq!(status, 200);
    assert_eq!(listed["received"], 2);
    let kept = listed["webhooks"].as_array().unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0]["body"], body, "the body is kept byte for byte");
    assert_eq!(kept[0]["headers"]["x-signature"], good.as_str());
    assert_eq!(kept[0]["headers"]["webhook-id"], "evt_j1_3");
    assert_eq!(kept[0]["signatureOk"], true);
    assert_eq!(kept[1]["signatureOk"], false);
}
