//! The job: its statuses, its stored form (a Redis hash) and the view clients read.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::time::iso8601_from_ms;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Processing,
    Completed,
    Failed,
    Timeout,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Queued,
        JobStatus::Processing,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Timeout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Timeout => "timeout",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Timeout
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

/// Hash field names of a stored job. Short, because every live job carries them.
pub mod field {
    pub const WALLET: &str = "wallet";
    pub const PROMPT: &str = "prompt";
    pub const RENDER: &str = "render";
    pub const MODEL: &str = "model";
    pub const SECONDS: &str = "seconds";
    pub const SIZE: &str = "size";
    pub const METADATA: &str = "meta";
    pub const STATUS: &str = "status";
    pub const PROGRESS: &str = "progress";
    pub const SORA_ID: &str = "sora_id";
    pub const VIDEO_URL: &str = "video_url";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const ERROR: &str = "error";
    pub const CREATED: &str = "created";
    pub const UPDATED: &str = "updated";
    /// Current wait between polls, in ms (the adaptive backoff's state).
    pub const INTERVAL: &str = "interval";
    /// `<ms>:<progress>` at the first `in_progress` poll: the progress rate is measured from here.
    pub const PROGRESS_SINCE: &str = "since";
    /// Redis time (ms) at which a provider submission was last attempted and its outcome is not
    /// known; empty once the provider id is stored or the attempt certainly created nothing.
    pub const SUBMIT_AT: &str = "submit_at";
    /// The tenant that submitted the job (absent in open mode and for the administrator).
    pub const TENANT: &str = "tenant";
    /// The job's own webhook URL (vetted at submission), when it has one.
    pub const WEBHOOK_URL: &str = "webhook_url";
}

/// The fields the API reads of a job: its view, owner and webhook URL — never the prompt, which
/// may be 10,000 characters.
pub const API_FIELDS: &[&str] = &[
    field::STATUS,
    field::SORA_ID,
    field::PROGRESS,
    field::VIDEO_URL,
    field::EXPIRES_AT,
    field::ERROR,
    field::WALLET,
    field::RENDER,
    field::MODEL,
    field::SECONDS,
    field::SIZE,
    field::METADATA,
    field::CREATED,
    field::UPDATED,
    field::TENANT,
    field::WEBHOOK_URL,
];

/// What a client asks for; validated by the API before it is stored.
#[derive(Clone, Debug, PartialEq)]
pub struct NewJob {
    pub wallet_address: String,
    pub script: String,
    pub render_version: String,
    pub model: String,
    pub seconds: Option<String>,
    pub size: Option<String>,
    /// Compact JSON of a small object, kept with the job and shown back in its view.
    pub metadata: Option<String>,
    /// The client's own webhook URL, instead of `WEBHOOK_URL`.
    pub webhook_url: Option<String>,
}

impl NewJob {
    /// A job with just a wallet and a prompt, every option at its default (Sora v3, `sora-2`).
    pub fn new(wallet_address: &str, script: &str) -> Self {
        Self {
            wallet_address: wallet_address.into(),
            script: script.into(),
            render_version: "v3".into(),
            model: "sora-2".into(),
            seconds: None,
            size: None,
            metadata: None,
            webhook_url: None,
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

    pub fn status(&self) -> JobStatus {
        self.get(field::STATUS)
            .and_then(|s| s.parse().ok())
            .unwrap_or(JobStatus::Queued)
    }

    pub fn view(&self) -> JobView {
        JobView {
            job_id: self.id.clone(),
            sora_job_id: self.get(field::SORA_ID).map(str::to_owned),
            status: self.status(),
            progress: self.int(field::PROGRESS).unwrap_or(0).clamp(0, 100) as u8,
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
            created_at: self.int(field::CREATED).map(iso8601_from_ms),
            updated_at: self.int(field::UPDATED).map(iso8601_from_ms),
        }
    }
}

/// What `GET /api/videos/status/{jobId}` returns. Every key is always present (null when empty).
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub job_id: String,
    pub sora_job_id: Option<String>,
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
}

/// Counts of jobs by status, summed over partitions.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Stats {
    pub total_jobs: i64,
    pub queued_jobs: i64,
    pub processing_jobs: i64,
    pub completed_jobs: i64,
    pub failed_jobs: i64,
    pub timeout_jobs: i64,
    /// Webhook events given up after every retry.
    pub webhook_dead_letters: i64,
}

impl Stats {
    pub fn add(&mut self, counter: &str, n: i64) {
        match counter {
            "total" => self.total_jobs += n,
            "queued" => self.queued_jobs += n,
            "processing" => self.processing_jobs += n,
            "completed" => self.completed_jobs += n,
            "failed" => self.failed_jobs += n,
            "timeout" => self.timeout_jobs += n,
            "dead_letters" => self.webhook_dead_letters += n,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_know_which_are_final() {
        for status in JobStatus::ALL {
            assert_eq!(status.as_str().parse::<JobStatus>().unwrap(), status);
        }
        assert!(!JobStatus::Queued.is_terminal());
        assert!(!JobStatus::Processing.is_terminal());
        assert!(JobStatus::Timeout.is_terminal());
        assert!("generating".parse::<JobStatus>().is_err());
    }

    #[test]
    fn the_view_shows_every_key_even_when_empty() {
        let job = Job {
            id: "j".into(),
            fields: HashMap::from([
                ("status".into(), "queued".into()),
                ("wallet".into(), "w".into()),
            ]),
        };
        let view = serde_json::to_value(job.view()).unwrap();
        for key in [
            "jobId",
            "soraJobId",
            "status",
            "progress",
            "videoUrl",
            "contentExpiresAt",
            "error",
            "walletAddress",
            "renderVersion",
            "model",
            "seconds",
            "size",
            "createdAt",
            "updatedAt",
        ] {
            assert!(view.get(key).is_some(), "missing {key}");
        }
    }
}
