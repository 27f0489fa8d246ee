//! A job's submission as the worker needs it: the prompt and create parameters (read only when the
//! job is submitted), and what became of a submission whose answer was lost — the mark saying
//! nobody can tell (with its `submissions_unknown` counters) and an operator's decision.

use crate::config::Target;
use crate::job::Attempt;
use crate::store::layout::field;
use crate::store::{scripts, JobRef, Store, StoreResult};

/// A job's submission: its prompt and the optional parameters of the create request.
#[derive(Clone, Debug)]
pub struct Submission {
    pub prompt: String,
    /// The provider the job names (absent in jobs stored before jobs named one).
    pub provider: Option<String>,
    pub model: Option<String>,
    pub seconds: Option<String>,
    pub size: Option<String>,
    /// Compact JSON of the client's `options` object.
    pub options: Option<String>,
    /// When an earlier submission was attempted, if its outcome is unknown.
    pub submit_at_ms: Option<i64>,
    /// Since when nobody can tell whether that attempt created a video (its mark is set).
    pub unknown_since_ms: Option<i64>,
    /// An operator's decision on the unknown submission, to carry out now.
    pub settle: Option<Settle>,
    /// The job's route, when it has one (`ROUTES`).
    pub route: Option<String>,
    /// The targets it left on its route.
    pub attempts: Vec<Attempt>,
}

/// Where a routed job is on its route: the route, the target it is at, the targets it left.
#[derive(Clone, Debug, PartialEq)]
pub struct Routing {
    pub route: String,
    pub current: Target,
    pub left: Vec<Attempt>,
}

impl Routing {
    fn from_fields(
        route: Option<String>,
        provider: Option<&str>,
        model: Option<&str>,
        left: Vec<Attempt>,
    ) -> Option<Self> {
        Some(Self {
            route: route?,
            current: Target::new(
                provider.unwrap_or(crate::provider::registry::DEFAULT),
                model?,
            ),
            left,
        })
    }

    /// Every target the job has been at, the current one included.
    pub fn tried(&self) -> Vec<Target> {
        self.left
            .iter()
            .map(Attempt::target)
            .chain([self.current.clone()])
            .collect()
    }
}

impl Submission {
    /// Where the job is on its route, when it has one.
    pub fn routing(&self) -> Option<Routing> {
        Routing::from_fields(
            self.route.clone(),
            self.provider.as_deref(),
            self.model.as_deref(),
            self.attempts.clone(),
        )
    }
}

/// What an operator decided for a submission nobody can tell the outcome of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settle {
    /// The provider did create this video: adopt it.
    Adopt(String),
    /// It did not (or a second video is acceptable): submit again.
    Resubmit,
}

impl Settle {
    /// The stored form (the job's `settle` field).
    pub fn encode(&self) -> String {
        match self {
            Settle::Adopt(id) => format!("adopt {id}"),
            Settle::Resubmit => "resubmit".to_owned(),
        }
    }

    pub fn decode(text: &str) -> Option<Self> {
        match text.split_once(' ') {
            Some(("adopt", id)) if !id.is_empty() => Some(Settle::Adopt(id.to_owned())),
            None if text == "resubmit" => Some(Settle::Resubmit),
            _ => None,
        }
    }
}

impl Store {
    /// What submitting a job to the provider needs beyond what its claim returned; read only when
    /// it is submitted. `None` when the job (or its prompt) is gone.
    pub async fn submission(&self, job: &JobRef) -> StoreResult<Option<Submission>> {
        let mut conn = self.conn().await?;
        let values: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.keys.job(job.partition, &job.id))
            .arg(&[
                field::PROMPT,
                field::PROVIDER,
                field::MODEL,
                field::SECONDS,
                field::SIZE,
                field::OPTIONS,
                field::SUBMIT_AT,
                field::SUBMISSION_UNKNOWN,
                field::SETTLE,
                field::ROUTE,
                field::ATTEMPTS,
            ])
            .query_async(&mut conn)
            .await?;
        let mut values = values.into_iter().map(|v| v.filter(|s| !s.is_empty()));
        let mut next = || values.next().flatten();
        let Some(prompt) = next() else {
            return Ok(None);
        };
        Ok(Some(Submission {
            prompt,
            provider: next(),
            model: next(),
            seconds: next(),
            size: next(),
            options: next(),
            submit_at_ms: next().and_then(|t| t.parse().ok()),
            unknown_since_ms: next().and_then(|t| t.parse().ok()),
            settle: next().as_deref().and_then(Settle::decode),
            route: next(),
            attempts: next()
                .as_deref()
                .map(Attempt::decode_all)
                .unwrap_or_default(),
        }))
    }

    /// Where a job is on its route (`None`: it has none, or is gone): read when a video the
    /// provider accepted fails, which may move the job on.
    pub async fn routing(&self, job: &JobRef) -> StoreResult<Option<Routing>> {
        let mut conn = self.conn().await?;
        let values: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.keys.job(job.partition, &job.id))
            .arg(&[field::ROUTE, field::PROVIDER, field::MODEL, field::ATTEMPTS])
            .query_async(&mut conn)
            .await?;
        let mut values = values.into_iter().map(|v| v.filter(|s| !s.is_empty()));
        let mut next = || values.next().flatten();
        let (route, provider, model, attempts) = (next(), next(), next(), next());
        Ok(Routing::from_fields(
            route,
            provider.as_deref(),
            model.as_deref(),
            attempts
                .as_deref()
                .map(Attempt::decode_all)
                .unwrap_or_default(),
        ))
    }

    /// Marks (`Some(since)`) or clears (`None`) a claimed job's unknown submission, with its
    /// counters. False when the claim was lost.
    pub async fn mark_submission_unknown(
        &self,
        job: &JobRef,
        token: &str,
        since_ms: Option<i64>,
    ) -> StoreResult<bool> {
        let partition = job.partition;
        let mut conn = self.conn().await?;
        let done: i64 = scripts::SUBMISSION_UNKNOWN
            .key(self.keys.job(partition, &job.id))
            .key(self.keys.stats(partition))
            .arg(token)
            .arg(if since_ms.is_some() { "mark" } else { "clear" })
            .arg(since_ms.unwrap_or(0))
            .arg(self.keys.tenant_stats_prefix(partition))
            .invoke_async(&mut conn)
            .await?;
        Ok(done == 1)
    }
}
