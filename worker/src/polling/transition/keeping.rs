//! A finished video that could not be kept yet (`CONTENT_STORE`): the job stays where it was
//! and the copy is tried again — with backoff, but always before the provider's copy expires
//! (half the time left, at least a second apart) — until the provider no longer has the video or
//! the copies have failed for `PROVIDER_FAILURE_MAX_SECS`. Then the job fails, saying why.

use std::time::Duration;

use super::{JobState, JobStatus, Next, Policy};

/// What the job's error starts with when its video could not be kept.
pub const NOT_KEPT: &str = "content_not_kept";

pub(super) fn not_kept(
    job: &JobState,
    message: &str,
    expires_at: Option<i64>,
    policy: Policy,
    now_ms: i64,
) -> Next {
    let failing_since = job.failing_since.unwrap_or(now_ms);
    let failing_for = Duration::from_millis(now_ms.saturating_sub(failing_since).max(0) as u64);
    let left_ms = expires_at.map(|at| at.saturating_mul(1000).saturating_sub(now_ms));
    let gone = left_ms.is_some_and(|left| left <= 0);
    if gone || failing_for >= policy.failure_limit {
        let why = if gone {
            "the provider's copy expired first".to_owned()
        } else {
            format!(
                "copies failed for {} s (PROVIDER_FAILURE_MAX_SECS)",
                failing_for.as_secs()
            )
        };
        return Next {
            state: JobState {
                status: JobStatus::Failed,
                failing_since: None,
                ..job.clone()
            },
            video_url: None,
            content_expires_at: None,
            kept: None,
            error: Some(format!(
                "{NOT_KEPT}: the video could not be kept ({why}); the last error: {message}"
            )),
            next_poll: None,
            changed: true,
        };
    }
    let interval = policy.backoff.grow(job.interval);
    let before_expiry = left_ms.map_or(interval, |left| {
        Duration::from_millis(left as u64 / 2).max(Duration::from_secs(1))
    });
    Next {
        state: JobState {
            interval,
            failing_since: Some(failing_since),
            ..job.clone()
        },
        video_url: None,
        content_expires_at: None,
        kept: None,
        error: None,
        next_poll: Some(interval.min(before_expiry)),
        changed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Backoff;
    use super::*;

    const POLICY: Policy = Policy {
        backoff: Backoff {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(60),
        },
        failure_limit: Duration::from_secs(1800),
    };

    fn processing(interval_secs: u64, failing_since: Option<i64>) -> JobState {
        JobState {
            status: JobStatus::Processing,
            progress: 90,
            provider_job: None,
            interval: Duration::from_secs(interval_secs),
            since: None,
            failing_since,
            created_ms: 0,
            estimate: None,
            stretch: 1,
        }
    }

    #[test]
    fn a_failed_copy_is_retried_with_backoff_before_the_provider_copy_expires() {
        let now = 1_000_000;
        // Far from expiry: the backoff grows.
        let next = not_kept(&processing(10, None), "503", Some(10_000), POLICY, now);
        assert_eq!(next.state.status, JobStatus::Processing);
        assert_eq!(next.next_poll, Some(Duration::from_secs(20)));
        assert_eq!(next.state.failing_since, Some(now));
        assert!(!next.changed);
        // 10 s before expiry: the next try comes within half of it.
        let next = not_kept(&processing(40, Some(0)), "503", Some(1_010), POLICY, now);
        assert_eq!(next.next_poll, Some(Duration::from_secs(5)));
    }

    #[test]
    fn the_job_fails_with_its_class_once_the_provider_copy_expired_or_the_streak_is_too_long() {
        let now = 1_000_000;
        let expired = not_kept(&processing(5, Some(now)), "503", Some(999), POLICY, now);
        assert_eq!(expired.state.status, JobStatus::Failed);
        assert_eq!(expired.next_poll, None);
        let error = expired.error.unwrap();
        assert!(error.starts_with("content_not_kept: "), "{error}");
        assert!(
            error.contains("expired first") && error.ends_with("503"),
            "{error}"
        );
        let streak = not_kept(
            &processing(5, Some(0)),
            "disk full",
            None,
            POLICY,
            1_800_000,
        );
        assert_eq!(streak.state.status, JobStatus::Failed);
        assert!(streak.error.unwrap().contains("PROVIDER_FAILURE_MAX_SECS"));
    }
}
