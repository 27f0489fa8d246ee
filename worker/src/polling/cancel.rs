//! A cancellation a client asked for (`POST /api/videos/{jobId}/cancel`, a mark on the job's
//! state): the job's next poll stops its video at the provider where the provider can
//! (`Capabilities::can_cancel`: Replicate, fal, Runway, Luma), and the job ends `cancelled`
//! whether or not the provider could — the relay stops polling it either way, and the job's
//! error says what became of the video.

use relay_shared::store::CallKind;
use tracing::{info, warn};

use super::claimed::ClaimedJob;
use super::transition::Outcome;
use super::GatedProvider;
use crate::Worker;

impl Worker {
    /// Cancels the job's video at its provider where it can; the outcome ends the job.
    pub(super) async fn cancel(&self, job: &ClaimedJob) -> (Outcome, Option<&GatedProvider>) {
        let Some(video) = &job.state.provider_job else {
            info!(job = %job.job, "🛑 cancelled before any provider had the job");
            return (Outcome::Cancelled { note: None }, None);
        };
        let Some(provider) = self.provider(&video.provider) else {
            let note = format!(
                "{} is not configured on this worker: the video was not stopped there",
                video.provider
            );
            return (Outcome::Cancelled { note: Some(note) }, None);
        };
        let name = provider.provider.name;
        if !provider.provider.adapter.capabilities().can_cancel {
            info!(job = %job.job, "🛑 cancelled; {name} cannot stop video {}", video.id);
            let note = format!("{name} cannot cancel a video: it may still be made there");
            return (Outcome::Cancelled { note: Some(note) }, Some(provider));
        }
        if let Err(wait) = provider.gate.budget(CallKind::Read).await {
            return (Outcome::Deferred(wait), Some(provider));
        }
        let note = match provider.provider.adapter.cancel(&video.id).await {
            Ok(()) => {
                info!(job = %job.job, "🛑 cancelled; {name} stopped video {}", video.id);
                None
            }
            Err(e) => {
                warn!(job = %job.job, "cancelled, but {name} could not stop video {}: {e}", video.id);
                provider.gate.note_error(&e).await;
                Some(format!("{name} could not stop the video: {e}"))
            }
        };
        (Outcome::Cancelled { note }, Some(provider))
    }
}
