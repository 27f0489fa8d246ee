//! Submitting a job to its provider exactly once. The intent is recorded before the call; if an
//! earlier attempt's outcome is unknown (a crash, a timeout), the lost submission is recovered
//! first ([`super::recovery`]) and a video found there is adopted instead of creating another.
//! A job whose target's circuit is open does not call it: a routed job moves on, any other waits
//! for the probe; a routed job may also move on after a refusal ([`super::failover`]).

use relay_shared::config::Target;
use relay_shared::job::ProviderRef;
use relay_shared::provider::{registry, Frame, ProviderError, VideoRequest};
use relay_shared::store::layout::field;
use relay_shared::store::{CallKind, Routing, Submission};
use relay_shared::telemetry::metrics;
use tracing::{debug, error, info, warn};

use super::claimed::ClaimedJob;
use super::gate::Held;
use super::recovery::{Lost, Recovery};
use super::transition::{Answer, Outcome};
use super::GatedProvider;
use crate::Worker;

impl Worker {
    /// `None` when the claim was lost before anything was sent; with the outcome, the provider
    /// asked (none when the job's provider is not configured here).
    pub(super) async fn submit(
        &self,
        job: &ClaimedJob,
        token: &str,
        now_ms: i64,
    ) -> Option<(Outcome, Option<&GatedProvider>)> {
        let store = &self.inner.store;
        let unavailable =
            |message: String| Some(Outcome::CreateFailed(ProviderError::unavailable(message)));
        let submission = match store.submission(&job.job).await {
            Ok(Some(submission)) => submission,
            Ok(None) => {
                return unavailable("the job's prompt is missing".into()).map(|o| (o, None))
            }
            Err(e) => {
                return unavailable(format!("could not read the job's prompt: {e}"))
                    .map(|o| (o, None))
            }
        };
        let name = submission.provider.as_deref().unwrap_or(registry::DEFAULT);
        let Some(provider) = self.provider(name) else {
            return unavailable(format!(
                "the job's provider {name:?} is not configured on this worker"
            ))
            .map(|o| (o, None));
        };
        let routing = submission.routing();
        let outcome = self
            .submit_to(provider, job, &submission, routing.as_ref(), token, now_ms)
            .await?;
        Some((
            self.confirm_content(&job.job, provider, outcome).await,
            Some(provider),
        ))
    }

    async fn submit_to(
        &self,
        provider: &GatedProvider,
        job: &ClaimedJob,
        submission: &Submission,
        routing: Option<&Routing>,
        token: &str,
        now_ms: i64,
    ) -> Option<Outcome> {
        let store = &self.inner.store;
        let gate = &provider.gate;
        let unavailable =
            |message: String| Some(Outcome::CreateFailed(ProviderError::unavailable(message)));
        let name = provider.provider.name;
        let target = Target::new(name, model_of(provider, submission));
        // Nothing pending at this target: the job may be held back by its circuit (a pending one
        // is settled first, and must not take the probe's turn for a look that is no create), and
        // a routed one may move on without calling.
        let pending = submission.submit_at_ms.is_some();
        let movable = routing.filter(|_| !pending);
        let mut circuit = None;
        if !pending {
            match self.through_circuit(&target, movable).await {
                Ok(seen) => circuit = Some(seen),
                Err(instead) => return Some(instead),
            }
        }
        if let Err(wait) = gate.admit(&job.job.id, job.claimed.created_ms).await {
            debug!(job = %job.job, "waiting for a slot at {}", provider.provider.name);
            return Some(Outcome::Deferred(wait));
        }
        if let Some(intent_ms) = submission.submit_at_ms {
            let lost = Lost {
                job: &job.job,
                token,
                intent_ms,
            };
            match self
                .recover_submission(provider, &lost, submission, now_ms)
                .await?
            {
                Recovery::Settled(outcome) => return Some(outcome),
                Recovery::SubmitAgain => {}
            }
        }
        match gate.take(CallKind::Create).await {
            Ok(()) => {}
            Err(Held::Quota(wait)) => {
                let why = format!(
                    "submissions to {} are paused: its quota is exhausted",
                    provider.provider.name
                );
                let step = movable.and_then(|r| self.move_on(r, "quota", Some(why), None));
                return Some(step.map_or(Outcome::Deferred(wait), Outcome::Moved));
            }
            Err(held) => return Some(Outcome::Deferred(held.wait())),
        }
        let intent = now_ms.to_string();
        match store
            .set_claimed(&job.job, token, &[(field::SUBMIT_AT, &intent)])
            .await
        {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => return unavailable(format!("could not record the submission intent: {e}")),
        }
        // REDIS_WAIT_REPLICAS: a failover must not lose the intent of a call that creates a video.
        if let Err(e) = store.replicated().await {
            return unavailable(format!("the submission intent is not safe yet: {e}"));
        }
        let callback_url = provider
            .provider
            .adapter
            .capabilities()
            .accepts_callbacks
            .then(|| {
                self.inner
                    .settings
                    .callbacks
                    .url_for(provider.provider.name, &job.job.id)
            })
            .flatten();
        let request = request_for(provider, &job.job.id, submission, callback_url.as_deref());
        // Read before the create, so the answer is committed as soon as it comes.
        let expected_runtime_ms = match job.state.estimate {
            Some(_) => {
                provider
                    .runtimes
                    .expected(store, provider.provider.name, request.model)
                    .await
            }
            None => None,
        };
        Some(match provider.provider.adapter.create(&request).await {
            Ok(created) => {
                self.note_create(name, &target, None, circuit).await;
                gate.note_answer(Some(request.model)).await;
                info!(job = %job.job, "🎬 Submitted to provider {name}: {}", created.id);
                metrics::job_submitted(name, request.model);
                Outcome::Video(Answer {
                    video: ProviderRef::new(name, &created.id),
                    lifecycle: created.lifecycle,
                    expected_runtime_ms,
                    kept: None,
                })
            }
            Err(e) => {
                let e = e.of_create(request.model);
                match &e {
                    ProviderError::Unauthorized { .. } => {
                        error!(job = %job.job, "🚨 {name} refuses our key: {e} — fix its API key; the job stays queued")
                    }
                    _ => warn!(job = %job.job, "{name} create failed: {e}"),
                }
                gate.note_error(&e).await;
                let open = self.note_create(name, &target, Some(&e), circuit).await;
                let since = job.state.failing_since.unwrap_or(now_ms);
                let failing_for =
                    std::time::Duration::from_millis(now_ms.saturating_sub(since).max(0) as u64);
                self.after_refused_create(routing, e, open, failing_for)
            }
        })
    }
}

/// The create request for a job: what the client asked for, the provider's defaults for what it
/// left out.
fn request_for<'a>(
    provider: &'a GatedProvider,
    job_id: &'a str,
    submission: &'a Submission,
    callback_url: Option<&'a str>,
) -> VideoRequest<'a> {
    let defaults = &provider.provider;
    VideoRequest {
        idempotency_key: job_id,
        prompt: &submission.prompt,
        model: model_of(provider, submission),
        seconds: submission
            .seconds
            .as_deref()
            .and_then(|s| s.parse().ok())
            .or(defaults.default_seconds),
        frame: submission
            .size
            .as_deref()
            .and_then(Frame::parse_size)
            .or(defaults.default_frame),
        // Checked to be an object when the job was accepted.
        extra: submission
            .options
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default(),
        callback_url,
    }
}

/// The model a job asks its provider for: its own, else the provider's default.
fn model_of<'a>(provider: &'a GatedProvider, submission: &'a Submission) -> &'a str {
    submission
        .model
        .as_deref()
        .unwrap_or(&provider.provider.default_model)
}
