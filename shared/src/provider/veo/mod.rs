//! Veo through the Gemini API (`https://generativelanguage.googleapis.com/v1beta`): a video is a
//! long-running operation, started by `POST /models/{model}:predictLongRunning` and read by
//! `GET /{operation name}`. The contract as this adapter relies on it: `docs/providers/veo.md`.
//!
//! The key travels in `x-goog-api-key`, and a finished video's URI needs it too: it is downloaded
//! from the API with the key, and the redirect to Google's storage is followed without it.

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
use wire::{Operation, DIALECT};

pub struct VeoOperations {
    api: ProviderApi,
}

impl HttpAdapter for VeoOperations {
    fn new(base_url: &str, key: SecretString, timeout: Duration) -> reqwest::Result<Self> {
        Ok(Self {
            api: ProviderApi::new(base_url, key, timeout, &DIALECT)?
                .with_key_header("x-goog-api-key"),
        })
    }
}

#[async_trait]
impl VideoProvider for VeoOperations {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            reports_progress: false,
            // The Gemini API has no cancel for these operations.
            can_cancel: false,
            accepts_callbacks: false,
            // No list of a model's operations and no idempotency key.
            lost_submission: LostSubmission::Unrecoverable,
        }
    }

    /// `POST /models/{model}:predictLongRunning`: the operation's `name`.
    async fn create(&self, request: &VideoRequest<'_>) -> Result<ProviderJob, ProviderError> {
        let url = self
            .api
            .url(&format!("/models/{}:predictLongRunning", request.model));
        let operation: Operation = self
            .api
            .send(self.api.post(&url).json(&body_for(request)))
            .await
            .map_err(wire::key_refusal)?;
        Ok(operation.into_job(chrono::Utc::now().timestamp()))
    }

    /// `GET /{name}`: the operation names its own path (`models/…/operations/…`).
    async fn retrieve(&self, id: &str) -> Result<ProviderJob, ProviderError> {
        let url = self.api.url(&format!("/{}", id.trim_start_matches('/')));
        let operation: Operation = self
            .api
            .send(self.api.get(&url))
            .await
            .map_err(wire::key_refusal)?;
        Ok(operation.into_job(chrono::Utc::now().timestamp()))
    }

    async fn download(
        &self,
        url: &str,
        range: Option<&str>,
    ) -> Result<reqwest::Response, ProviderError> {
        self.api.download(url, range).await
    }
}

/// The request body: `instances: [{prompt}]`, and `parameters` — `aspectRatio` (`16:9`, `9:16`),
/// `durationSeconds`, and the client's options (`negativePrompt`, `resolution`,
/// `personGeneration`, `sampleCount`, …; keys the adapter sets win).
fn body_for(request: &VideoRequest<'_>) -> Value {
    let mut parameters: Map<String, Value> = request.extra.clone();
    // Veo takes `16:9` or `9:16`: a frame's ratio in lowest terms (*our choice*: any other ratio
    // as given, which the API refuses as invalid input).
    if let Some(frame) = request.frame {
        parameters.insert("aspectRatio".into(), json!(frame.ratio_text()));
    }
    if let Some(seconds) = request.seconds {
        parameters.insert("durationSeconds".into(), json!(seconds));
    }
    json!({
        "instances": [{ "prompt": request.prompt }],
        "parameters": parameters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Frame;

    #[test]
    fn a_request_becomes_instances_and_parameters() {
        let mut extra = Map::new();
        extra.insert("negativePrompt".into(), json!("blur"));
        let request = VideoRequest {
            idempotency_key: "job-1",
            prompt: "a red fox",
            model: "veo-3.1-generate-preview",
            seconds: Some(8),
            frame: Frame::parse_size("1280x720"),
            extra,
            callback_url: None,
        };
        assert_eq!(
            body_for(&request),
            json!({
                "instances": [{"prompt": "a red fox"}],
                "parameters": {"negativePrompt": "blur", "aspectRatio": "16:9", "durationSeconds": 8},
            })
        );
    }
}
