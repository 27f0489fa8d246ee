//! Replicate predictions (`https://api.replicate.com/v1`): Kling, MiniMax, Wan, Veo and many more
//! video models behind one API. The contract as this adapter relies on it:
//! `docs/providers/replicate.md`.

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
use wire::{Prediction, PredictionList, DIALECT};

/// Pages of 100 that `find` reads at most before giving up as uncertain.
const FIND_MAX_PAGES: usize = 20;

pub struct ReplicatePredictions {
    api: ProviderApi,
}

impl HttpAdapter for ReplicatePredictions {
    fn new(base_url: &str, token: SecretString, timeout: Duration) -> reqwest::Result<Self> {
        Ok(Self {
            api: ProviderApi::new(base_url, token, timeout, &DIALECT)?,
        })
    }
}

#[async_trait]
impl VideoProvider for ReplicatePredictions {
    async fn download(
        &self,
        url: &str,
        range: Option<&str>,
    ) -> Result<reqwest::Response, ProviderError> {
        self.api.download(url, range).await
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // Only models that print a progress bar in their logs say how far they are.
            reports_progress: false,
            can_cancel: true,
            accepts_callbacks: true,
            lost_submission: LostSubmission::ListByPrompt,
        }
    }

    /// `POST /models/{owner}/{name}/predictions` for a model's latest version, or
    /// `POST /predictions` with `version` for `owner/name:version`. Never `Prefer: wait`.
    async fn create(&self, request: &VideoRequest<'_>) -> Result<ProviderJob, ProviderError> {
        let input = input_for(request);
        let (url, body) = match request.model.split_once(':') {
            Some((_, version)) => (
                self.api.url("/predictions"),
                json!({ "version": version, "input": input }),
            ),
            None => (
                self.api
                    .url(&format!("/models/{}/predictions", request.model)),
                json!({ "input": input }),
            ),
        };
        let mut body = body;
        if let Some(callback) = request.callback_url {
            // Told when it starts and when it ends; the progress in between comes from polls.
            body["webhook"] = json!(callback);
            body["webhook_events_filter"] = json!(["start", "completed"]);
        }
        let prediction: Prediction = self.api.send(self.api.post(&url).json(&body)).await?;
        Ok(prediction.into_job())
    }

    async fn retrieve(&self, id: &str) -> Result<ProviderJob, ProviderError> {
        let url = self.api.url(&format!("/predictions/{id}"));
        let prediction: Prediction = self.api.send(self.api.get(&url)).await?;
        Ok(prediction.into_job())
    }

    /// `POST /predictions/{id}/cancel`.
    async fn cancel(&self, id: &str) -> Result<(), ProviderError> {
        let url = self.api.url(&format!("/predictions/{id}/cancel"));
        self.api
            .send::<serde::de::IgnoredAny>(self.api.post(&url))
            .await
            .map(drop)
    }

    /// The newest prediction with exactly this prompt created since `created_since`, from the
    /// list of predictions (newest first, 100 a page, followed by its `next` cursor).
    async fn find(
        &self,
        prompt: &str,
        created_since: i64,
    ) -> Result<Option<ProviderJob>, ProviderError> {
        let mut url = self.api.url("/predictions");
        for _ in 0..FIND_MAX_PAGES {
            let page: PredictionList = self.api.send(self.api.get(&url)).await?;
            let mut reached_older = page.results.is_empty();
            for prediction in page.results {
                let created = prediction.created_secs().unwrap_or(i64::MAX);
                if created < created_since {
                    reached_older = true;
                    break;
                }
                if prediction.prompt() == Some(prompt) {
                    return Ok(Some(prediction.into_job()));
                }
            }
            match page.next {
                // Our token goes only to our base URL, whatever a page names.
                Some(next) if !self.api.is_ours(&next) => {
                    return Err(ProviderError::CannotTell {
                        message: "the list's next page is not at the provider's base URL".into(),
                    })
                }
                Some(next) if !reached_older && next != url => url = next,
                _ => return Ok(None),
            }
        }
        Err(ProviderError::unavailable(format!(
            "over {} predictions listed since the lost submission; cannot tell whether it exists",
            FIND_MAX_PAGES * 100
        )))
    }
}

/// The model's input: the prompt, the length as `duration` (seconds) and the frame as
/// `aspect_ratio` (`16:9`), the names most of Replicate's video models take; `extra` fills the
/// rest (a model's own names for anything else).
fn input_for(request: &VideoRequest<'_>) -> Map<String, Value> {
    let mut input = request.extra.clone();
    input.insert("prompt".into(), json!(request.prompt));
    if let Some(seconds) = request.seconds {
        input.insert("duration".into(), json!(seconds));
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
    fn a_request_becomes_the_models_input() {
        let mut extra = Map::new();
        extra.insert("prompt_optimizer".into(), json!(false));
        extra.insert("duration".into(), json!(99));
        let request = VideoRequest {
            idempotency_key: "job-1",
            prompt: "a red fox",
            model: "kwaivgi/kling-v2.1",
            seconds: Some(5),
            frame: Frame::parse_size("1280x720"),
            extra,
            callback_url: None,
        };
        assert_eq!(
            Value::Object(input_for(&request)),
            json!({"prompt": "a red fox", "duration": 5, "aspect_ratio": "16:9", "prompt_optimizer": false})
        );
    }
}
