//! Luma's Dream Machine API (`https://api.lumalabs.ai/dream-machine/v1`): Ray 2 and Ray Flash 2.
//! A video is a generation: `POST /generations/video`, `GET /generations/{id}`,
//! `DELETE /generations/{id}`. The contract as this adapter relies on it:
//! `docs/providers/luma.md`.

mod wire;

use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use serde_json::{json, Map, Value};

use super::http::ProviderApi;
use super::registry::HttpAdapter;
use super::{
    Capabilities, LostSubmission, ProviderError, ProviderJob, VideoProvider, VideoRequest,
};
use wire::{Generation, DIALECT};

pub struct LumaGenerations {
    api: ProviderApi,
}

impl HttpAdapter for LumaGenerations {
    fn new(base_url: &str, key: SecretString, timeout: Duration) -> reqwest::Result<Self> {
        Ok(Self {
            api: ProviderApi::new(base_url, key, timeout, &DIALECT)?,
        })
    }
}

#[async_trait]
impl VideoProvider for LumaGenerations {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            reports_progress: false,
            can_cancel: true,
            // Unsigned: asked for at the job's unguessable path (`callback::token`), and only
            // with `CALLBACK_TOKEN_SECRET` set.
            accepts_callbacks: true,
            // Luma can list generations, but not by prompt reliably: *our choice*, not searched.
            lost_submission: LostSubmission::Unrecoverable,
        }
    }

    /// `POST /generations/video`: the generation, `queued`.
    async fn create(&self, request: &VideoRequest<'_>) -> Result<ProviderJob, ProviderError> {
        let url = self.api.url("/generations/video");
        let generation: Generation = self
            .api
            .send(self.api.post(&url).json(&body_for(request)))
            .await?;
        Ok(generation.into_job())
    }

    async fn retrieve(&self, id: &str) -> Result<ProviderJob, ProviderError> {
        let url = self.api.url(&format!("/generations/{id}"));
        let generation: Generation = self.api.send(self.api.get(&url)).await?;
        Ok(generation.into_job())
    }

    /// `DELETE /generations/{id}`: Luma's only way to stop one (it deletes it).
    async fn cancel(&self, id: &str) -> Result<(), ProviderError> {
        let url = self.api.url(&format!("/generations/{id}"));
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

/// The create body: `model`, `prompt`, `aspect_ratio` (`16:9`), `duration` as Luma writes it
/// (`"5s"`), `callback_url` when asked for, and the client's options (`resolution`, `loop`,
/// `keyframes`, …; keys the adapter sets win).
fn body_for(request: &VideoRequest<'_>) -> Map<String, Value> {
    let mut body = request.extra.clone();
    body.insert("model".into(), json!(request.model));
    body.insert("prompt".into(), json!(request.prompt));
    if let Some(frame) = request.frame {
        body.insert("aspect_ratio".into(), json!(frame.ratio_text()));
    }
    if let Some(seconds) = request.seconds {
        body.insert("duration".into(), json!(format!("{seconds}s")));
    }
    if let Some(callback) = request.callback_url {
        body.insert("callback_url".into(), json!(callback));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Frame;

    #[test]
    fn a_request_becomes_the_create_body() {
        let mut extra = Map::new();
        extra.insert("resolution".into(), json!("720p"));
        let request = VideoRequest {
            idempotency_key: "job-1",
            prompt: "a red fox",
            model: "ray-2",
            seconds: Some(5),
            frame: Frame::parse_size("1280x720"),
            extra,
            callback_url: Some("https://relay.example/api/providers/luma/callback/t0k?job=job-1"),
        };
        assert_eq!(
            Value::Object(body_for(&request)),
            json!({"model": "ray-2", "prompt": "a red fox", "aspect_ratio": "16:9", "duration": "5s", "resolution": "720p",
                "callback_url": "https://relay.example/api/providers/luma/callback/t0k?job=job-1"})
        );
    }
}
