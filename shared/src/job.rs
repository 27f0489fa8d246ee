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
    /// What every poll reads and most polls change, in one field: a [`super::PollState`].
    pub const STATE: &str = "state";
    pub const VIDEO_URL: &str = "video_url";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const ERROR: &str = "error";
    pub const UPDATED: &str = "updated";
    /// Redis time (ms) at which a provider submission was last attempted and its outcome is not
    /// known; empty once the provider id is stored or the attempt certainly created nothing.
    pub const SUBMIT_AT: &str = "submit_at";
    /// Redis time (ms) since which nobody can tell whether the provider created a video for the
    /// job (its list failed or does not advance); absent otherwise (`SUBMISSION_UNKNOWN_*`).
    pub const SUBMISSION_UNKNOWN: &str = "submission_unknown";
    /// An operator's decision on an unknown submission, for the job's next poll to carry out:
    /// `adopt <provider id>` or `resubmit`.
    pub const SETTLE: &str = "settle";
    /// The tenant that submitted the job (absent in open mode and for the administrator).
    pub const TENANT: &str = "tenant";
    /// The job's own webhook URL (vetted at submission), when it has one.
    pub const WEBHOOK_URL: &str = "webhook_url";

    /// Fields of jobs stored before [`STATE`] existed, which held its parts one per field. Such
    /// jobs are read through them until their first commit writes `state`; nothing writes them.
    pub mod legacy {
        pub const STATUS: &str = "status";
        pub const PROGRESS: &str = "progress";
        pub const SORA_ID: &str = "sora_id";
        pub const CREATED: &str = "created";
        pub const INTERVAL: &str = "interval";
        pub const PROGRESS_SINCE: &str = "since";
        /// What a poll read of such a job, in [`super::super::PollState::from_legacy`]'s order.
        pub const POLL_FIELDS: &[&str] = &[
            STATUS,
            PROGRESS,
            SORA_ID,
            CREATED,
            INTERVAL,
            super::WEBHOOK_URL,
            PROGRESS_SINCE,
        ];
        /// What the API read of such a job (a prefix of [`POLL_FIELDS`]).
        pub const API_FIELDS: &[&str] = &[STATUS, PROGRESS, SORA_ID, CREATED];
    }
}

/// Progress seen at a moment (Redis time, ms): where a job's progress rate is measured from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    pub at_ms: i64,
    pub progress: u8,
}

impl Sample {
    /// Stored as `<ms>:<progress>`.
    pub fn parse(text: &str) -> Option<Self> {
        let (at, progress) = text.split_once(':')?;
        Some(Self {
            at_ms: at.parse().ok()?,
            progress: progress.parse().ok()?,
        })
    }

    pub fn to_field(self) -> String {
        format!("{}:{}", self.at_ms, self.progress)
    }
}

/// Whether `size` is a video size as providers take it: `WIDTHxHEIGHT` in pixels (`1280x720`).
pub fn is_video_size(size: &str) -> bool {
    let dimension = |d: &str| (2..=5).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit());
    size.split_once('x')
        .is_some_and(|(w, h)| dimension(w) && dimension(h))
}

/// Everything a poll reads of a job, stored in the one field `state`, so that a claim reads one
/// field per job and a commit writes one: every hash field a script reads or writes costs Redis a
/// lookup in the hash and a conversion to and from Lua, and these were most of a poll cycle's cost
/// (W1 in BENCHMARKS.md). The API reads the status, progress, provider id and creation time from
/// it too, so each lives in one place.
///
/// Stored form: `<status> <progress> <created ms> <interval ms | -> <since | -> <own webhook 0|1>
/// [@<failing since ms>] <provider id>`, the provider id last (possibly empty) so that it may hold
/// any character. The failure streak rides on the webhook flag's token (`1@1764…`), so states
/// written before it existed read as they are.
/// `create_job.lua` writes the first one; `force_poll.lua` reads the status (the first word).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollState {
    pub status: JobStatus,
    pub progress: u8,
    /// Redis time of the submission to the API.
    pub created_ms: i64,
    /// Current wait between polls (the adaptive backoff's state); `None` before the first poll.
    pub interval_ms: Option<u64>,
    /// The first `in_progress` observation (see [`Sample`]).
    pub since: Option<Sample>,
    /// The job has its own webhook URL.
    pub own_webhook: bool,
    /// Redis time of the first of the provider calls that have failed since the last answer
    /// (`PROVIDER_FAILURE_MAX_SECS` ends the job when the streak lasts that long).
    pub failing_since: Option<i64>,
    pub sora_id: Option<String>,
}

impl PollState {
    pub fn encode(&self) -> String {
        let dash = || "-".to_owned();
        format!(
            "{} {} {} {} {} {} {}",
            self.status,
            self.progress,
            self.created_ms,
            self.interval_ms.map_or_else(dash, |i| i.to_string()),
            self.since.map_or_else(dash, Sample::to_field),
            match self.failing_since {
                Some(ms) => format!("{}@{ms}", u8::from(self.own_webhook)),
                None => u8::from(self.own_webhook).to_string(),
            },
            self.sora_id.as_deref().unwrap_or("")
        )
    }

    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(7, ' ');
        let mut next = || parts.next();
        let status = next()?.parse().ok()?;
        let progress = next()?.parse().ok()?;
        let created_ms = next()?.parse().ok()?;
        let interval_ms = match next()? {
            "-" => None,
            ms => Some(ms.parse().ok()?),
        };
        let since = match next()? {
            "-" => None,
            sample => Some(Sample::parse(sample)?),
        };
        let flag = next()?;
        let (own_webhook, failing_since) = match flag.split_once('@') {
            Some((flag, ms)) => (flag == "1", Some(ms.parse().ok()?)),
            None => (flag == "1", None),
        };
        let sora_id = Some(next()?).filter(|id| !id.is_empty()).map(str::to_owned);
        Some(Self {
            status,
            progress,
            created_ms,
            interval_ms,
            since,
            own_webhook,
            failing_since,
            sora_id,
        })
    }

    /// The state of a job stored before `state` existed, from its [`field::legacy::POLL_FIELDS`]
    /// values (empty as absent). `None` when it has no status either: there is no such job.
    pub fn from_legacy(values: &[Option<String>]) -> Option<Self> {
        let value = |i: usize| {
            values
                .get(i)
                .and_then(Option::as_deref)
                .filter(|v| !v.is_empty())
        };
        Some(Self {
            status: value(0)?.parse().unwrap_or(JobStatus::Queued),
            progress: value(1).and_then(|p| p.parse().ok()).unwrap_or(0),
            sora_id: value(2).map(str::to_owned),
            created_ms: value(3).and_then(|c| c.parse().ok()).unwrap_or(0),
            interval_ms: value(4).and_then(|i| i.parse().ok()),
            own_webhook: value(5).is_some(),
            failing_since: None,
            since: value(6).and_then(Sample::parse),
        })
    }
}

/// The fields the API reads of a job: its view, owner and webhook URL — never the prompt, which
/// may be 10,000 characters.
pub const API_FIELDS: &[&str] = &[
    field::STATE,
    field::VIDEO_URL,
    field::EXPIRES_AT,
    field::ERROR,
    field::WALLET,
    field::RENDER,
    field::MODEL,
    field::SECONDS,
    field::SIZE,
    field::METADATA,
    field::UPDATED,
    field::TENANT,
    field::WEBHOOK_URL,
    field::SUBMISSION_UNKNOWN,
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

    pub fn view(&self) -> JobView {
        let state = self.state();
        let state = state.as_ref();
        JobView {
            job_id: self.id.clone(),
            sora_job_id: state.and_then(|s| s.sora_id.clone()),
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
    /// `"unknown"` while nobody can tell whether the provider created a video for the job (a lost
    /// answer the provider's list cannot settle: `POST /api/videos/{jobId}/submission` settles
    /// it); null otherwise. Added at the end of the body.
    pub submission: Option<String>,
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
    /// Jobs whose submission's outcome nobody can tell now (see the status view's `submission`).
    pub submissions_unknown: i64,
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
            "submissions_unknown" => self.submissions_unknown += n,
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
    fn a_poll_state_round_trips_and_its_provider_id_may_hold_anything() {
        let state = PollState {
            status: JobStatus::Processing,
            progress: 45,
            created_ms: 1_733_130_000_000,
            interval_ms: Some(2_500),
            since: Some(Sample {
                at_ms: 1_733_130_001_000,
                progress: 5,
            }),
            own_webhook: true,
            failing_since: None,
            sora_id: Some("video 1 - odd:id".into()),
        };
        assert_eq!(PollState::decode(&state.encode()), Some(state.clone()));
        let failing = PollState {
            failing_since: Some(1_733_130_002_000),
            ..state
        };
        assert!(failing.encode().contains(" 1@1733130002000 video 1"));
        assert_eq!(PollState::decode(&failing.encode()), Some(failing));
        // As create_job.lua writes it: nothing polled yet, no provider id.
        let fresh = PollState::decode("queued 0 1733130000000 - - 0 ").unwrap();
        assert_eq!(
            (
                fresh.status,
                fresh.interval_ms,
                fresh.since,
                fresh.sora_id.as_deref()
            ),
            (JobStatus::Queued, None, None, None)
        );
        assert_eq!(fresh.encode(), "queued 0 1733130000000 - - 0 ");
        for garbage in ["", "queued", "done 0 1 - - 0 ", "queued x 1 - - 0 "] {
            assert_eq!(PollState::decode(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn a_job_stored_before_the_state_field_reads_as_before() {
        let job = Job {
            id: "j".into(),
            fields: HashMap::from([
                ("status".into(), "processing".into()),
                ("progress".into(), "40".into()),
                ("sora_id".into(), "video_1".into()),
                ("created".into(), "1706176800000".into()),
            ]),
        };
        let view = job.view();
        assert_eq!(
            (view.status, view.progress, view.sora_job_id.as_deref()),
            (JobStatus::Processing, 40, Some("video_1"))
        );
        assert_eq!(view.created_at.as_deref(), Some("2024-01-25T10:00:00.000Z"));
        let values: Vec<Option<String>> = ["completed", "100", "", "7", "900", "https://x", ""]
            .iter()
            .map(|v| Some(v.to_string()))
            .collect();
        let state = PollState::from_legacy(&values).unwrap();
        assert_eq!(
            (
                state.status,
                state.sora_id,
                state.interval_ms,
                state.own_webhook
            ),
            (JobStatus::Completed, None, Some(900), true)
        );
        assert_eq!(PollState::from_legacy(&[None, Some("5".into())]), None);
    }

    #[test]
    fn the_view_shows_every_key_even_when_empty() {
        let job = Job {
            id: "j".into(),
            fields: HashMap::from([
                ("state".into(), "queued 0 1733130000000 - - 0 ".into()),
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
