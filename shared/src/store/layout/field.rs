//! Hash field names of a stored job. Short, because every live job carries them.

pub const WALLET: &str = "wallet";
pub const PROMPT: &str = "prompt";
pub const RENDER: &str = "render";
/// The provider that makes the job's video. Absent means `openai`: in jobs stored before jobs named
/// their provider, and in every `openai` job since (one field less per job, W5).
pub const PROVIDER: &str = "provider";
pub const MODEL: &str = "model";
pub const SECONDS: &str = "seconds";
pub const SIZE: &str = "size";
pub const METADATA: &str = "meta";
/// Compact JSON of the client's `options`, passed through to the provider's input.
pub const OPTIONS: &str = "options";
/// What every poll reads and most polls change, in one field: a [`crate::job::PollState`].
pub const STATE: &str = "state";
pub const VIDEO_URL: &str = "video_url";
pub const EXPIRES_AT: &str = "expires_at";
pub const ERROR: &str = "error";
pub const UPDATED: &str = "updated";
/// The job's kept outputs (`CONTENT_STORE`): a JSON list of [`crate::content::Kept`], written
/// with its completion.
pub const CONTENT: &str = "content";
/// Redis time (ms) at which the job's kept outputs were deleted (retention or
/// `DELETE /api/videos/{jobId}/content`).
pub const CONTENT_DELETED: &str = "content_deleted";
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
/// The route a routed job was given (`ROUTES`); absent for every other job.
pub const ROUTE: &str = "route";
/// The targets a routed job left, a JSON list of [`crate::job::Attempt`]; written when it moves.
pub const ATTEMPTS: &str = "attempts";
/// The job's log of polls that found nothing new (`crate::job::PollLog`), kept by
/// `commit_polls.lua`.
pub const POLLS: &str = "polls";

/// Fields of jobs stored before [`STATE`] existed, which held its parts one per field. Such
/// jobs are read through them until their first commit writes `state`; nothing writes them.
pub mod legacy {
    pub const STATUS: &str = "status";
    pub const PROGRESS: &str = "progress";
    pub const SORA_ID: &str = "sora_id";
    pub const CREATED: &str = "created";
    pub const INTERVAL: &str = "interval";
    pub const PROGRESS_SINCE: &str = "since";
    /// What a poll read of such a job, in [`crate::job::PollState::from_legacy`]'s order.
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

/// The fields the API reads of a job: its view, owner and webhook URL — never the prompt, which
/// may be 10,000 characters.
pub const API_FIELDS: &[&str] = &[
    STATE,
    VIDEO_URL,
    EXPIRES_AT,
    ERROR,
    WALLET,
    RENDER,
    MODEL,
    SECONDS,
    SIZE,
    METADATA,
    UPDATED,
    TENANT,
    WEBHOOK_URL,
    SUBMISSION_UNKNOWN,
    PROVIDER,
    CONTENT,
    CONTENT_DELETED,
    ROUTE,
    ATTEMPTS,
];
