//! Polling one claimed job: ask its provider, decide the job's next state, commit it under the
//! claim token together with its webhook event.

use std::time::Duration;

use relay_shared::content::Kept;
use relay_shared::job::{Attempt, JobStatus, ProgressSource};
use relay_shared::provider::ProviderError;
use relay_shared::store::layout::field;
use relay_shared::store::{CallKind, Claimed, Committed, PollCommit, Queue};
use relay_shared::telemetry::metrics;
use relay_shared::time::now_iso8601;
use relay_shared::webhook::WebhookEvent;
use tracing::{debug, error, warn};

use super::claimed::ClaimedJob;
use super::transition::{self, Answer, Outcome};
use super::GatedProvider;
use crate::Worker;

impl Worker {
    /// Polls one claimed job and commits the result. Errors are logged; the job's lease makes it
    /// due again if nothing could be committed.
    pub(crate) async fn poll_job(&self, item: Claimed, token: &str, now_ms: i64) {
        let settings = &self.inner.settings;
        let id = item.job.clone();
        let Some(job) = ClaimedJob::parse(item, settings.polling.initial_interval) else {
            error!(job = %id, "unreadable job state; the job is left to its lease");
            return;
        };
        let asked = self
            .holding_lease(
                Queue::Jobs,
                &job.job,
                token,
                self.ask_provider(&job, token, now_ms),
            )
            .await;
        let Some((outcome, provider)) = asked else {
            warn!(job = %job.job, "claim lost before submitting; another worker owns the job now");
            return;
        };
        // A create the provider certainly refused leaves nothing to look for on the next try; a
        // job that moves on starts afresh at its next target.
        let nothing_created = matches!(
            &outcome,
            Outcome::CreateFailed(e) if !matches!(e, ProviderError::Unavailable { .. })
        ) || matches!(outcome, Outcome::Moved(_));
        let moved = match &outcome {
            Outcome::Moved(step) => Some(step.clone()),
            _ => None,
        };
        let attempts = moved.as_ref().map(super::transition::Move::attempts);
        let mut polled = job.state.clone();
        if let Some(p) = provider {
            let calls_back = p.provider.adapter.capabilities().accepts_callbacks;
            if calls_back && settings.callbacks.asked_of(p.provider.name) {
                polled.stretch = settings.callbacks.poll_stretch;
            }
        }
        let next = transition::next(&polled, outcome, self.inner.policy, now_ms);
        let provider_url = next.video_url.clone();
        // Under custody clients get the kept copy's link (and its expiry), never the provider's.
        let first_kept = next.kept.as_ref().and_then(|kept| kept.first());
        let (video_url, content_expires_at) = match (&self.inner.custody, first_kept) {
            (Some(custody), Some(_)) => {
                let (url, expires) = custody.link(&job.job.id, 0, now_ms.div_euclid(1000)).await;
                (Some(url), Some(expires))
            }
            _ => (provider_url.clone(), next.content_expires_at),
        };
        if next.changed {
            super::log::transition(&job, &next.state, next.error.as_deref());
        }
        let has_receiver = job.claimed.own_webhook || settings.webhooks.url.is_some();
        let webhook_body = (next.changed && has_receiver).then(|| {
            WebhookEvent {
                job_id: &job.job.id,
                provider_job_id: next.state.provider_job.as_ref().map(|p| p.id.as_str()),
                status: next.state.status,
                progress: next.state.progress,
                video_url: video_url.as_deref(),
                content_expires_at,
                error: next.error.as_deref(),
                timestamp: now_iso8601(),
                progress_source: match next.state.estimate {
                    Some(_) => ProgressSource::Estimated,
                    None => ProgressSource::Provider,
                },
                content_sha256: first_kept.map(|k| k.sha256.as_str()),
                content_bytes: first_kept.map(|k| k.bytes),
                content_type: first_kept.map(|k| k.content_type.as_str()),
                attempts: attempts.as_deref(),
            }
            .to_body()
        });
        // Only what this poll changed: the claim read the rest, and no one else writes it while
        // the claim holds. Every field written costs Redis a hash lookup and two arguments on
        // every poll (W1 in BENCHMARKS.md).
        let (state, state_changed) = job.stored_after(&next.state);
        let mut fields = Vec::new();
        if nothing_created {
            fields.push((field::SUBMIT_AT, String::new()));
        }
        // The provider's URL, for the record (and the API's proxy when nothing is kept).
        if let Some(url) = provider_url {
            fields.push((field::VIDEO_URL, url));
        }
        if let Some(kept) = &next.kept {
            fields.push((field::CONTENT, Kept::encode_all(kept)));
        }
        if let Some(expires) = next.content_expires_at {
            fields.push((field::EXPIRES_AT, expires.to_string()));
        }
        if let Some(message) = &next.error {
            fields.push((field::ERROR, message.clone()));
        }
        if let Some(step) = &moved {
            fields.push((field::PROVIDER, step.to.provider.clone()));
            fields.push((field::MODEL, step.to.model.clone()));
            fields.push((field::ATTEMPTS, Attempt::encode_all(&step.left)));
        }
        let commit = PollCommit {
            job: job.job.clone(),
            token: token.into(),
            next_poll: next.next_poll,
            claimed_status: job.state.status,
            state,
            state_changed,
            changed: next.changed,
            milestone: moved.is_some(),
            webhook_body,
            fields,
        };
        match self.committer().commit(commit).await {
            Ok(Committed::Stored { event_seq }) => {
                if event_seq.is_some() {
                    self.inner.deliveries_waiting.notify_one();
                }
                let is_final = next.next_poll.is_none();
                if is_final {
                    let status = next.state.status;
                    let ran = (status == JobStatus::Completed).then(|| {
                        Duration::from_millis(
                            now_ms.saturating_sub(job.claimed.created_ms).max(0) as u64
                        )
                    });
                    let name = provider.map_or("none", |p| p.provider.name);
                    metrics::job_finished(name, status.as_str(), ran);
                }
                // Every completed job's run time: the estimates of providers that report no
                // progress divide by it, and the Providers view shows its p50/p95.
                if let (Some(p), JobStatus::Completed) = (provider, next.state.status) {
                    self.record_runtime(p, &job, now_ms).await;
                }
                if let (Some(step), Some(p)) = (&moved, provider) {
                    super::failover::announce(&job.job, step, p.provider.name);
                }
                match provider {
                    // A job that moved leaves its old provider's line.
                    Some(p) if moved.is_some() => p.gate.account(&job.job.id, true, now_ms).await,
                    Some(p) if next.state.provider_job.is_some() || is_final => {
                        p.gate.account(&job.job.id, is_final, now_ms).await
                    }
                    None if is_final => self.leave_every_line(&job.job.id).await,
                    _ => {}
                }
            }
            Ok(Committed::Fenced) => {
                warn!(job = %job.job, "claim lost before commit (lease ran out); another worker owns the job now")
            }
            Err(e) => {
                error!(job = %job.job, "could not store poll result, the job will be polled again when its lease ends: {e}")
            }
        }
    }

    /// Asks the job's provider about it: a retrieve once it has a video there, otherwise a
    /// submission. `None` when the claim was lost before anything was sent; with the outcome, the
    /// provider asked (none when none could be).
    async fn ask_provider(
        &self,
        job: &ClaimedJob,
        token: &str,
        now_ms: i64,
    ) -> Option<(Outcome, Option<&GatedProvider>)> {
        if job.claimed.cancel_requested {
            return Some(self.cancel(job).await);
        }
        let max_age = self.inner.settings.polling.job_max_age;
        if now_ms.saturating_sub(job.claimed.created_ms) > max_age.as_millis() as i64 {
            let provider = job
                .state
                .provider_job
                .as_ref()
                .and_then(|v| self.provider(&v.provider));
            return Some((Outcome::Expired { max_age }, provider));
        }
        let Some(video) = &job.state.provider_job else {
            return self.submit(job, token, now_ms).await;
        };
        let Some(provider) = self.provider(&video.provider) else {
            let missing = ProviderError::unavailable(format!(
                "the job's provider {:?} is not configured on this worker",
                video.provider
            ));
            return Some((Outcome::RetrieveFailed(missing), None));
        };
        let gate = &provider.gate;
        if let Err(wait) = gate.budget(CallKind::Read).await {
            return Some((Outcome::Deferred(wait), Some(provider)));
        }
        debug!("📡 Polling {} video {}", video.provider, video.id);
        let outcome = match provider.provider.adapter.retrieve(&video.id).await {
            Ok(seen) => {
                gate.note_answer(None).await;
                let answer = Outcome::Video(Answer::new(video.clone(), seen.lifecycle));
                self.after_accepted(&job.job, answer).await
            }
            Err(e) => {
                warn!(job = %job.job, "provider poll of {} failed: {e}", video.id);
                gate.note_error(&e).await;
                Outcome::RetrieveFailed(e)
            }
        };
        Some((
            self.confirm_content(&job.job, provider, outcome).await,
            Some(provider),
        ))
    }

    /// A job that ends before its provider is known leaves the waiting line of every provider
    /// with an in-flight cap (a job is in at most one).
    async fn leave_every_line(&self, job_id: &str) {
        for provider in &self.inner.providers {
            provider.gate.account(job_id, true, 0).await;
        }
    }
}
