//! A job's log of the polls that found nothing new: how many, and when the latest [`KEEP`] were.
//! A poll that changed something (status, progress, the provider's id) is the job's event, with
//! its own time; so the events and this log together are every poll. It lives in one field of the
//! job's hash (`polls`), written by `commit_polls.lua` in the commit it already makes: a poll that
//! changes something — the hot path W1 measures — pays nothing for it. (A list per job, one
//! `RPUSH` per poll, cost W1 about a fifth of its rate: BENCHMARKS.md, issue #21.)
//!
//! Encoding: `<quiet polls so far> <ms> <ms> …`, the Redis times of the latest, oldest first.

/// Quiet polls whose time the log keeps: the latest (`quiet_log` in commit_polls.lua).
pub const KEEP: usize = 20;

/// A job's log of quiet polls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PollLog {
    /// Every poll that found nothing new.
    pub total: u64,
    /// When the latest were (Redis ms), oldest first.
    pub latest: Vec<i64>,
}

impl PollLog {
    /// `None` for a field that is not a log.
    pub fn decode(text: &str) -> Option<Self> {
        let mut words = text.split(' ');
        let total = words.next()?.parse().ok()?;
        let latest = words
            .map(|word| word.parse().ok())
            .collect::<Option<Vec<i64>>>()?;
        Some(Self { total, latest })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_reads_back() {
        assert_eq!(
            PollLog::decode("23 1764900000123 1764900001123"),
            Some(PollLog {
                total: 23,
                latest: vec![1_764_900_000_123, 1_764_900_001_123]
            })
        );
        assert_eq!(PollLog::decode("1 x"), None);
    }
}
