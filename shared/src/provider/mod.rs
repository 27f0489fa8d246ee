//! Video providers. The worker talks to a provider only through [`VideoProvider`]; the OpenAI
//! Videos API adapter ([`openai::OpenAiVideos`]) is the first implementation, and it also speaks
//! to any gateway or simulator that serves the same `/v1/videos` shape.

pub mod openai;

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

/// What the worker submits for a job.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateVideo<'a> {
    /// Sent as `Idempotency-Key`, for providers that honour one.
    pub idempotency_key: &'a str,
    pub prompt: &'a str,
    pub model: &'a str,
    pub seconds: Option<&'a str>,
    pub size: Option<&'a str>,
}

/// A provider's view of one video (the OpenAI Video object; unknown fields are ignored).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Video {
    pub id: String,
    /// `queued`, `in_progress`, `completed`, `failed`, or anything a provider invents.
    pub status: String,
    #[serde(default)]
    pub progress: Option<i64>,
    #[serde(default)]
    pub error: Option<VideoError>,
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub prompt: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct VideoError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl Video {
    /// Progress clamped to 0..=100 (providers call it approximate).
    pub fn progress(&self) -> u8 {
        self.progress.unwrap_or(0).clamp(0, 100) as u8
    }

    /// The provider's failure message, or a fallback naming the status.
    pub fn error_message(&self) -> String {
        self.error
            .as_ref()
            .and_then(|e| e.message.clone().or_else(|| e.code.clone()))
            .unwrap_or_else(|| format!("provider reported status {:?}", self.status))
    }
}

/// Why a provider call did not give us a video. Messages never contain credentials.
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum ProviderError {
    /// 429 rate_limit_exceeded: wait at least `retry_after`, then try again.
    #[error("rate limited by the provider: {message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// 429 insufficient_quota: retrying will not help until billing is fixed.
    #[error("provider quota exhausted: {message}")]
    QuotaExhausted { message: String },
    /// Timeouts, connection failures, 5xx, unreadable answers: try again later.
    #[error("provider unavailable: {message}")]
    Unavailable {
        retry_after: Option<Duration>,
        message: String,
    },
    /// 401/403: our credentials are wrong; the job is not at fault.
    #[error("provider refused our credentials ({status}): {message}")]
    Unauthorized { status: u16, message: String },
    /// Any other 4xx: the provider will not do what was asked.
    #[error("provider rejected the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// The provider answers, but its answers cannot settle the question (a list whose cursor does
    /// not advance): asking again the same way will not help, and the provider is not failing.
    #[error("the provider cannot tell: {message}")]
    CannotTell { message: String },
}

impl ProviderError {
    /// A failure of the provider's own (down, timing out, 5xx, 429 that names no wait): what
    /// `PROVIDER_FAILURE_MAX_SECS` counts. Not our credentials or quota, not a refusal, not a 429
    /// that said how long to wait.
    pub fn is_provider_failure(&self) -> bool {
        matches!(
            self,
            ProviderError::Unavailable { .. }
                | ProviderError::RateLimited {
                    retry_after: None,
                    ..
                }
        )
    }

    /// The wait the provider asked for, if any.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            ProviderError::RateLimited { retry_after, .. }
            | ProviderError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[async_trait]
pub trait VideoProvider: Send + Sync + 'static {
    /// Starts a video (`POST /videos`).
    async fn create(&self, request: &CreateVideo<'_>) -> Result<Video, ProviderError>;
    /// Reads a video's current state (`GET /videos/{id}`).
    async fn retrieve(&self, video_id: &str) -> Result<Video, ProviderError>;
    /// The newest video with exactly this prompt created at or after `created_since` (unix
    /// seconds), to adopt a submission whose answer was lost. `Ok(None)` only when the provider
    /// certainly has none; an error when it cannot tell.
    async fn find(&self, prompt: &str, created_since: i64) -> Result<Option<Video>, ProviderError>;
    /// Where the finished video can be downloaded.
    fn content_url(&self, video_id: &str) -> String;
    /// Whether a video the provider calls finished can in fact be downloaded: `Ok` when its
    /// content answers. Gateways report some failed videos as completed (LiteLLM does for a
    /// failed Veo job, whose content then answers 500), so a completion is announced only once
    /// this holds. The default trusts the provider's word.
    async fn check_content(&self, _video_id: &str) -> Result<(), ProviderError> {
        Ok(())
    }
}
