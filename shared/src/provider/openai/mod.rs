//! The OpenAI Videos API (`/v1/videos`) at a configurable base URL: OpenAI itself while it lasted,
//! and any OpenAI-compatible gateway (LiteLLM) or simulator serving the same shape. The contract
//! as this adapter relies on it: `docs/providers/openai.md`.

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
use wire::{Video, VideoList};

pub struct OpenAiVideos {
    api: ProviderApi,
}

impl HttpAdapter for OpenAiVideos {
    fn new(base_url: &str, api_key: SecretString, timeout: Duration) -> reqwest::Result<Self> {
        Ok(Self {
            api: ProviderApi::new(base_url, api_key, timeout, &wire::DIALECT)?,
        })
    }
}

#[async_trait]
impl VideoProvider for OpenAiVideos {
    async fn download(
        &self,
        url: &str,
        range: Option<&str>,
    ) -> Result<reqwest::Response, ProviderError> {
        self.api.download(url, range).await
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            reports_progress: true,
            can_cancel: false,
            accepts_callbacks: false,
            lost_submission: LostSubmission::ListByPrompt,
        }
    }

    async fn create(&self, request: &VideoRequest<'_>) -> Result<ProviderJob, ProviderError> {
        let mut body: serde_json::Map<String, Value> = request.extra.clone();
        body.insert("prompt".into(), json!(request.prompt));
        body.insert("model".into(), json!(request.model));
        // The API takes seconds as a string ("4", "8", "12") and an exact size.
        if let Some(seconds) = request.seconds {
            body.insert("seconds".into(), json!(seconds.to_string()));
        }
        if let Some(frame @ Frame::Size { .. }) = request.frame {
            body.insert("size".into(), json!(frame.to_string()));
        }
        let call = self
            .api
            .post(&self.api.url("/videos"))
            .header("idempotency-key", request.idempotency_key)
            .json(&body);
        let video: Video = self.api.send(call).await?;
        Ok(self.job(video))
    }

    async fn retrieve(&self, id: &str) -> Result<ProviderJob, ProviderError> {
        let url = self.api.url(&format!("/videos/{id}"));
        let video: Video = self.api.send(self.api.get(&url)).await?;
        // The id the provider gave at creation stays the job's: LiteLLM answers a retrieve with
        // an id that has lost its route, and asking with that one reaches another provider
        // (tests/e2e/gateway.rs).
        Ok(self.job(Video {
            id: id.to_owned(),
            ..video
        }))
    }

    async fn find(
        &self,
        prompt: &str,
        created_since: i64,
    ) -> Result<Option<ProviderJob>, ProviderError> {
        let mut after: Option<String> = None;
        for _ in 0..FIND_MAX_PAGES {
            let mut url = self.api.url("/videos?order=desc&limit=100");
            if let Some(cursor) = &after {
                url.push_str(&format!("&after={cursor}"));
            }
            let page: VideoList = self.api.send(self.api.get(&url)).await?;
            let found = page.data.iter().find(|v| {
                v.prompt.as_deref() == Some(prompt) && v.created_at.unwrap_or(0) >= created_since
            });
            if let Some(video) = found {
                return Ok(Some(self.job(video.clone())));
            }
            let reached_older = page
                .data
                .last()
                .and_then(|v| v.created_at)
                .is_some_and(|t| t < created_since);
            if !page.has_more || page.data.is_empty() || reached_older {
                return Ok(None);
            }
            let next = page
                .last_id
                .or_else(|| page.data.last().map(|v| v.id.clone()));
            // A list that ignores `after` answers the same page again: asking on would only read
            // it FIND_MAX_PAGES times (some gateways do this).
            if next.is_none() || next == after {
                return Err(ProviderError::CannotTell {
                    message: "the provider's list does not advance (it ignores `after`); cannot tell whether the lost submission created a video".into(),
                });
            }
            after = next;
        }
        Err(ProviderError::unavailable(format!(
            "over {} videos listed since the lost submission; cannot tell whether it exists",
            FIND_MAX_PAGES * 100
        )))
    }

    /// One byte of the content (`ProviderApi::check_first_byte`): LiteLLM reports some failed
    /// videos as completed, and their content then answers 500.
    async fn check_content(&self, job: &ProviderJob) -> Result<(), ProviderError> {
        self.api.check_first_byte(&self.content_url(&job.id)).await
    }
}

impl OpenAiVideos {
    /// Where a finished video is downloaded (with the key).
    fn content_url(&self, id: &str) -> String {
        self.api.url(&format!("/videos/{id}/content"))
    }

    fn job(&self, video: Video) -> ProviderJob {
        let url = self.content_url(&video.id);
        video.into_job(url)
    }
}

/// Pages of 100 that `find` reads at most before giving up as uncertain.
const FIND_MAX_PAGES: usize = 20;
