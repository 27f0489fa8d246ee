//! Video providers. The worker talks to a provider only through [`VideoProvider`] and the shared
//! types of this module: a [`VideoRequest`] in, a [`ProviderJob`] with its normalized
//! [`Lifecycle`] out, a [`ProviderError`] with its [`FailureClass`] when a call fails. Each
//! adapter keeps its provider's wire types private (`openai/wire.rs`).
//!
//! Adding a provider: one module implementing [`VideoProvider`], and one line in
//! [`registry::ADAPTERS`] that builds it from the settings. `docs/providers/` describes each
//! provider's contract as the adapter relies on it.

pub mod callback;
mod error;
pub mod fal;
pub(crate) mod http;
mod lifecycle;
pub mod luma;
mod metered;
pub mod openai;
pub mod openrouter;
pub mod registry;
pub mod replicate;
mod request;
pub mod runway;
pub mod veo;

use async_trait::async_trait;

pub use error::ProviderError;
pub use lifecycle::{FailureClass, Lifecycle, Output, ProviderJob};
pub use registry::{HttpAdapter, Provider, ProviderLimits, Providers};
pub use request::{Frame, VideoRequest};

/// The video id a worker reads at start-up to check a provider's key: no provider has such a
/// video, so a key that works gets a 404 and a refused one a 401/403.
pub const KEY_CHECK_ID: &str = "sora-relay-key-check";

/// What a provider can do, as the worker plans around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Its running videos carry a progress figure.
    pub reports_progress: bool,
    /// A running video can be cancelled.
    pub can_cancel: bool,
    /// It can call us back when a video changes.
    pub accepts_callbacks: bool,
    /// How a submission whose answer was lost (a crash, a timeout) is found again.
    pub lost_submission: LostSubmission,
}

/// How a lost submission's outcome is recovered without making a second video.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LostSubmission {
    /// Submitting again with the same idempotency key returns the first video.
    IdempotencyKey,
    /// The provider's list of recent videos is searched for the job's prompt
    /// ([`VideoProvider::find`]).
    ListByPrompt,
    /// Nothing can tell: `SUBMISSION_UNKNOWN_POLICY` decides.
    Unrecoverable,
}

#[async_trait]
pub trait VideoProvider: Send + Sync + 'static {
    /// What this provider can do.
    fn capabilities(&self) -> Capabilities;
    /// Starts a video.
    async fn create(&self, request: &VideoRequest<'_>) -> Result<ProviderJob, ProviderError>;
    /// Reads a video's current state.
    async fn retrieve(&self, id: &str) -> Result<ProviderJob, ProviderError>;
    /// The newest video with exactly this prompt created at or after `created_since` (unix
    /// seconds), to adopt a submission whose answer was lost. `Ok(None)` only when the provider
    /// certainly has none; an error when it cannot tell. Providers that cannot list say
    /// [`ProviderError::CannotTell`] (the default).
    async fn find(
        &self,
        _prompt: &str,
        _created_since: i64,
    ) -> Result<Option<ProviderJob>, ProviderError> {
        Err(ProviderError::CannotTell {
            message: "this provider cannot list its videos".into(),
        })
    }
    /// Asks the provider to stop making a video. Providers that cannot say
    /// [`ProviderError::Rejected`] (the default); [`Capabilities::can_cancel`] tells beforehand.
    async fn cancel(&self, _id: &str) -> Result<(), ProviderError> {
        Err(ProviderError::Rejected {
            status: 405,
            message: "this provider cannot cancel a video".into(),
        })
    }
    /// Starts downloading one output of a finished video (`Output::url`), from byte `range`
    /// (an HTTP `Range` value) when given: the 2xx answer to stream, or the error it says. The
    /// key is sent only to the provider's own API. Providers without downloads say
    /// [`ProviderError::Rejected`] (the default).
    async fn download(
        &self,
        _url: &str,
        _range: Option<&str>,
    ) -> Result<reqwest::Response, ProviderError> {
        Err(ProviderError::Rejected {
            status: 405,
            message: "this provider's videos cannot be downloaded".into(),
        })
    }
    /// Whether a video the provider calls finished can in fact be downloaded: `Ok` when its
    /// content answers. Gateways report some failed videos as completed (LiteLLM does for a
    /// failed Veo job, whose content then answers 500), so a completion is announced only once
    /// this holds. The default trusts the provider's word.
    async fn check_content(&self, _job: &ProviderJob) -> Result<(), ProviderError> {
        Ok(())
    }
}
