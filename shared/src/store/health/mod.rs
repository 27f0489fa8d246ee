//! Whether a provider's calls fail for a reason retrying cannot fix — our key refused (`auth`), a
//! model it no longer has (`retired`) — as every worker has seen it, for the start-up log and the
//! API's `/readyz`. One small hash per provider (`{provider:<name>}:health`, `health.lua`):
//! `auth` (Redis ms of the last refusal of our key) with `auth:detail`, `ok` (the last answer),
//! `retired:<model>` with its detail, `ok:<model>` (the last create it took). A problem is one
//! whose last failure is later than the last answer: until then every call has failed. Workers
//! write a problem when they meet it and an answer at most every half minute (see the worker's
//! `polling::gate`), so a warning may outlive its fix by that long.

use std::collections::HashMap;

use serde::Serialize;

use super::{scripts, Store, StoreResult};
use crate::time::iso8601_from_ms;

/// A provider whose every call of a kind fails for a reason retrying cannot fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderWarning {
    pub provider: String,
    /// `auth` (our key is refused) or `retired` (the model is gone).
    pub problem: &'static str,
    /// The retired model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// What the provider said, last.
    pub detail: String,
    pub last_failure_at: String,
    /// The last answer (for `retired`: the last create the model took), if any was seen.
    pub last_success_at: Option<String>,
}

/// What a worker saw of a provider.
pub enum Seen<'a> {
    /// Our key was refused.
    KeyRefused { detail: &'a str },
    /// A create named a model the provider does not have.
    Retired { model: &'a str, detail: &'a str },
    /// An answer; for a create, the model that took it.
    Answer { model: Option<&'a str> },
}

impl Store {
    /// Records what a worker saw of `provider`.
    pub async fn note_provider(&self, provider: &str, seen: Seen<'_>) -> StoreResult<()> {
        let (stamped, set): (Vec<String>, Vec<(String, &str)>) = match seen {
            Seen::KeyRefused { detail } => {
                (vec!["auth".into()], vec![("auth:detail".into(), detail)])
            }
            Seen::Retired { model, detail } => (
                vec![format!("retired:{model}")],
                vec![(format!("retired:{model}:detail"), detail)],
            ),
            Seen::Answer { model } => (
                ["ok".to_owned()]
                    .into_iter()
                    .chain(model.map(|m| format!("ok:{m}")))
                    .collect(),
                Vec::new(),
            ),
        };
        let mut conn = self.conn().await?;
        let mut call = scripts::PROVIDER_HEALTH.key(self.keys.provider_health(provider));
        call.arg(stamped.len());
        for field in &stamped {
            call.arg(field);
        }
        for (field, value) in &set {
            call.arg(field).arg(*value);
        }
        let _: i64 = call.invoke_async(&mut conn).await?;
        Ok(())
    }

    /// The warnings about `providers`, in their order: every call refused since the last answer,
    /// or a model whose creates have all been refused as retired.
    pub async fn provider_warnings(&self, providers: &[&str]) -> StoreResult<Vec<ProviderWarning>> {
        let mut conn = self.conn().await?;
        let mut pipe = redis::pipe();
        for provider in providers {
            pipe.hgetall(self.keys.provider_health(provider));
        }
        let hashes: Vec<HashMap<String, String>> = pipe.query_async(&mut conn).await?;
        Ok(providers
            .iter()
            .zip(hashes)
            .flat_map(|(provider, hash)| warnings_of(provider, &hash))
            .collect())
    }
}

fn warnings_of(provider: &str, hash: &HashMap<String, String>) -> Vec<ProviderWarning> {
    let ms = |field: &str| hash.get(field).and_then(|v| v.parse::<i64>().ok());
    let warning = |problem, model: Option<&str>, failed: i64, ok: Option<i64>, detail: &str| {
        ProviderWarning {
            provider: provider.to_owned(),
            problem,
            model: model.map(str::to_owned),
            detail: hash.get(detail).cloned().unwrap_or_default(),
            last_failure_at: iso8601_from_ms(failed),
            last_success_at: ok.map(iso8601_from_ms),
        }
    };
    let mut warnings = Vec::new();
    let ok = ms("ok");
    if let Some(refused) = ms("auth").filter(|at| ok.is_none_or(|ok| *at > ok)) {
        warnings.push(warning("auth", None, refused, ok, "auth:detail"));
    }
    let mut retired: Vec<&str> = hash
        .keys()
        .filter_map(|f| f.strip_prefix("retired:"))
        .filter(|m| !m.ends_with(":detail"))
        .collect();
    retired.sort_unstable();
    for model in retired {
        let failed = ms(&format!("retired:{model}"));
        let took = ms(&format!("ok:{model}"));
        if let Some(failed) = failed.filter(|at| took.is_none_or(|ok| *at > ok)) {
            let detail = format!("retired:{model}:detail");
            warnings.push(warning("retired", Some(model), failed, took, &detail));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_warns_until_an_answer_comes_after_it() {
        let hash = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let refused = hash(&[("auth", "2000"), ("auth:detail", "bad key"), ("ok", "1000")]);
        let w = warnings_of("fal", &refused);
        assert_eq!(
            (w.len(), w[0].problem, w[0].detail.as_str()),
            (1, "auth", "bad key")
        );
        assert!(warnings_of("fal", &hash(&[("auth", "1000"), ("ok", "2000")])).is_empty());
        let gone = hash(&[
            ("ok", "3000"),
            ("retired:veo-2", "2000"),
            ("retired:veo-2:detail", "not found"),
            ("retired:veo-3", "2000"),
            ("ok:veo-3", "2500"),
        ]);
        let w = warnings_of("veo", &gone);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(
            (
                w[0].problem,
                w[0].model.as_deref(),
                w[0].last_success_at.as_deref()
            ),
            ("retired", Some("veo-2"), None)
        );
    }
}
