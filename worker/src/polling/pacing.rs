//! How long to wait before polling a job again: a prediction from the progress rate when there is
//! one, the exponential backoff otherwise (the policy is described in [`super::transition`]).

use std::time::Duration;

/// Progress seen at a moment (Redis time, ms); stored with the job's poll state.
pub use relay_shared::job::Sample;

/// Share of the predicted remaining time to wait before the next poll: a little early, so that
/// the poll after it (at most [`Backoff::floor`] later once the estimate is short) sees the end.
pub const AIM: f64 = 0.9;

#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The shortest wait a prediction asks for.
    pub fn floor(&self) -> Duration {
        self.initial / 5
    }

    pub(crate) fn grow(&self, current: Duration) -> Duration {
        current.max(self.initial).saturating_mul(2).min(self.max)
    }
}

/// The wait until just before the predicted completion, when the progress rate is known.
pub fn predicted_wait(since: Sample, now: Sample, backoff: Backoff) -> Option<Duration> {
    let gained = f64::from(now.progress.checked_sub(since.progress)?);
    let elapsed = (now.at_ms - since.at_ms) as f64;
    if gained <= 0.0 || elapsed <= 0.0 {
        return None;
    }
    let remaining_ms = f64::from(100u8.saturating_sub(now.progress)) * elapsed / gained;
    let wait = Duration::from_millis((remaining_ms * AIM) as u64);
    Some(wait.clamp(backoff.floor(), backoff.max))
}

/// For a job whose progress is estimated: the wait until just before its expected end (its
/// model's recent run time since `created_ms`), but never longer than the backoff's next wait
/// after `interval` — run times spread widely, and a job shorter than its model's mean must not
/// wait for it. `None` once the expected end has passed: the backoff from there on.
pub fn expected_end_wait(
    created_ms: i64,
    expected_ms: u64,
    now_ms: i64,
    interval: Duration,
    backoff: Backoff,
) -> Option<Duration> {
    let ends_ms = created_ms.saturating_add(expected_ms as i64);
    (ends_ms > now_ms).then(|| {
        Duration::from_millis((ends_ms - now_ms) as u64)
            .mul_f64(AIM)
            .min(backoff.grow(interval))
            .clamp(backoff.floor(), backoff.max)
    })
}

/// The share (0..=99) of an expected run time that has passed since `created_ms`: never 100, which
/// only a completion says.
pub fn estimated_progress(created_ms: i64, expected_ms: u64, now_ms: i64) -> u8 {
    let elapsed = now_ms.saturating_sub(created_ms).max(0) as u64;
    (elapsed.saturating_mul(100) / expected_ms.max(1)).min(99) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKOFF: Backoff = Backoff {
        initial: Duration::from_secs(5),
        max: Duration::from_secs(60),
    };

    fn at(secs: i64, progress: u8) -> Sample {
        Sample {
            at_ms: secs * 1000,
            progress,
        }
    }

    #[test]
    fn the_next_poll_lands_just_before_the_predicted_end() {
        // 1% a second since 10% at t=0: at 60% there are 40 s left; poll 36 s later.
        let wait = predicted_wait(at(0, 10), at(50, 60), BACKOFF);
        assert_eq!(wait, Some(Duration::from_secs(36)));
    }

    #[test]
    fn predictions_stay_within_the_floor_and_the_maximum() {
        assert_eq!(
            predicted_wait(at(0, 0), at(10, 1), BACKOFF),
            Some(BACKOFF.max),
            "990 s left is capped"
        );
        assert_eq!(
            predicted_wait(at(0, 0), at(99, 99), BACKOFF),
            Some(BACKOFF.floor()),
            "0.9 s left is raised to the floor"
        );
    }

    #[test]
    fn no_rate_no_prediction() {
        assert_eq!(predicted_wait(at(0, 20), at(30, 20), BACKOFF), None);
        assert_eq!(predicted_wait(at(5, 20), at(5, 30), BACKOFF), None);
        assert_eq!(predicted_wait(at(0, 50), at(30, 40), BACKOFF), None);
    }

    #[test]
    fn an_estimate_is_the_share_of_the_expected_time_and_never_done() {
        assert_eq!(estimated_progress(0, 100_000, 0), 0);
        assert_eq!(estimated_progress(0, 100_000, 42_000), 42);
        assert_eq!(estimated_progress(0, 100_000, 500_000), 99);
        assert_eq!(estimated_progress(10, 100_000, 0), 0, "a clock behind");
    }

    #[test]
    fn samples_round_trip_through_their_field() {
        let sample = at(1_764_064_800, 42);
        assert_eq!(Sample::parse(&sample.to_field()), Some(sample));
        assert_eq!(Sample::parse("garbage"), None);
    }
}
