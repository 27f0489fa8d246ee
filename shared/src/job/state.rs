//! A job's poll state: everything a poll reads of a job, in one hash field.

use super::{JobStatus, ProviderRef};

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

/// Everything a poll reads of a job, stored in the one field `state`, so that a claim reads one
/// field per job and a commit writes one: every hash field a script reads or writes costs Redis a
/// lookup in the hash and a conversion to and from Lua, and these were most of a poll cycle's cost
/// (W1 in BENCHMARKS.md). The API reads the status, progress, provider id and creation time from
/// it too, so each lives in one place.
///
/// Stored form: `<status> <progress> <created ms> <interval ms | -> <since | -> <own webhook 0|1>
/// [@<failing since ms>][!] <video at its provider>`, where `!` marks a cancellation requested
/// (written by `force_poll.lua` or, while a worker holds the job, by its commit), the video last (empty before the submission) so
/// that its id may hold any character (see [`ProviderRef`]). The failure streak rides on the webhook flag's token (`1@1764…`), so states
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
    /// The job's video at its provider, once submitted.
    pub provider_job: Option<ProviderRef>,
    /// A client asked to cancel the job: its next poll cancels it.
    pub cancel_requested: bool,
    /// `Some` while the progress is the relay's estimate (the provider reports none): see
    /// [`Estimate`]. `None`: the progress is the provider's own.
    pub estimate: Option<Estimate>,
}

/// A progress the relay estimates, for providers that report none: the share of the run time
/// that jobs of the same provider and model took lately (`expected_ms`, from job creation to
/// completion), as known when the job was submitted; `None` before any such job completed.
///
/// Stored on the progress token (`42~90000`, or `0~` without an expectation), so a state with a
/// provider's own progress is stored as it always was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    pub expected_ms: Option<u64>,
}

impl PollState {
    pub fn encode(&self) -> String {
        let dash = || "-".to_owned();
        let progress = match self.estimate {
            None => self.progress.to_string(),
            Some(Estimate { expected_ms }) => format!(
                "{}~{}",
                self.progress,
                expected_ms.map(|e| e.to_string()).unwrap_or_default()
            ),
        };
        format!(
            "{} {} {} {} {} {} {}",
            self.status,
            progress,
            self.created_ms,
            self.interval_ms.map_or_else(dash, |i| i.to_string()),
            self.since.map_or_else(dash, Sample::to_field),
            self.flag_token(),
            self.provider_job
                .as_ref()
                .map(ProviderRef::encode)
                .unwrap_or_default()
        )
    }

    /// `<own webhook 0|1>[@<failing since ms>][!]`.
    fn flag_token(&self) -> String {
        use std::fmt::Write;
        let mut token = String::with_capacity(16);
        token.push(if self.own_webhook { '1' } else { '0' });
        if let Some(ms) = self.failing_since {
            let _ = write!(token, "@{ms}");
        }
        if self.cancel_requested {
            token.push('!');
        }
        token
    }

    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(7, ' ');
        let mut next = || parts.next();
        let status = next()?.parse().ok()?;
        let token = next()?;
        let (progress, estimate) = match token.split_once('~') {
            None => (token.parse().ok()?, None),
            Some((progress, "")) => (progress.parse().ok()?, Some(Estimate { expected_ms: None })),
            Some((progress, expected)) => (
                progress.parse().ok()?,
                Some(Estimate {
                    expected_ms: Some(expected.parse().ok()?),
                }),
            ),
        };
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
        let (flag, cancel_requested) = match flag.strip_suffix('!') {
            Some(flag) => (flag, true),
            None => (flag, false),
        };
        let (own_webhook, failing_since) = match flag.split_once('@') {
            Some((flag, ms)) => (flag == "1", Some(ms.parse().ok()?)),
            None => (flag == "1", None),
        };
        let provider_job = ProviderRef::decode(next()?);
        Some(Self {
            status,
            progress,
            created_ms,
            interval_ms,
            since,
            own_webhook,
            failing_since,
            provider_job,
            cancel_requested,
            estimate,
        })
    }

    /// The state of a job stored before `state` existed, from its [`crate::store::layout::field::legacy::POLL_FIELDS`]
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
            provider_job: value(2).and_then(ProviderRef::decode),
            created_ms: value(3).and_then(|c| c.parse().ok()).unwrap_or(0),
            interval_ms: value(4).and_then(|i| i.parse().ok()),
            own_webhook: value(5).is_some(),
            failing_since: None,
            cancel_requested: false,
            since: value(6).and_then(Sample::parse),
            estimate: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::registry;

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
            provider_job: Some(ProviderRef::new("openai", "video 1 - odd:id")),
            cancel_requested: false,
            estimate: None,
        };
        assert_eq!(PollState::decode(&state.encode()), Some(state.clone()));
        for expected_ms in [None, Some(90_000)] {
            let estimated = PollState {
                estimate: Some(Estimate { expected_ms }),
                ..state.clone()
            };
            assert_eq!(PollState::decode(&estimated.encode()), Some(estimated));
        }
        let failing = PollState {
            failing_since: Some(1_733_130_002_000),
            ..state
        };
        assert!(failing
            .encode()
            .ends_with(" 1@1733130002000 video 1 - odd:id"));
        assert_eq!(PollState::decode(&failing.encode()), Some(failing.clone()));
        // As force_poll.lua marks a cancellation: after the flag and its failure streak.
        let cancelling = PollState {
            cancel_requested: true,
            ..failing
        };
        assert!(cancelling
            .encode()
            .ends_with(" 1@1733130002000! video 1 - odd:id"));
        assert_eq!(PollState::decode(&cancelling.encode()), Some(cancelling));
        let fresh_cancel = PollState::decode("queued 0 1733130000000 - - 0! ").unwrap();
        assert!(fresh_cancel.cancel_requested && !fresh_cancel.own_webhook);
        // As create_job.lua writes it: nothing polled yet, no provider id.
        let fresh = PollState::decode("queued 0 1733130000000 - - 0 ").unwrap();
        assert_eq!(
            (
                fresh.status,
                fresh.interval_ms,
                fresh.since,
                fresh.provider_job.clone()
            ),
            (JobStatus::Queued, None, None, None)
        );
        assert_eq!(fresh.encode(), "queued 0 1733130000000 - - 0 ");
        for garbage in ["", "queued", "done 0 1 - - 0 ", "queued x 1 - - 0 "] {
            assert_eq!(PollState::decode(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn openai_videos_are_stored_bare_as_before_and_others_with_their_provider() {
        let text = "processing 40 1733130000000 5000 - 0 video_69160896";
        let state = PollState::decode(text).unwrap();
        assert_eq!(
            state.provider_job,
            Some(ProviderRef::new("openai", "video_69160896"))
        );
        assert_eq!(
            state.encode(),
            text,
            "what a worker before #16 wrote and reads"
        );
        for (name, _) in registry::ADAPTERS {
            let video = ProviderRef::new(name, "a:b c");
            assert_eq!(ProviderRef::decode(&video.encode()), Some(video));
        }
        for text in ["task:123", "Upper:x", "odd id:with colon", "openai:"] {
            assert_eq!(
                ProviderRef::decode(text),
                Some(ProviderRef::new("openai", text)),
                "{text}"
            );
        }
        assert_eq!(ProviderRef::decode(""), None);
    }
}
