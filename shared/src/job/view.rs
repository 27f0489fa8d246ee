//! What clients read of a job: the status view, and where its progress comes from.

use serde::{Deserialize, Serialize};

use super::{JobStatus, PollState};

/// What `GET /api/videos/status/{jobId}` returns. Every key is always present (null when empty).
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub job_id: String,
    /// The provider's id for the job's video: `soraJobId` on the wire, as the original clients
    /// read it, whichever provider made the video.
    #[serde(rename = "soraJobId")]
    pub provider_job_id: Option<String>,
    pub status: JobStatus,
    pub progress: u8,
    pub video_url: Option<String>,
    pub content_expires_at: Option<i64>,
    pub error: Option<String>,
    pub wallet_address: String,
    pub render_version: String,
    pub model: String,
    pub seconds: Option<String>,
    pub size: Option<String>,
    pub metadata: Option<serde_json::Value>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// `"unknown"` while nobody can tell whether the provider created a video for the job (a lost
    /// answer the provider's list cannot settle: `POST /api/videos/{jobId}/submission` settles
    /// it); null otherwise. Added at the end of the body.
    pub submission: Option<String>,
    /// The provider that makes the job's video (`openai`, `replicate`, …); with `model`, which
    /// of its models. Added at the end of the body.
    pub provider: String,
    /// Whether `progress` is the provider's or the relay's estimate. Added at the end of the body.
    pub progress_source: ProgressSource,
    /// The kept video's SHA-256 (hex; also its `ETag`), size in bytes and type, once completed
    /// under custody (`CONTENT_STORE`); null otherwise. With several outputs, the first's (the
    /// others: `GET /api/videos/{jobId}/content?index=N`). Added at the end of the body.
    pub content_sha256: Option<String>,
    pub content_bytes: Option<u64>,
    pub content_type: Option<String>,
    /// The route the job was given (`ROUTES`), or null. Added at the end of the body.
    pub route: Option<String>,
    /// Every target the job has been at, the one it is at now last (its `outcome` the job's
    /// status): one entry unless it moved along its route. Added at the end of the body.
    pub attempts: Vec<super::Attempt>,
}

/// Where a job's progress comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProgressSource {
    /// The provider reports it.
    Provider,
    /// The provider reports none: the relay estimates it from the run times of the same
    /// provider and model's recent jobs (0 until one has completed).
    Estimated,
}

impl ProgressSource {
    pub fn of(state: Option<&PollState>) -> Self {
        match state.and_then(|s| s.estimate) {
            Some(_) => ProgressSource::Estimated,
            None => ProgressSource::Provider,
        }
    }
}
