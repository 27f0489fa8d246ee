//! fal's queue (`https://queue.fal.run`): Kling, Pika, MiniMax, Veo and many more models, each an
//! app path. The contract as this adapter relies on it: `docs/providers/fal.md`.
//!
//! A request lives under its app: `{owner}/{alias}/requests/{request_id}` (the model's further
//! path segments are not part of it). That path, relative to the base URL, is the video's id here,
//! so status, result and cancel need nothing else.

mod wire;

use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use serde_json::{json, Map, Value};

use super::http::ProviderApi;
use super::registry::HttpAdapter;
use super::{
    Capabilities, FailureClass, Lifecycle, LostSubmission, ProviderError, ProviderJob,
    VideoProvider, VideoRequest,
};
use wire::{Status, Submitted, DIALECT};

/// App namespaces whose ids have three segments (`workflows/{owner}/{alias}`), as fal's clients
/// parse endpoint ids.
const NAMESPACES: &[&str] = &["workflows", "comfy"];

pub struct FalQueue {
    api: ProviderApi,
}

impl HttpAdapter for FalQueue {
    fn new(base_url: &str, key: SecretString, timeout: Duration) -> reqwest::Result<Self> {
        Ok(Self {
            api: ProviderApi::new(base_url, key, timeout, &DIALECT)?.with_scheme("Key"),
        })
    }
}

impl FalQueue {
    /// The request's id here: its path under the base URL, from the `status_url` fal gave when it
    /// is ours, else built from the model's app id.
    fn request_path(&self, model: &str, submitted: &Submitted) -> String {
        let from_status_url = submitted.status_url.as_deref().and_then(|url| {
            let path = url.strip_prefix(&self.api.url("/"))?;
            let path = path.strip_suffix("/status")?;
            path.ends_with(&format!("/requests/{}", submitted.request_id))
                .then(|| path.to_owned())
        });
        from_status_url
            .unwrap_or_else(|| format!("{}/requests/{}", app_id(model), submitted.request_id))
    }

    /// A completed request's result: its videos, or why it has none.
    async fn result(&self, id: &str) -> Result<Lifecycle, ProviderError> {
        let result: Result<Value, ProviderError> = self
            .api
            .send(self.api.get(&self.api.url(&format!("/{id}"))))
            .await;
        match result {
            Ok(result) => {
                let outputs = wire::outputs(&result);
                if outputs.is_empty() {
                    return Ok(Lifecycle::Failed {
                        class: FailureClass::Provider,
                        message: "the request completed without a video in its result".into(),
                    });
                }
                // fal keeps results for a time its docs leave open: none is assumed.
                Ok(Lifecycle::Succeeded {
                    outputs,
                    expires_at: None,
                })
            }
            // The request failed: its result is the model's refusal.
            Err(ProviderError::Rejected { status, message }) if status != 404 => {
                Ok(Lifecycle::Failed {
                    class: wire::failure_class(None, &message),
                    message,
                })
            }
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl VideoProvider for FalQueue {
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
            can_cancel: true,
            accepts_callbacks: true,
            // The queue has no list of requests and no idempotency key (docs/providers/fal.md).
            lost_submission: LostSubmission::Unrecoverable,
        }
    }

    /// `POST /{model}` with the model's input (and `?fal_webhook=` when we want a callback).
    async fn create(&self, request: &VideoRequest<'_>) -> Result<ProviderJob, ProviderError> {
        let mut url =
            reqwest::Url::parse(&self.api.url(&format!("/{}", request.model))).map_err(|e| {
                ProviderError::Rejected {
                    status: 400,
                    message: format!("the model {:?} makes no URL: {e}", request.model),
                }
            })?;
        if let Some(callback) = request.callback_url {
            url.query_pairs_mut().append_pair("fal_webhook", callback);
        }
        let submitted: Submitted = self
            .api
            .send(self.api.post(url.as_str()).json(&input_for(request)))
            .await?;
        Ok(ProviderJob {
            id: self.request_path(request.model, &submitted),
            lifecycle: Lifecycle::Queued,
        })
    }

    /// The status, and once completed the result (two requests, the second only once).
    async fn retrieve(&self, id: &str) -> Result<ProviderJob, ProviderError> {
        let status: Status = self
            .api
            .send(self.api.get(&self.api.url(&format!("/{id}/status"))))
            .await?;
        let lifecycle = match status.lifecycle() {
            Some(lifecycle) => lifecycle,
            None => self.result(id).await?,
        };
        Ok(ProviderJob {
            id: id.to_owned(),
            lifecycle,
        })
    }

    /// `PUT …/requests/{id}/cancel`: fal stops a request that has not finished.
    async fn cancel(&self, id: &str) -> Result<(), ProviderError> {
        let url = self.api.url(&format!("/{id}/cancel"));
        self.api
            .send::<serde::de::IgnoredAny>(self.api.put(&url))
            .await
            .map(drop)
    }
}

/// The app a model belongs to: its first two path segments (three under a namespace).
fn app_id(model: &str) -> String {
    let parts: Vec<&str> = model.split('/').collect();
    let take = if NAMESPACES.contains(&parts[0]) { 3 } else { 2 };
    parts[..take.min(parts.len())].join("/")
}

/// The model's input: the prompt, the length as `duration` (a string of whole seconds, as fal's
/// video models take it: "5", "10") and the frame as `aspect_ratio`; `extra` fills the rest.
fn input_for(request: &VideoRequest<'_>) -> Map<String, Value> {
    let mut input = request.extra.clone();
    input.insert("prompt".into(), json!(request.prompt));
    if let Some(seconds) = request.seconds {
        input.insert("duration".into(), json!(seconds.to_string()));
    }
    if let Some(frame) = request.frame {
        input.insert("aspect_ratio".into(), json!(frame.ratio_text()));
    }
    input
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Frame;

    #[test]
    fn requests_live_under_their_app() {
        assert_eq!(
            app_id("fal-ai/kling-video/v2.1/standard/text-to-video"),
            "fal-ai/kling-video"
        );
        assert_eq!(app_id("workflows/me/flow/x"), "workflows/me/flow");
        assert_eq!(app_id("fal-ai/veo3"), "fal-ai/veo3");
        let queue = FalQueue::new(
            "https://queue.fal.run",
            "k".to_owned().into(),
            Duration::from_secs(1),
        )
        .unwrap();
        let submitted = |status_url: Option<&str>| Submitted {
            request_id: "80e7".into(),
            status_url: status_url.map(str::to_owned),
        };
        let model = "fal-ai/kling-video/v2.1/standard/text-to-video";
        assert_eq!(
            queue.request_path(
                model,
                &submitted(Some(
                    "https://queue.fal.run/fal-ai/kling-video/requests/80e7/status"
                ))
            ),
            "fal-ai/kling-video/requests/80e7"
        );
        // A status URL elsewhere is not followed.
        assert_eq!(
            queue.request_path(
                model,
                &submitted(Some("https://evil.example/x/requests/80e7/status"))
            ),
            "fal-ai/kling-video/requests/80e7"
        );
        assert_eq!(
            queue.request_path(model, &submitted(None)),
            "fal-ai/kling-video/requests/80e7"
        );
    }

    #[test]
    fn a_request_becomes_the_models_input() {
        let mut extra = Map::new();
        extra.insert("negative_prompt".into(), json!("blur"));
        let request = VideoRequest {
            idempotency_key: "job-1",
            prompt: "a red fox",
            model: "fal-ai/kling-video/v2.1/standard/text-to-video",
            seconds: Some(5),
            frame: Frame::parse_size("720x1280"),
            extra,
            callback_url: None,
        };
        assert_eq!(
            Value::Object(input_for(&request)),
            json!({"prompt": "a red fox", "duration": "5", "aspect_ratio": "9:16", "negative_prompt": "blur"})
        );
    }
}
