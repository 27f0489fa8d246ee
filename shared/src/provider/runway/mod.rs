//! Runway's API (`https://api.dev.runwayml.com`): its own models (Gen-4.5, Gen-4 Turbo) and Veo
//! behind one key. The contract as this adapter relies on it: `docs/providers/runway.md`.
//!
//! A video is a task: created by `POST /v1/text_to_video` (or `/v1/image_to_video` when the
//! client's options carry a `promptImage`), read by `GET /v1/tasks/{id}`, cancelled by
//! `DELETE /v1/tasks/{id}`. Every request names the API version it was written against.

mod wire;

use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use serde_json::{json, Map, Value};

use super::http::ProviderApi;
use super::registry::HttpAdapter;
use super::{
    Capabilities, Frame, LostSubmission, ProviderError, ProviderJob, VideoProvider, VideoRequest,
};
use wire::{Created, Task, DIALECT};

/// The API version this adapter speaks (`X-Runway-Version`).
pub const API_VERSION: &str = "2024-11-06";

pub struct RunwayTasks {
    api: ProviderApi,
}

impl HttpAdapter for RunwayTasks {
    fn new(base_url: &str, key: SecretString, timeout: Duration) -> reqwest::Result<Self> {
        Ok(Self {
            api: ProviderApi::new(base_url, key, timeout, &DIALECT)?
                .with_header("X-Runway-Version", API_VERSION),
        })
    }
}

#[async_trait]
impl VideoProvider for RunwayTasks {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // `progress` (0–1) while RUNNING.
            reports_progress: true,
            can_cancel: true,
            accepts_callbacks: false,
            // No list of tasks and no idempotency key (docs/providers/runway.md).
            lost_submission: LostSubmission::Unrecoverable,
        }
    }

    /// `POST /v1/text_to_video`, or `/v1/image_to_video` with a `promptImage`: `{"id"}`.
    async fn create(&self, request: &VideoRequest<'_>) -> Result<ProviderJob, ProviderError> {
        let body = body_for(request);
        let path = if body.contains_key("promptImage") {
            "/v1/image_to_video"
        } else {
            "/v1/text_to_video"
        };
        let created: Created = self
            .api
            .send(self.api.post(&self.api.url(path)).json(&body))
            .await?;
        Ok(created.into_job())
    }

    async fn retrieve(&self, id: &str) -> Result<ProviderJob, ProviderError> {
        let url = self.api.url(&format!("/v1/tasks/{id}"));
        let task: Task = self.api.send(self.api.get(&url)).await?;
        Ok(task.into_job(chrono::Utc::now().timestamp()))
    }

    /// `DELETE /v1/tasks/{id}`: cancels a running task (and deletes a finished one).
    async fn cancel(&self, id: &str) -> Result<(), ProviderError> {
        let url = self.api.url(&format!("/v1/tasks/{id}"));
        self.api.call(self.api.delete(&url)).await
    }

    async fn download(
        &self,
        url: &str,
        range: Option<&str>,
    ) -> Result<reqwest::Response, ProviderError> {
        self.api.download(url, range).await
    }
}

/// The create body: `model`, `promptText`, `ratio` in pixels (`1280:720`), `duration` (seconds);
/// the client's options fill the rest (`promptImage`, `seed`, `contentModeration`, …; keys the
/// adapter sets win).
fn body_for(request: &VideoRequest<'_>) -> Map<String, Value> {
    let mut body = request.extra.clone();
    body.insert("model".into(), json!(request.model));
    body.insert("promptText".into(), json!(request.prompt));
    if let Some(frame) = request.frame {
        body.insert("ratio".into(), json!(ratio(frame)));
    }
    if let Some(seconds) = request.seconds {
        body.insert("duration".into(), json!(seconds));
    }
    body
}

/// Runway's `ratio`: the frame in pixels, `W:H`. An aspect ratio becomes the size Runway's models
/// take for it (*our choice* for the ratios outside its list: the ratio as given, which Runway
/// refuses as invalid input).
fn ratio(frame: Frame) -> String {
    match frame {
        Frame::Size { width, height } => format!("{width}:{height}"),
        Frame::AspectRatio { .. } => match frame.aspect_ratio() {
            (16, 9) => "1280:720".into(),
            (9, 16) => "720:1280".into(),
            (1, 1) => "960:960".into(),
            (4, 3) => "1104:832".into(),
            (3, 4) => "832:1104".into(),
            (21, 9) => "1584:672".into(),
            (w, h) => format!("{w}:{h}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(frame: Option<Frame>, extra: Map<String, Value>) -> VideoRequest<'a> {
        VideoRequest {
            idempotency_key: "job-1",
            prompt: "a red fox",
            model: "gen4.5",
            seconds: Some(5),
            frame,
            extra,
            callback_url: None,
        }
    }

    #[test]
    fn a_request_becomes_the_create_body_with_the_frame_in_pixels() {
        let mut extra = Map::new();
        extra.insert("seed".into(), json!(7));
        extra.insert("model".into(), json!("ignored"));
        let body = body_for(&request(Frame::parse_size("1280x720"), extra));
        assert_eq!(
            Value::Object(body),
            json!({"model": "gen4.5", "promptText": "a red fox", "ratio": "1280:720", "duration": 5, "seed": 7})
        );
        let portrait = Frame::AspectRatio {
            width: 9,
            height: 16,
        };
        assert_eq!(ratio(portrait), "720:1280");
        assert_eq!(
            ratio(Frame::AspectRatio {
                width: 32,
                height: 18
            }),
            "1280:720"
        );
    }
}
