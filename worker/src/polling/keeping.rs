//! Custody: a finished video is copied into the content store (`CONTENT_STORE`) before its job
//! is `completed` — every output, streamed from the provider into the store with its SHA-256
//! computed on the way, at most `CONTENT_COPY_CONCURRENCY` copies at once per worker, under the
//! job's claim (renewed while the copy runs).
//!
//! A crash mid-copy leaves no object (uploads complete atomically) and the job's lease makes it
//! due again: the next claim starts the copy over. A crash after an upload completed but before
//! the job's commit leaves the object: the next claim finds it at the job's path with the size
//! the provider announces, hashes it from the store and adopts it — the provider's video is never
//! copied twice. A failed copy is [`Outcome::NotKept`]: tried again while the provider still has
//! the video (`transition::keeping`); a download the provider refuses outright (4xx) fails the job.

use relay_shared::content::{Custody, Kept};
use relay_shared::provider::{Lifecycle, Output, ProviderError};
use relay_shared::store::{CallKind, JobRef};
use tracing::{info, warn};

use super::transition::{Answer, Outcome};
use super::GatedProvider;
use crate::Worker;

/// The content type kept when the provider names none.
const DEFAULT_TYPE: &str = "video/mp4";

/// Why an output was not kept.
enum Failed {
    /// Try again later (transport trouble, 5xx, the store failing); the message says what.
    Later(String),
    /// The provider will never deliver it (its download answers 4xx).
    Never(String),
    /// Our own limits held the download back.
    Deferred(std::time::Duration),
}

impl Worker {
    /// Keeps every output of a `Succeeded` answer; the answer with what was kept, or why not.
    pub(super) async fn keep(
        &self,
        job: &JobRef,
        provider: &GatedProvider,
        outcome: Outcome,
    ) -> Outcome {
        let Some(custody) = &self.inner.custody else {
            return outcome;
        };
        let Outcome::Video(answer) = outcome else {
            return outcome;
        };
        let Lifecycle::Succeeded {
            outputs,
            expires_at,
        } = &answer.lifecycle
        else {
            return Outcome::Video(answer);
        };
        let _permit = self
            .inner
            .copies
            .acquire()
            .await
            .expect("the copy semaphore is never closed");
        let mut kept = Vec::with_capacity(outputs.len());
        for (index, output) in outputs.iter().enumerate() {
            match self.keep_one(custody, job, index, output, provider).await {
                Ok(one) => kept.push(one),
                Err(Failed::Deferred(wait)) => return Outcome::Deferred(wait),
                Err(Failed::Never(message)) => {
                    warn!(job = %job, "the video cannot be kept: {message}");
                    return Outcome::Undeliverable(format!(
                        "the provider reports the video completed, but its content answers {message}"
                    ));
                }
                Err(Failed::Later(message)) => {
                    warn!(job = %job, "could not keep output {index}: {message}");
                    return Outcome::NotKept {
                        message,
                        expires_at: *expires_at,
                    };
                }
            }
        }
        if let Some(retention) = custody.retention {
            if let Err(e) = self
                .inner
                .store
                .schedule_deletion(job, kept.len(), retention)
                .await
            {
                return Outcome::NotKept {
                    message: format!("could not schedule its deletion: {e}"),
                    expires_at: *expires_at,
                };
            }
        }
        let total: u64 = kept.iter().map(|k| k.bytes).sum();
        info!(
            job = %job,
            "📦 Kept {} output(s), {total} bytes",
            kept.len()
        );
        Outcome::Video(Answer {
            kept: Some(kept),
            ..answer
        })
    }

    /// Keeps output `index`: adopts the object a dead worker finished, or copies it.
    async fn keep_one(
        &self,
        custody: &Custody,
        job: &JobRef,
        index: usize,
        output: &Output,
        provider: &GatedProvider,
    ) -> Result<Kept, Failed> {
        provider
            .gate
            .budget(CallKind::Read)
            .await
            .map_err(Failed::Deferred)?;
        let response = match provider.provider.adapter.download(&output.url, None).await {
            Ok(response) => response,
            Err(ProviderError::Rejected { status, message }) => {
                return Err(Failed::Never(format!("{status}: {message}")))
            }
            Err(e) => {
                provider.gate.note_error(&e).await;
                return Err(Failed::Later(e.to_string()));
            }
        };
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .unwrap_or(DEFAULT_TYPE)
            .to_owned();
        let path = custody.store.path(&job.id, index);
        let store_failed = |e: object_store::Error| Failed::Later(format!("content store: {e}"));
        let existing = custody.store.size(&path).await.map_err(store_failed)?;
        if let (Some(size), Some(announced)) = (existing, response.content_length()) {
            if size == announced {
                // A dead worker finished this upload before it could commit the job.
                drop(response);
                let sha256 = custody.store.sha256_of(&path).await.map_err(store_failed)?;
                info!(job = %job, "output {index} was kept before a restart: adopted");
                return Ok(Kept {
                    bytes: size,
                    sha256,
                    content_type,
                });
            }
        }
        custody
            .store
            .put_stream(&path, &content_type, Box::pin(response.bytes_stream()))
            .await
            .map_err(|e| Failed::Later(e.to_string()))
    }
}
