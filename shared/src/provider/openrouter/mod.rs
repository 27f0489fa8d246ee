//! OpenRouter's video API (`https://openrouter.ai/api/v1/videos`): Veo 3.1, Seedance, Wan, Kling
//! and Hailuo behind one key. The contract as this adapter relies on it:
//! `docs/providers/openrouter.md`.

mod wire;

use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use serde_json::{json, Value};

use super::http::ProviderApi;
use super::registry::HttpAdapter;
use super::{
    Capabilities, Frame, LostSubmission, ProviderError, ProviderJob, VideoProvider, VideoRequest,
};
use wire::{VideoJob, DIALECT};

pub struct OpenRouterVideos {
    api: ProviderApi,
}

impl HttpAdapter for OpenRouterVideos {
    fn new(base_url: &str, key: SecretString, timeout: Duration) -> reqwest::Result<Self> {
        Ok(Self {
            api: ProviderApi::new(base_url, key, timeout, &DIALECT)?,
        })
    }
}

impl OpenRouterVideos {
    fn job(&self, job: VideoJob) -> ProviderJob {
        let id = job.id.clone();
        job.into_job(|index| self.content_url(&id, index))
    }

    /// Where output `index` of a finished video is downloaded (with the key).
    fn content_url(&self, id: &str, index: usize) -> String {
        self.api.url(&format!("/videos/{id}/content?index={index}"))
    }
}

#[async_trait]
impl VideoProvider for OpenRouterVideos {
    async fn download(
        &self,
        url: &str,
        range: Option<&str>,
    ) -> Result<reqwest::Response, ProviderError> {
        self.api.download(url, range).await
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            reports_progress: false,
            can_cancel: false,
            accepts_callbacks: true,
            // No list of videos and no idempotency key: a create whose answer was lost cannot be
            // found again (docs/providers/openrouter.md).
            lost_submission: LostSubmission::Unrecoverable,
        }
    }

    /// `POST /videos`: 202 with the job's id.
    async fn create(&self, request: &VideoRequest<'_>) -> Result<ProviderJob, ProviderError> {
        let body = body_for(request);
        let job: VideoJob = self
            .api
            .send(self.api.post(&self.api.url("/videos")).json(&body))
            .await?;
        Ok(self.job(job))
    }

    async fn retrieve(&self, id: &str) -> Result<ProviderJob, ProviderError> {
        let url = self.api.url(&format!("/videos/{id}"));
        let job: VideoJob = self.api.send(self.api.get(&url)).await?;
        Ok(self.job(job))
    }

    /// One byte of the first output (`Range: bytes=0-0`) when it is OpenRouter's own content
    /// endpoint: it answers 502 when the upstream lost the video, so a completion is announced
    /// only once the content answers. Outputs elsewhere are trusted as they are.
    async fn check_content(&self, job: &ProviderJob) -> Result<(), ProviderError> {
        let super::Lifecycle::Succeeded { outputs, .. } = &job.lifecycle else {
            return Ok(());
        };
        let Some(first) = outputs.first().filter(|o| self.api.is_ours(&o.url)) else {
            return Ok(());
        };
        self.api.check_first_byte(&first.url).await
    }
}

/// The create body: `model`, `prompt`, the length as `duration` (whole seconds), the frame as
/// `size` (`WxH`) or `aspect_ratio`, the callback; the client's `options` fill the rest (keys the
/// adapter sets win).
fn body_for(request: &VideoRequest<'_>) -> serde_json::Map<String, Value> {
    let mut body = request.extra.clone();
    body.insert("model".into(), json!(request.model));
    body.insert("prompt".into(), json!(request.prompt));
    if let Some(seconds) = request.seconds {
        body.insert("duration".into(), json!(seconds));
    }
    match request.frame {
        Some(frame @ Frame::Size { .. }) => {
            body.insert("size".into(), json!(frame.to_string()));
        }
        Some(frame) => {
            body.insert("aspect_ratio".into(), json!(frame.ratio_text()));
        }
        None => {}
    }
    if let Some(url) = request.callback_url {
        body.insert("callback_url".into(), json!(url));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_becomes_the_create_body() {
        let mut extra = serde_json::Map::new();
        extra.insert("generate_audio".into(), json!(true));
        extra.insert("model".into(), json!("ignored"));
        let request = VideoRequest {
            idempotency_key: "job-1",
            prompt: "a red fox",
            model: "google/veo-3.1",
            seconds: Some(8),
            frame: Frame::parse_size("1280x720"),
            extra,
            callback_url: Some("https://relay.example/api/providers/openrouter/callback?job=j"),
        };
        assert_eq!(
            Value::Object(body_for(&request)),
            json!({
                "model": "google/veo-3.1",
                "prompt": "a red fox",
                "duration": 8,
                "size": "1280x720",
                "generate_audio": true,
                "callback_url": "https://relay.example/api/providers/openrouter/callback?job=j",
            })
        );
    }
}
