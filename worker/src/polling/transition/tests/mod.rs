use relay_shared::provider::{FailureClass, Output};

use super::*;

mod estimates;

const BACKOFF: Policy = Policy {
    backoff: Backoff {
        initial: Duration::from_secs(5),
        max: Duration::from_secs(60),
    },
    failure_limit: Duration::from_secs(1800),
};

fn job(status: JobStatus, progress: u8, interval_secs: u64) -> JobState {
    JobState {
        status,
        progress,
        provider_job: Some(ProviderRef::new("openai", "video_1")),
        interval: Duration::from_secs(interval_secs),
        since: None,
        failing_since: None,
        created_ms: 0,
        estimate: None,
        stretch: 1,
    }
}

/// What a provider says, as an adapter translates it (the words are the OpenAI contract's).
fn video(status: &str, progress: u8) -> Answer {
    let lifecycle = match status {
        "queued" => Lifecycle::Queued,
        "in_progress" => Lifecycle::Running {
            progress: Some(progress),
        },
        "completed" => Lifecycle::Succeeded {
            outputs: vec![Output {
                url: "https://provider/videos/video_1/content".into(),
            }],
            expires_at: Some(99),
        },
        "failed" => Lifecycle::Failed {
            class: FailureClass::Provider,
            message: "blocked".into(),
        },
        "cancelled" => Lifecycle::Cancelled,
        "expired" => Lifecycle::Expired,
        other => panic!("no such lifecycle in these tests: {other}"),
    };
    Answer::new(ProviderRef::new("openai", "video_1"), lifecycle)
}

#[test]
fn provider_statuses_map_to_job_statuses() {
    let j = job(JobStatus::Queued, 0, 5);
    let cases = [
        ("queued", JobStatus::Queued),
        ("in_progress", JobStatus::Processing),
        ("completed", JobStatus::Completed),
        ("failed", JobStatus::Failed),
        ("expired", JobStatus::Failed),
        ("cancelled", JobStatus::Failed),
    ];
    for (provider, ours) in cases {
        assert_eq!(
            next(&j, Outcome::Video(video(provider, 10)), BACKOFF, 0)
                .state
                .status,
            ours
        );
    }
}

#[test]
fn nothing_changing_doubles_the_wait_up_to_the_maximum() {
    let mut j = job(JobStatus::Processing, 40, 5);
    let mut waits = vec![];
    for _ in 0..6 {
        let n = next(&j, Outcome::Video(video("in_progress", 40)), BACKOFF, 0);
        assert!(!n.changed);
        waits.push(n.next_poll.unwrap().as_secs());
        j = n.state;
    }
    assert_eq!(waits, [10, 20, 40, 60, 60, 60]);
}

#[test]
fn a_change_resets_the_wait_and_is_announced() {
    let j = job(JobStatus::Processing, 40, 60);
    let n = next(&j, Outcome::Video(video("in_progress", 55)), BACKOFF, 0);
    assert!(n.changed);
    assert_eq!(n.next_poll, Some(Duration::from_secs(5)));
    assert_eq!(n.state.progress, 55);
}

#[test]
fn a_running_job_is_next_polled_just_before_its_predicted_end() {
    let queued = job(JobStatus::Queued, 0, 5);
    let first = next(
        &queued,
        Outcome::Video(video("in_progress", 10)),
        BACKOFF,
        0,
    );
    assert_eq!(
        first.state.since,
        Some(Sample {
            at_ms: 0,
            progress: 10
        }),
        "the rate is measured from the first in_progress poll"
    );
    assert_eq!(first.next_poll, Some(BACKOFF.backoff.initial));
    let later = next(
        &first.state,
        Outcome::Video(video("in_progress", 60)),
        BACKOFF,
        50_000,
    );
    assert_eq!(later.state.since, first.state.since);
    assert_eq!(later.next_poll, Some(Duration::from_secs(36)));
    assert!(later.changed, "the progress is still announced");
}

#[test]
fn completion_is_final_with_content_details() {
    let n = next(
        &job(JobStatus::Processing, 90, 5),
        Outcome::Video(video("completed", 100)),
        BACKOFF,
        0,
    );
    assert_eq!(
        (n.state.status, n.state.progress, n.next_poll),
        (JobStatus::Completed, 100, None)
    );
    assert_eq!(
        n.video_url.as_deref(),
        Some("https://provider/videos/video_1/content")
    );
    assert_eq!(n.content_expires_at, Some(99));
}

#[test]
fn provider_failure_keeps_its_message() {
    let n = next(
        &job(JobStatus::Processing, 50, 5),
        Outcome::Video(video("failed", 0)),
        BACKOFF,
        0,
    );
    assert_eq!((n.state.status, n.state.progress), (JobStatus::Failed, 50));
    assert_eq!(n.error.as_deref(), Some("blocked"));
    assert_eq!(n.next_poll, None);
}

#[test]
fn provider_trouble_backs_off_without_changing_status() {
    let j = job(JobStatus::Processing, 30, 5);
    let limited = ProviderError::RateLimited {
        retry_after: Some(Duration::from_secs(30)),
        message: "slow".into(),
    };
    let n = next(&j, Outcome::RetrieveFailed(limited), BACKOFF, 0);
    assert_eq!((n.state.status, n.changed), (JobStatus::Processing, false));
    assert_eq!(n.next_poll, Some(Duration::from_secs(30)));
    let down = ProviderError::Unavailable {
        retry_after: None,
        message: "500".into(),
    };
    let n = next(&j, Outcome::CreateFailed(down), BACKOFF, 0);
    assert_eq!(
        (n.state.status, n.next_poll),
        (JobStatus::Processing, Some(Duration::from_secs(10)))
    );
    let quota = ProviderError::QuotaExhausted {
        message: "billing".into(),
    };
    assert!(!next(&j, Outcome::CreateFailed(quota), BACKOFF, 0).changed);
}

#[test]
fn a_rejected_create_fails_the_job_with_the_providers_message() {
    let j = JobState {
        provider_job: None,
        ..job(JobStatus::Queued, 0, 5)
    };
    let rejected = ProviderError::Rejected {
        status: 400,
        message: "Invalid value for 'size'".into(),
    };
    let n = next(&j, Outcome::CreateFailed(rejected), BACKOFF, 0);
    assert_eq!(n.state.status, JobStatus::Failed);
    assert_eq!(n.error.as_deref(), Some("Invalid value for 'size'"));
}

#[test]
fn a_deferred_poll_keeps_state_and_interval() {
    let j = job(JobStatus::Queued, 0, 40);
    let n = next(
        &j,
        Outcome::Deferred(Duration::from_millis(700)),
        BACKOFF,
        0,
    );
    assert_eq!((n.state.clone(), n.changed), (j, false));
    assert_eq!(n.next_poll, Some(Duration::from_millis(700)));
}

#[test]
fn an_expired_job_times_out() {
    let n = next(
        &job(JobStatus::Processing, 70, 5),
        Outcome::Expired {
            max_age: Duration::from_secs(86400),
        },
        BACKOFF,
        0,
    );
    assert_eq!(
        (n.state.status, n.state.progress, n.next_poll),
        (JobStatus::Timeout, 70, None)
    );
    assert!(n.changed);
}
