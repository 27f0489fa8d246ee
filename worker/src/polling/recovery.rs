//! What became of a submission whose answer was lost (the worker died mid-create, the call timed
//! out, the provider answered 5xx). The job's intent was recorded before the call, so the next
//! attempt asks, in order:
//! 1. has an operator settled it (`POST /api/videos/{jobId}/submission`: adopt a video, or submit
//!    again)? Then that is done;
//! 2. a provider that honours idempotency keys returns the first video to a second create with
//!    the same key: submit again. Otherwise (`Capabilities::lost_submission`), does the provider's
//!    list show a video with the job's prompt since the intent? Adopt it; if the list certainly
//!    shows none, submit again;
//! 3. the list cannot tell (it fails, ignores its cursor, or the provider cannot list): the job is
//!    marked `submission: "unknown"` (status view, stats) and asked again later, until
//!    `SUBMISSION_UNKNOWN_MAX_SECS` have passed since the mark; then `SUBMISSION_UNKNOWN_POLICY`
//!    fails it (the default: never pay twice) or submits it again (never lose the job).
//!
//! Each step is logged. The mark and its counters move in one script, fenced by the claim.

use relay_shared::config::UnknownSubmission;
use relay_shared::job::ProviderRef;
use relay_shared::provider::{LostSubmission, ProviderError};
use relay_shared::store::{CallKind, JobRef, Settle, Submission};
use tracing::{info, warn};

use super::transition::{Answer, Outcome};
use super::GatedProvider;
use crate::Worker;

/// How far before a lost submission's recorded time a found video may have been created: the
/// provider's clock is not ours.
const CLOCK_SLACK_SECS: i64 = 120;

/// What the recovery decided.
pub(crate) enum Recovery {
    /// The job's poll ends with this outcome.
    Settled(Outcome),
    /// Nothing was created (or it is to be made again): submit.
    SubmitAgain,
}

/// The claimed job a recovery works on.
pub(crate) struct Lost<'a> {
    pub job: &'a JobRef,
    pub token: &'a str,
    pub intent_ms: i64,
}

impl Worker {
    /// `None` when the claim was lost on the way.
    pub(super) async fn recover_submission(
        &self,
        provider: &GatedProvider,
        lost: &Lost<'_>,
        submission: &Submission,
        now_ms: i64,
    ) -> Option<Recovery> {
        let job = lost.job.id.as_str();
        let unavailable = |message: String| {
            Some(Recovery::Settled(Outcome::CreateFailed(
                ProviderError::unavailable(message),
            )))
        };
        let gate = &provider.gate;
        let adapter = &provider.provider.adapter;
        let name = provider.provider.name;
        let unknown = submission.unknown_since_ms;
        if let Some(decision) = &submission.settle {
            if let Err(wait) = gate.budget(CallKind::Read).await {
                return Some(Recovery::Settled(Outcome::Deferred(wait)));
            }
            let recovered = match decision {
                Settle::Adopt(video_id) => {
                    match adapter.retrieve(video_id).await {
                        Ok(video) => {
                            info!(job, "♻️ Adopted {video_id}, as an operator settled the unknown submission");
                            Recovery::Settled(Outcome::Video(Answer::new(
                                ProviderRef::new(name, video_id),
                                video.lifecycle,
                            )))
                        }
                        Err(e) => {
                            warn!(
                                job,
                                "the video {video_id} an operator named could not be read: {e}"
                            );
                            gate.note_error(&e).await;
                            // A video the provider does not know fails the job (a 4xx), saying so.
                            return Some(Recovery::Settled(Outcome::CreateFailed(e)));
                        }
                    }
                }
                Settle::Resubmit => {
                    info!(
                        job,
                        "submitting again, as an operator settled the unknown submission"
                    );
                    Recovery::SubmitAgain
                }
            };
            return self.clear_mark(lost).await.then_some(recovered);
        }
        if adapter.capabilities().lost_submission == LostSubmission::IdempotencyKey {
            info!(
                job,
                "submitting again with the same idempotency key: {name} answers with the first video if it made one"
            );
            if unknown.is_some() && !self.clear_mark(lost).await {
                return None;
            }
            return Some(Recovery::SubmitAgain);
        }
        if let Err(wait) = gate.budget(CallKind::Read).await {
            return Some(Recovery::Settled(Outcome::Deferred(wait)));
        }
        let since_secs = lost.intent_ms / 1000 - CLOCK_SLACK_SECS;
        let error = match adapter.find(&submission.prompt, since_secs).await {
            Ok(found) => {
                let recovered = match found {
                    Some(video) => {
                        info!(
                            job,
                            "♻️ Adopted {} from a submission whose answer was lost", video.id
                        );
                        Recovery::Settled(Outcome::Video(Answer::new(
                            ProviderRef::new(name, &video.id),
                            video.lifecycle,
                        )))
                    }
                    None => {
                        info!(
                            job,
                            "an earlier submission created nothing; submitting again"
                        );
                        Recovery::SubmitAgain
                    }
                };
                if unknown.is_some() && !self.clear_mark(lost).await {
                    return None;
                }
                return Some(recovered);
            }
            Err(e) => e,
        };
        // Not knowing is not "absent": keep the intent and look again later.
        warn!(
            job,
            "cannot tell yet whether an earlier submission created a video: {error}"
        );
        gate.note_error(&error).await;
        let store = &self.inner.store;
        let since = match unknown {
            Some(since) => since,
            None => match store
                .mark_submission_unknown(lost.job, lost.token, Some(now_ms))
                .await
            {
                Ok(true) => now_ms,
                Ok(false) => return None,
                Err(e) => {
                    return unavailable(format!("could not mark the submission unknown: {e}"))
                }
            },
        };
        let policy = &self.inner.settings.providers;
        let limit = policy.submission_unknown_max;
        if now_ms.saturating_sub(since) < limit.as_millis() as i64 {
            return Some(Recovery::Settled(Outcome::Undecided(error)));
        }
        let recovered = if policy.submission_unknown == UnknownSubmission::Resubmit {
            warn!(job, "no one could tell within {limit:?} whether the provider created a video: submitting again (SUBMISSION_UNKNOWN_POLICY=resubmit)");
            Recovery::SubmitAgain
        } else {
            warn!(job, "no one could tell within {limit:?} whether the provider created a video: failing the job (SUBMISSION_UNKNOWN_POLICY=fail)");
            Recovery::Settled(Outcome::Undeliverable(format!(
                "no one could tell within {} s (SUBMISSION_UNKNOWN_MAX_SECS) whether the provider created a video for this job ({error}); failed by SUBMISSION_UNKNOWN_POLICY=fail: the provider may hold a video made for it",
                limit.as_secs()
            )))
        };
        self.clear_mark(lost).await.then_some(recovered)
    }

    /// Clears the unknown mark (and any operator's decision); false when the claim was lost or
    /// Redis failed (then the job comes back by its lease and decides again).
    async fn clear_mark(&self, lost: &Lost<'_>) -> bool {
        match self
            .inner
            .store
            .mark_submission_unknown(lost.job, lost.token, None)
            .await
        {
            Ok(cleared) => cleared,
            Err(e) => {
                warn!(job = %lost.job, "could not clear the unknown-submission mark ({e}); the job is decided again when its lease ends");
                false
            }
        }
    }
}
