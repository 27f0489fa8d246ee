//! A completion is announced only once its video can be fetched. Gateways report some failed
//! videos as completed — LiteLLM does for a failed Veo job, whose content then answers 500 — so
//! before a job becomes `completed` its content is asked for one byte
//! ([`relay_shared::provider::VideoProvider::check_content`]); under custody, once it is kept
//! ([`super::keeping`]).

use relay_shared::provider::{Lifecycle, ProviderError, ProviderJob};
use relay_shared::store::{CallKind, JobRef};
use tracing::warn;

use super::transition::Outcome;
use super::GatedProvider;
use crate::Worker;

impl Worker {
    /// A video the provider calls finished is announced `completed` only once its content
    /// answers: a 4xx fails the job (the content will never be there), anything else counts as a
    /// failed provider call (retried; `PROVIDER_FAILURE_MAX_SECS` ends it).
    pub(super) async fn confirm_content(
        &self,
        job: &JobRef,
        provider: &GatedProvider,
        outcome: Outcome,
    ) -> Outcome {
        let Outcome::Video(answer) = &outcome else {
            return outcome;
        };
        if !matches!(answer.lifecycle, Lifecycle::Succeeded { .. }) {
            return outcome;
        }
        if self.inner.custody.is_some() {
            // Keeping the video downloads it: that is the check.
            return self.keep(job, provider, outcome).await;
        }
        let gate = &provider.gate;
        if let Err(wait) = gate.budget(CallKind::Read).await {
            return Outcome::Deferred(wait);
        }
        let said = "the provider reports the video completed, but its content";
        let video = ProviderJob {
            id: answer.video.id.clone(),
            lifecycle: answer.lifecycle.clone(),
        };
        match provider.provider.adapter.check_content(&video).await {
            Ok(()) => outcome,
            Err(ProviderError::Rejected { status, message }) => {
                warn!(job = %job, "{said} answers {status}: {message}");
                Outcome::Undeliverable(format!("{said} answers {status}: {message}"))
            }
            Err(e) => {
                warn!(job = %job, "{said} could not be fetched: {e}");
                gate.note_error(&e).await;
                Outcome::RetrieveFailed(match e {
                    ProviderError::Unavailable {
                        retry_after,
                        message,
                    } => ProviderError::Unavailable {
                        retry_after,
                        message: format!("{said} could not be fetched: {message}"),
                    },
                    other => other,
                })
            }
        }
    }
}
