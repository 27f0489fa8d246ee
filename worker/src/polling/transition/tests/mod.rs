use relay_shared::provider::{FailureClass, Output};

use super::*;

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

/// A provider without progress, its model's jobs taking 100 s lately.
fn estimated(status: JobStatus, progress: u8) -> JobState {
    JobState {
        estimate: Some(Estimate {
            expected_ms: Some(100_000),
        }),
        ..job(status, progress, 5)
    }
}

fn running_without_progress() -> Answer {
    Answer::new(
        ProviderRef::new("fal", "a/b/requests/1"),
        Lifecycle::Running { progress: None },
    )
}

#[test]
fn without_the_providers_progress_the_share_of_the_expected_time_is_shown() {
    let next = next(
        &estimated(JobStatus::Queued, 0),
        Outcome::Video(running_without_progress()),
        BACKOFF,
        40_000,
    );
    assert_eq!(
        (next.state.status, next.state.progress),
        (JobStatus::Processing, 40)
    );
    assert!(next.state.estimate.is_some());
    // The backoff's next wait (5 s doubled) comes before the expected end (60 s left): it wins.
    assert_eq!(next.next_poll, Some(Duration::from_secs(10)));
    // Near the end, the poll lands just before it: 10 s left, 0.9 of it.
    let near = next_after(
        &JobState {
            interval: Duration::from_secs(40),
            ..estimated(JobStatus::Processing, 80)
        },
        90_000,
    );
    assert_eq!(near.next_poll, Some(Duration::from_secs(9)));
    // Past the expected time: 99 at most, and backoff from there on.
    let late = next_after(&estimated(JobStatus::Processing, 80), 250_000);
    assert_eq!(late.state.progress, 99);
    assert_eq!(late.next_poll, Some(BACKOFF.backoff.initial));
    // Never backwards.
    let behind = next_after(&estimated(JobStatus::Processing, 70), 10_000);
    assert_eq!(behind.state.progress, 70);
}

fn next_after(job: &JobState, now_ms: i64) -> Next {
    next(
        job,
        Outcome::Video(running_without_progress()),
        BACKOFF,
        now_ms,
    )
}

#[test]
fn a_submission_brings_the_expectation_and_the_providers_progress_ends_the_estimate() {
    let submitted = Answer {
        expected_runtime_ms: Some(50_000),
        ..Answer::new(ProviderRef::new("fal", "a/b/requests/1"), Lifecycle::Queued)
    };
    let fresh = JobState {
        estimate: Some(Estimate { expected_ms: None }),
        ..job(JobStatus::Queued, 0, 5)
    };
    let next1 = next(&fresh, Outcome::Video(submitted), BACKOFF, 1_000);
    assert_eq!(
        next1.state.estimate,
        Some(Estimate {
            expected_ms: Some(50_000)
        })
    );
    let reported = next(
        &next1.state,
        Outcome::Video(Answer::new(
            ProviderRef::new("fal", "a/b/requests/1"),
            Lifecycle::Running { progress: Some(30) },
        )),
        BACKOFF,
        2_000,
    );
    assert_eq!(
        (reported.state.progress, reported.state.estimate),
        (30, None)
    );
    // A job whose provider reports progress never gets an estimate.
    let plain = next(
        &job(JobStatus::Queued, 0, 5),
        Outcome::Video(running_without_progress()),
        BACKOFF,
        40_000,
    );
    assert_eq!((plain.state.progress, plain.state.estimate), (0, None));
}

#[test]
fn polls_stretch_when_a_callback_will_come_but_never_past_the_maximum() {
    let calls_back = JobState {
        stretch: 4,
        ..job(JobStatus::Queued, 0, 5)
    };
    let queued = || Answer::new(ProviderRef::new("openai", "video_1"), Lifecycle::Queued);
    let first = next(&calls_back, Outcome::Video(queued()), BACKOFF, 0);
    assert_eq!(
        first.next_poll,
        Some(Duration::from_secs(40)),
        "5 s doubled, times 4"
    );
    assert_eq!(
        first.state.interval,
        Duration::from_secs(10),
        "the backoff itself is unchanged"
    );
    let later = next(&first.state, Outcome::Video(queued()), BACKOFF, 0);
    assert_eq!(later.next_poll, Some(BACKOFF.backoff.max));
}
