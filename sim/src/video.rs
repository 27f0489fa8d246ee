//! One simulated video and its timeline: queued, then in_progress with progress rising from 0 to 99,
//! then completed (100, downloadable for an hour) or failed halfway. A pure function of the clock.

use serde::Serialize;

#[derive(Clone, Debug)]
pub struct VideoRecord {
    pub id: String,
    pub created_ms: u64,
    pub queued_ms: u64,
    pub running_ms: u64,
    pub fails: bool,
    pub model: String,
    pub prompt: String,
    pub seconds: String,
    pub size: String,
    pub remixed_from: Option<String>,
}

/// The Video object, keys in the order the real API sends them; every key present.
#[derive(Serialize, Debug)]
pub struct VideoObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created_at: u64,
    pub status: &'static str,
    pub completed_at: Option<u64>,
    pub error: Option<VideoError>,
    pub expires_at: Option<u64>,
    pub model: &'a str,
    pub progress: u8,
    pub prompt: &'a str,
    pub remixed_from_video_id: Option<&'a str>,
    pub seconds: &'a str,
    pub size: &'a str,
}

#[derive(Serialize, Debug)]
pub struct VideoError {
    pub code: &'static str,
    pub message: &'static str,
}

impl VideoRecord {
    /// When it starts running.
    pub fn starts_ms(&self) -> u64 {
        self.created_ms + self.queued_ms.max(1)
    }

    /// When it completes or fails.
    pub fn finishes_ms(&self) -> u64 {
        let running = if self.fails {
            self.running_ms / 2
        } else {
            self.running_ms
        };
        self.created_ms + self.queued_ms.max(1) + running
    }

    /// The video as the API shows it at `now_ms`.
    pub fn at(&self, now_ms: u64) -> VideoObject<'_> {
        let elapsed = now_ms.saturating_sub(self.created_ms);
        let running_for = elapsed.saturating_sub(self.queued_ms);
        let fail_after = self.running_ms / 2;
        let progress_at = |t: u64| ((99 * t) / self.running_ms.max(1)).min(99) as u8;
        // A video is always `queued` in the create response, however short the queue.
        let (status, progress, completed_at, error) = if elapsed < self.queued_ms.max(1) {
            ("queued", 0, None, None)
        } else if self.fails && running_for >= fail_after {
            let error = VideoError {
                code: "video_generation_failed",
                message: "The video could not be generated (simulated failure).",
            };
            ("failed", progress_at(fail_after), None, Some(error))
        } else if running_for < self.running_ms {
            ("in_progress", progress_at(running_for), None, None)
        } else {
            let done_ms = self.created_ms + self.queued_ms + self.running_ms;
            ("completed", 100, Some(done_ms / 1000), None)
        };
        VideoObject {
            id: &self.id,
            object: "video",
            created_at: self.created_ms / 1000,
            status,
            completed_at,
            error,
            expires_at: completed_at.map(|t| t + 3600),
            model: &self.model,
            progress,
            prompt: &self.prompt,
            remixed_from_video_id: self.remixed_from.as_deref(),
            seconds: &self.seconds,
            size: &self.size,
        }
    }

    pub fn is_finished(&self, now_ms: u64) -> bool {
        matches!(self.at(now_ms).status, "completed" | "failed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fails: bool) -> VideoRecord {
        VideoRecord {
            id: "video_x".into(),
            created_ms: 1_000_000,
            queued_ms: 1000,
            running_ms: 10_000,
            fails,
            model: "sora-2".into(),
            prompt: "p".into(),
            seconds: "4".into(),
            size: "720x1280".into(),
            remixed_from: None,
        }
    }

    #[test]
    fn moves_through_its_timeline() {
        let v = record(false);
        assert_eq!(v.at(1_000_500).status, "queued");
        let running = v.at(1_006_000);
        assert_eq!((running.status, running.progress), ("in_progress", 49));
        let done = v.at(1_011_000);
        assert_eq!((done.status, done.progress), ("completed", 100));
        assert_eq!(done.completed_at, Some(1011));
        assert_eq!(done.expires_at, Some(1011 + 3600));
    }

    #[test]
    fn a_failing_video_fails_halfway_with_an_error() {
        let v = record(true);
        assert_eq!(v.at(1_003_000).status, "in_progress");
        let failed = v.at(1_009_000);
        assert_eq!(failed.status, "failed");
        assert!(failed.error.is_some() && failed.expires_at.is_none());
    }
}
