//! Polling one claimed job: ask the provider, decide the job's next state, commit it under the
//! claim token together with its webhook event.

use std::time::Duration;

use relay_shared::job::{field, JobStatus, PollState};
use relay_shared::provider::{CreateVideo, ProviderError, Video};
use relay_shared::store::{CallKind, ClaimFields, Claimed, Committed, PollCommit, Queue};
use relay_shared::time::now_iso8601;
use relay_shared::webhook::WebhookEvent;
use tracing::{debug, error, info, warn};

use crate::recovery::{Lost, Recovery};
use crate::transition::{self, JobState, Outcome};
use crate::Worker;

/// The job fields a claim returns: what every poll needs, in the one field `state` (see
/// [`PollState`]), and the fields that held its parts in jobs stored before that field existed.
/// What only a submission needs is read by the submission itself, with the prompt
/// (`Store::submission`).
pub const CLAIM_FIELDS: ClaimFields = ClaimFields {
    fields: &[field::STATE],
    fallback: field::legacy::POLL_FIELDS,
};

struct ClaimedJob {
    id: String,
    /// The poll state the claim read.
    claimed: PollState,
    /// Read from the fields of a job stored before `state` existed: its commit stores `state`.
    old_layout: bool,
    /// What the polling policy works on, from `claimed`.
    state: JobState,
}

impl ClaimedJob {
    /// `None` when the stored state is unreadable.
    fn parse(item: Claimed, initial_interval: Duration) -> Option<Self> {
        let (claimed, old_layout) = match item.values.as_slice() {
            [Some(text)] => (PollState::decode(text)?, false),
            [_, legacy @ ..] => (PollState::from_legacy(legacy)?, true),
            _ => return None,
        };
        let state = JobState {
            status: claimed.status,
            progress: claimed.progress,
            interval: claimed
                .interval_ms
                .map_or(initial_interval, Duration::from_millis),
            since: claimed.since,
            failing_since: claimed.failing_since,
            sora_id: claimed.sora_id.clone(),
        };
        Some(Self {
            id: item.id,
            claimed,
            old_layout,
            state,
        })
    }

    /// The poll state to store after a poll that led to `next`, and whether it must be written.
    fn stored_after(&self, next: &JobState) -> (PollState, bool) {
        let stored = PollState {
            status: next.status,
            progress: next.progress,
            interval_ms: Some(next.interval.as_millis() as u64),
            since: next.since,
            failing_since: next.failing_since,
            sora_id: next.sora_id.clone(),
            ..self.claimed.clone()
        };
        let changed = self.old_layout || stored != self.claimed;
        (stored, changed)
    }
}

impl Worker {
    /// Polls one claimed job and commits the result. Errors are logged; the job's lease makes it
    /// due again if nothing could be committed.
    pub(crate) async fn poll_job(&self, partition: u16, item: Claimed, token: &str, now_ms: i64) {
        let settings = &self.inner.settings;
        let id = item.id.clone();
        let Some(job) = ClaimedJob::parse(item, settings.poll_initial()) else {
            error!(job = %id, "unreadable job state; the job is left to its lease");
            return;
        };
        let outcome = self
            .holding_lease(
                Queue::Jobs,
                partition,
                &job.id,
                token,
                self.ask_provider(partition, &job, token, now_ms),
            )
            .await;
        let Some(outcome) = outcome else {
            warn!(job = %job.id, "claim lost before submitting; another worker owns the job now");
            return;
        };
        // A create the provider certainly refused leaves nothing to look for on the next try.
        let nothing_created = matches!(
            &outcome,
            Outcome::CreateFailed(e) if !matches!(e, ProviderError::Unavailable { .. })
        );
        let next = transition::next(&job.state, outcome, self.inner.policy, now_ms);
        let video_url = next
            .completed_video
            .as_deref()
            .map(|id| self.inner.provider.content_url(id));
        if next.changed {
            log_transition(&job, &next.state, next.error.as_deref());
        }
        let has_receiver = job.claimed.own_webhook || settings.webhook_url().is_some();
        let webhook_body = (next.changed && has_receiver).then(|| {
            WebhookEvent {
                job_id: &job.id,
                sora_job_id: next.state.sora_id.as_deref(),
                status: next.state.status,
                progress: next.state.progress,
                video_url: video_url.as_deref(),
                content_expires_at: next.content_expires_at,
                error: next.error.as_deref(),
                timestamp: now_iso8601(),
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
        if let Some(url) = video_url {
            fields.push((field::VIDEO_URL, url));
        }
        if let Some(expires) = next.content_expires_at {
            fields.push((field::EXPIRES_AT, expires.to_string()));
        }
        if let Some(message) = &next.error {
            fields.push((field::ERROR, message.clone()));
        }
        let commit = PollCommit {
            job_id: job.id.clone(),
            token: token.into(),
            next_poll: next.next_poll,
            claimed_status: job.state.status,
            state,
            state_changed,
            changed: next.changed,
            webhook_body,
            fields,
        };
        match self.committer().commit(partition, commit).await {
            Ok(Committed::Stored { event_seq }) => {
                if event_seq.is_some() {
                    self.inner.deliveries_waiting.notify_one();
                }
                if next.state.sora_id.is_some() || next.next_poll.is_none() {
                    self.account_in_flight(&job.id, next.next_poll.is_none(), now_ms)
                        .await;
                }
            }
            Ok(Committed::Fenced) => {
                warn!(job = %job.id, "claim lost before commit (lease ran out); another worker owns the job now")
            }
            Err(e) => {
                error!(job = %job.id, "could not store poll result, the job will be polled again when its lease ends: {e}")
            }
        }
    }

    /// Asks the provider about the job: a retrieve once it has a provider id, otherwise a
    /// submission. `None` when the claim was lost before anything was sent.
    async fn ask_provider(
        &self,
        partition: u16,
        job: &ClaimedJob,
        token: &str,
        now_ms: i64,
    ) -> Option<Outcome> {
        let settings = &self.inner.settings;
        let max_age = Duration::from_secs(settings.job_max_age_secs);
        if now_ms.saturating_sub(job.claimed.created_ms) > max_age.as_millis() as i64 {
            return Some(Outcome::Expired { max_age });
        }
        let provider = &self.inner.provider;
        if let Some(video_id) = &job.state.sora_id {
            if let Err(wait) = self.budget(CallKind::Read).await {
                return Some(Outcome::Deferred(wait));
            }
            debug!("📡 Polling Sora job: {video_id}");
            let outcome = match provider.retrieve(video_id).await {
                // The id the provider gave at creation stays the job's: LiteLLM answers a
                // retrieve with an id that has lost its route, and asking with that one reaches
                // another provider (tests/gateway.rs).
                Ok(video) => Outcome::Video(Video {
                    id: video_id.clone(),
                    ..video
                }),
                Err(e) => {
                    warn!(job = %job.id, "provider poll of {video_id} failed: {e}");
                    self.note_provider_error(&e).await;
                    Outcome::RetrieveFailed(e)
                }
            };
            return Some(self.confirm_content(&job.id, outcome).await);
        }
        let outcome = self.submit(partition, job, token, now_ms).await?;
        Some(self.confirm_content(&job.id, outcome).await)
    }

    /// Submits a job exactly once. The intent is recorded before the call; if an earlier attempt's
    /// outcome is unknown (a crash, a timeout), the provider's list is searched for the video
    /// first and a found one is adopted instead of creating another.
    async fn submit(
        &self,
        partition: u16,
        job: &ClaimedJob,
        token: &str,
        now_ms: i64,
    ) -> Option<Outcome> {
        let store = &self.inner.store;
        let provider = &self.inner.provider;
        let unavailable = |message: String| {
            Some(Outcome::CreateFailed(ProviderError::Unavailable {
                retry_after: None,
                message,
            }))
        };
        let submission = match store.submission(partition, &job.id).await {
            Ok(Some(submission)) => submission,
            Ok(None) => return unavailable("the job's prompt is missing".into()),
            Err(e) => return unavailable(format!("could not read the job's prompt: {e}")),
        };
        let prompt = &submission.prompt;
        if let Err(wait) = self.admit(&job.id, job.claimed.created_ms).await {
            debug!(job = %job.id, "waiting for a provider slot (SORA_MAX_IN_FLIGHT)");
            return Some(Outcome::Deferred(wait));
        }
        if let Some(intent_ms) = submission.submit_at_ms {
            let lost = Lost {
                partition,
                job_id: &job.id,
                token,
                intent_ms,
            };
            match self.recover_submission(&lost, &submission, now_ms).await? {
                Recovery::Settled(outcome) => return Some(outcome),
                Recovery::SubmitAgain => {}
            }
        }
        if let Err(wait) = self.budget(CallKind::Create).await {
            return Some(Outcome::Deferred(wait));
        }
        let intent = now_ms.to_string();
        match store
            .set_claimed(partition, &job.id, token, &[(field::SUBMIT_AT, &intent)])
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
        let settings = &self.inner.settings;
        let request = CreateVideo {
            idempotency_key: &job.id,
            prompt,
            model: submission.model.as_deref().unwrap_or(&settings.sora_model),
            // What the client left out, the deployment's defaults fill (gateways often need both).
            seconds: submission
                .seconds
                .as_deref()
                .or(Some(settings.sora_default_seconds.as_str()).filter(|s| !s.is_empty())),
            size: submission
                .size
                .as_deref()
                .or(Some(settings.sora_default_size.as_str()).filter(|s| !s.is_empty())),
        };
        Some(match provider.create(&request).await {
            Ok(video) => {
                info!(job = %job.id, "🎬 Submitted to provider: {}", video.id);
                Outcome::Video(video)
            }
            Err(e) => {
                match &e {
                    ProviderError::Unauthorized { .. } => {
                        error!(job = %job.id, "🚨 provider refuses our key: {e} — fix OPENAI_API_KEY; the job stays queued")
                    }
                    _ => warn!(job = %job.id, "provider create failed: {e}"),
                }
                self.note_provider_error(&e).await;
                Outcome::CreateFailed(e)
            }
        })
    }
}

fn log_transition(job: &ClaimedJob, next: &JobState, error: Option<&str>) {
    let video = next.sora_id.as_deref().unwrap_or("-");
    if (job.state.status, job.state.progress) == (next.status, next.progress) {
        return; // only the provider id is new: "Submitted to provider" said it
    }
    info!(
        job = %job.id,
        "   Status: {} → {} (Progress: {}% → {}%) [{video}]",
        job.state.status, next.status, job.state.progress, next.progress
    );
    match next.status {
        JobStatus::Completed => info!(job = %job.id, "✅ Sora job completed: {video}"),
        JobStatus::Failed => {
            info!(job = %job.id, "❌ Sora job failed: {video} - {}", error.unwrap_or("unknown error"))
        }
        JobStatus::Timeout => info!(job = %job.id, "⏱️ Sora job timed out: {video}"),
        _ => {}
    }
}
