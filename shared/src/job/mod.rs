//! The job: its statuses, its stored form (a Redis hash) and the view clients read.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::store::layout::field;
use crate::time::iso8601_from_ms;

mod attempts;
pub mod poll_log;
mod provider_ref;
mod state;
mod stats;
mod view;
pub use attempts::Attempt;
pub use poll_log::PollLog;
pub use provider_ref::ProviderRef;
pub use state::{Estimate, PollState, Sample};
pub use stats::Stats;
pub use view::{JobView, ProgressSource};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Processing,
    Completed,
    Failed,
    Timeout,
    /// Cancelled on request (`POST /api/videos/{jobId}/cancel`).
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Queued,
        JobStatus::Processing,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Timeout,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Timeout => "timeout",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Timeout | JobStatus::Cancelled
        )
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown job status {s:?}"))
    }
}

/// What a client asks for; validated by the API before it is stored.
#[derive(Clone, Debug, PartialEq)]
pub struct NewJob {
    pub wallet_address: String,
    pub script: String,
    pub render_version: String,
    /// The provider that makes the video (`openai`).
    pub provider: String,
    pub model: String,
    pub seconds: Option<String>,
    pub size: Option<String>,
    /// Compact JSON of a small object, kept with the job and shown back in its view.
    pub metadata: Option<String>,
    /// The client's own webhook URL, instead of `WEBHOOK_URL`.
    pub webhook_url: Option<String>,
    /// Compact JSON of an object passed through to the provider's input.
    pub options: Option<String>,
    /// The provider reports no progress: the relay estimates it (see [`Estimate`]).
    pub estimated_progress: bool,
    /// The route the job's `model` named (or `DEFAULT_ROUTE`): `provider` and `model` are then
    /// its first target's.
    pub route: Option<String>,
}

impl NewJob {
    /// A job with just a wallet and a prompt, every option at its default (Sora v3, `openai`,
    /// `sora-2`).
    pub fn new(wallet_address: &str, script: &str) -> Self {
        Self {
            wallet_address: wallet_address.into(),
            script: script.into(),
            render_version: "v3".into(),
            provider: crate::provider::registry::DEFAULT.into(),
            model: "sora-2".into(),
            seconds: None,
            size: None,
            metadata: None,
            webhook_url: None,
            options: None,
            estimated_progress: false,
            route: None,
        }
    }

    /// Field/value pairs for the job hash (status, times and counters are set by the script).
    pub fn to_fields(&self) -> Vec<(&'static str, &str)> {
        let mut fields = vec![
            (field::WALLET, self.wallet_address.as_str()),
            (field::PROMPT, self.script.as_str()),
            (field::RENDER, self.render_version.as_str()),
            (field::MODEL, self.model.as_str()),
        ];
        // A job without the field belongs to `openai`, as every job did before jobs named their
        // provider; leaving it out keeps such a job's hash as small as it was (W5).
        if self.provider != crate::provider::registry::DEFAULT {
            fields.push((field::PROVIDER, &self.provider));
        }
        if let Some(seconds) = &self.seconds {
            fields.push((field::SECONDS, seconds));
        }
        if let Some(size) = &self.size {
            fields.push((field::SIZE, size));
        }
        if let Some(meta) = &self.metadata {
            fields.push((field::METADATA, meta));
        }
        if let Some(url) = &self.webhook_url {
            fields.push((field::WEBHOOK_URL, url));
        }
        if let Some(options) = &self.options {
            fields.push((field::OPTIONS, options));
        }
        if let Some(route) = &self.route {
            fields.push((field::ROUTE, route));
        }
        fields
    }
}

/// A stored job as read back from its hash.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: String,
    pub fields: HashMap<String, String>,
}

impl Job {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| v.parse().ok())
    }

    /// The job's poll state: its `state` field, or for a job stored before that field existed,
    /// the fields that held its parts.
    pub fn state(&self) -> Option<PollState> {
        match self.get(field::STATE) {
            Some(state) => PollState::decode(state),
            None => PollState::from_legacy(
                &field::legacy::API_FIELDS
                    .iter()
                    .map(|name| self.get(name).map(str::to_owned))
                    .collect::<Vec<_>>(),
            ),
        }
    }

    pub fn status(&self) -> JobStatus {
        self.state().map_or(JobStatus::Queued, |s| s.status)
    }

    pub fn progress(&self) -> u8 {
        self.state().map_or(0, |s| s.progress.min(100))
    }

    /// Nobody can tell whether the provider created a video for this live job.
    pub fn is_submission_unknown(&self) -> bool {
        self.get(field::SUBMISSION_UNKNOWN).is_some() && !self.status().is_terminal()
    }

    /// The outputs kept at its completion (`CONTENT_STORE`), even once deleted.
    pub fn kept(&self) -> Option<Vec<crate::content::Kept>> {
        self.get(field::CONTENT)
            .and_then(crate::content::Kept::decode_all)
    }

    /// Whether its kept outputs were deleted (retention, or on request).
    pub fn content_deleted(&self) -> bool {
        self.get(field::CONTENT_DELETED).is_some()
    }

    /// The status view. `videoUrl` is the provider's URL as stored: the API replaces it with the
    /// kept copy's link.
    pub fn view(&self) -> JobView {
        let state = self.state();
        let state = state.as_ref();
        let first_kept = self.kept().and_then(|kept| kept.into_iter().next());
        JobView {
            job_id: self.id.clone(),
            provider_job_id: state.and_then(|s| s.provider_job.as_ref().map(|p| p.id.clone())),
            status: state.map_or(JobStatus::Queued, |s| s.status),
            progress: state.map_or(0, |s| s.progress.min(100)),
            video_url: self.get(field::VIDEO_URL).map(str::to_owned),
            content_expires_at: self.int(field::EXPIRES_AT),
            error: self.get(field::ERROR).map(str::to_owned),
            wallet_address: self.get(field::WALLET).unwrap_or_default().to_owned(),
            render_version: self.get(field::RENDER).unwrap_or("v3").to_owned(),
            model: self.get(field::MODEL).unwrap_or_default().to_owned(),
            seconds: self.get(field::SECONDS).map(str::to_owned),
            size: self.get(field::SIZE).map(str::to_owned),
            metadata: self
                .get(field::METADATA)
                .and_then(|m| serde_json::from_str(m).ok()),
            created_at: state
                .filter(|s| s.created_ms > 0)
                .map(|s| iso8601_from_ms(s.created_ms)),
            updated_at: self.int(field::UPDATED).map(iso8601_from_ms),
            submission: self.is_submission_unknown().then(|| "unknown".to_owned()),
            provider: self
                .get(field::PROVIDER)
                .unwrap_or(crate::provider::registry::DEFAULT)
                .to_owned(),
            progress_source: ProgressSource::of(state),
            content_sha256: first_kept.as_ref().map(|k| k.sha256.clone()),
            content_bytes: first_kept.as_ref().map(|k| k.bytes),
            content_type: first_kept.map(|k| k.content_type),
            route: self.get(field::ROUTE).map(str::to_owned),
            attempts: self.attempts_with_current(state),
        }
    }

    /// The targets the job left, then the one it is at now (its status as the outcome).
    fn attempts_with_current(&self, state: Option<&PollState>) -> Vec<Attempt> {
        let mut attempts = self
            .get(field::ATTEMPTS)
            .map(Attempt::decode_all)
            .unwrap_or_default();
        attempts.push(Attempt {
            provider: self
                .get(field::PROVIDER)
                .unwrap_or(crate::provider::registry::DEFAULT)
                .to_owned(),
            model: self.get(field::MODEL).unwrap_or_default().to_owned(),
            provider_job_id: state.and_then(|s| s.provider_job.as_ref().map(|p| p.id.clone())),
            outcome: state
                .map_or(JobStatus::Queued, |s| s.status)
                .as_str()
                .to_owned(),
            error: None,
        });
        attempts
    }
}

#[cfg(test)]
mod tests;
