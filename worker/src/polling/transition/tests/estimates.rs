//! Progress estimated from the model's recent run times when the provider gives none, and polls
//! timed around the expected end or a coming callback.

use super::*;

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
