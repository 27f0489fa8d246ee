//! Failover along a job's route (`ROUTES`). A routed job is at one target (`provider:model`) at a
//! time; it moves to the next target it has not been at when its target refuses it for a reason
//! another target could avoid:
//! - the create is answered with a refusal that says nothing was made: quota or credit exhausted
//!   (`quota`), the model is gone (`retired`), our key is refused (`auth`);
//! - the target's circuit is open (`circuit_open`): failed creates in a row opened it — checked
//!   before calling (by every job, routed or not), and after a failure that certainly made
//!   nothing (a 429 naming no wait, a connection that could not be made);
//! - its creates have failed for `PROVIDER_FAILURE_MAX_SECS`, the last certainly making nothing
//!   (`provider_down`): where an unrouted job would fail, a routed one moves on;
//! - submissions to the provider are paused because its quota is exhausted (`quota`), seen
//!   before calling;
//! - the provider accepted the job and then failed it for a reason of its own — an internal
//!   error, a transient failure, its quota (`provider_failed`).
//!
//! Never after a create whose outcome is unknown (a timeout, a 5xx, a lost answer): the provider
//! may have made the video, and a second one elsewhere would be paid twice. Such a submission is
//! settled at its provider first (`super::recovery`), as for any job. Nor for a refusal of the
//! job itself (invalid input, moderation): another provider is not shopped silently. A job at
//! the end of its route behaves as an unrouted one (it waits, or fails with the message).
//!
//! Every failed create feeds its target's circuit breaker (shared through Redis), and every job
//! with nothing pending consults it before calling: an open circuit is a call not made. A job
//! that cannot move (unrouted, or at its route's end) takes it as a failed call that certainly
//! made nothing — it waits its backoff and checks again, and its failure streak runs, so
//! `PROVIDER_FAILURE_MAX_SECS` still ends a job whose provider stays down — without a request
//! the provider would only refuse.

use std::time::Duration;

use relay_shared::config::Target;
use relay_shared::job::Attempt;
use relay_shared::provider::{FailureClass, Lifecycle, ProviderError};
use relay_shared::store::{AfterFailure, Circuit, JobRef, Routing};
use relay_shared::telemetry::metrics;
use tracing::{info, warn};

use super::transition::{Move, Outcome};
use crate::Worker;

/// Why a job leaves a target whose create was answered with `error`, when another could avoid it.
pub(super) fn refusal_to_leave(error: &ProviderError) -> Option<&'static str> {
    match error {
        ProviderError::QuotaExhausted { .. } => Some("quota"),
        ProviderError::Retired { .. } => Some("retired"),
        ProviderError::Unauthorized { .. } => Some("auth"),
        _ => None,
    }
}

/// Logs and counts a move once it is committed.
pub(super) fn announce(job: &JobRef, step: &Move, provider: &'static str) {
    let left = step.left.last().map(Attempt::target);
    let from = left.map(|t| t.to_string()).unwrap_or_default();
    info!(job = %job, "🔀 Moved from {from} to {} ({})", step.to, step.reason);
    metrics::route_move(provider, step.reason);
}

/// A create failure that certainly made nothing at the provider.
fn made_nothing(error: &ProviderError) -> bool {
    !matches!(error, ProviderError::Unavailable { .. })
}

impl Worker {
    /// The move of a routed job leaving its target for `reason`; `None` at the end of its route.
    pub(super) fn move_on(
        &self,
        routing: &Routing,
        reason: &'static str,
        error: Option<String>,
        provider_job_id: Option<String>,
    ) -> Option<Move> {
        let to = self
            .inner
            .settings
            .routes
            .next_after(&routing.route, &routing.current, &routing.tried())?
            .clone();
        let estimated = self
            .provider(&to.provider)
            .is_some_and(|p| !p.provider.adapter.capabilities().reports_progress);
        let mut left = routing.left.clone();
        left.push(Attempt {
            provider: routing.current.provider.clone(),
            model: routing.current.model.clone(),
            provider_job_id,
            outcome: reason.to_owned(),
            error,
        });
        Some(Move {
            to,
            left,
            reason,
            estimated,
        })
    }

    /// Before a create at `target`: its circuit, or instead of calling, when it is open, the
    /// job's move past it (`movable`: a routed job with nothing pending), else a failed call that
    /// certainly made nothing.
    pub(super) async fn through_circuit(
        &self,
        target: &Target,
        movable: Option<&Routing>,
    ) -> Result<Circuit, Outcome> {
        let circuit = self.inner.settings.providers.circuit;
        match self.inner.store.check_circuit(target, circuit).await {
            Ok(Circuit::Open(wait)) => {
                let why = format!("the circuit of {target} is open");
                let step = movable.and_then(|r| self.move_on(r, "circuit_open", Some(why), None));
                Err(step.map_or_else(
                    || {
                        Outcome::CreateFailed(ProviderError::Unreachable {
                            message: format!(
                                "not called: the circuit of {target} is open after failed creates in a row; one job probes it in {} s",
                                wait.as_secs()
                            ),
                        })
                    },
                    Outcome::Moved,
                ))
            }
            Ok(seen) => Ok(seen),
            Err(e) => {
                // The commit that follows needs Redis too: calling is no worse than waiting.
                warn!("could not read the circuit of {target} ({e}); calling");
                Ok(Circuit::Closed { failures: 0 })
            }
        }
    }

    /// Feeds a create's result to its target's breaker. A success is written only when the
    /// breaker had something to forget (failures, or this call was the probe), so a healthy
    /// target costs no write. Returns whether the circuit is open now.
    pub(super) async fn note_create(
        &self,
        provider: &'static str,
        target: &Target,
        failure: Option<&ProviderError>,
        seen: Option<Circuit>,
    ) -> bool {
        let store = &self.inner.store;
        let circuit = self.inner.settings.providers.circuit;
        match failure {
            Some(e) if e.is_provider_failure() => {
                match store.circuit_failure(target, circuit).await {
                    Ok(AfterFailure::Closed { .. }) => false,
                    Ok(change) => {
                        let to = if change == AfterFailure::Opened {
                            "opened"
                        } else {
                            "reopened"
                        };
                        warn!("⛔ circuit of {target} {to}: routed jobs move past it for {:?}, then one probes it", circuit.open);
                        metrics::circuit_change(provider, to);
                        true
                    }
                    Err(e) => {
                        warn!("could not record a failure on the circuit of {target}: {e}");
                        false
                    }
                }
            }
            _ => {
                let forget = matches!(
                    seen,
                    Some(Circuit::Probe) | Some(Circuit::Closed { failures: 1.. })
                );
                if forget {
                    match store.circuit_success(target, circuit).await {
                        Ok(()) if seen == Some(Circuit::Probe) => {
                            info!("✅ circuit of {target} closed: the probe got an answer");
                            metrics::circuit_change(provider, "closed");
                        }
                        Ok(()) => {}
                        Err(e) => warn!("could not close the circuit of {target}: {e}"),
                    }
                }
                false
            }
        }
    }

    /// What a routed job's failed create means: a move when another target could avoid the
    /// refusal, else the failure as it is. `failing_for`: how long the job's calls have failed.
    pub(super) fn after_refused_create(
        &self,
        routing: Option<&Routing>,
        error: ProviderError,
        circuit_open: bool,
        failing_for: Duration,
    ) -> Outcome {
        let down =
            error.is_provider_failure() && failing_for >= self.inner.settings.providers.failure_max;
        let reason = refusal_to_leave(&error).or(match made_nothing(&error) {
            true if circuit_open => Some("circuit_open"),
            true if down => Some("provider_down"),
            _ => None,
        });
        match routing.zip(reason).and_then(|(routing, reason)| {
            self.move_on(routing, reason, Some(error.to_string()), None)
        }) {
            Some(step) => Outcome::Moved(step),
            None => Outcome::CreateFailed(error),
        }
    }

    /// A video the provider accepted and then failed for a reason of its own: a routed job moves
    /// on (its route read now: this is rare), any other outcome is as it is.
    pub(super) async fn after_accepted(&self, job: &JobRef, outcome: Outcome) -> Outcome {
        let Outcome::Video(answer) = &outcome else {
            return outcome;
        };
        let Lifecycle::Failed { class, message } = &answer.lifecycle else {
            return outcome;
        };
        if !matches!(
            class,
            FailureClass::Provider | FailureClass::Transient | FailureClass::Quota
        ) {
            return outcome;
        }
        let routing = match self.inner.store.routing(job).await {
            Ok(Some(routing)) => routing,
            Ok(None) => return outcome,
            Err(e) => {
                warn!(job = %job, "could not read the job's route ({e}); it fails where it is");
                return outcome;
            }
        };
        let error = format!("{} failed the video: {message}", routing.current);
        let video = Some(answer.video.id.clone());
        match self.move_on(&routing, "provider_failed", Some(error), video) {
            Some(step) => Outcome::Moved(step),
            None => outcome,
        }
    }
}
