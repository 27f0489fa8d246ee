//! What the dashboard's Providers view reads of one provider, in one pipelined round trip: its
//! pauses, the requests its budget let go this minute and the last (the budget's per-minute
//! series), its in-flight and waiting jobs, and per model the recent run times (for p50/p95) and
//! the circuit breaker. Read only: nothing here moves a breaker or takes from a budget.

use std::collections::BTreeMap;

use redis::AsyncCommands;

use super::layout::Keyspace;
use super::runtimes::RUNTIME_SAMPLES;
use super::{Store, StoreResult};
use crate::config::Target;

/// One provider as the Providers view shows it (times are Redis ms).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProviderView {
    pub paused_until_ms: Option<i64>,
    pub quota_paused_until_ms: Option<i64>,
    /// Requests the budget let go, by kind (`create`, `read`): this minute, and the one before.
    pub this_minute: BTreeMap<String, u64>,
    pub last_minute: BTreeMap<String, u64>,
    pub in_flight: u64,
    pub waiting: u64,
    pub models: Vec<ModelView>,
}

/// One model of a provider.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelView {
    pub model: String,
    /// The latest run times, ms, newest first (up to `RUNTIME_SAMPLES`).
    pub runtimes_ms: Vec<u64>,
    /// The breaker's hash: failures in its window, when it opened (0: closed), until when its one
    /// probe holds.
    pub failures: u64,
    pub opened_ms: i64,
    pub probe_until_ms: i64,
}

impl Store {
    /// `provider` at `now_ms`, with `models` (its default first) and every model that completed a
    /// job lately.
    pub async fn provider_view(
        &self,
        provider: &str,
        models: &[String],
        now_ms: i64,
    ) -> StoreResult<ProviderView> {
        let mut conn = self.conn().await?;
        let keys = &self.keys;
        let mut names: Vec<String> = models.to_vec();
        let seen: Vec<String> = conn.hkeys(keys.runtimes(provider)).await?;
        for model in seen {
            if !names.contains(&model) {
                names.push(model);
            }
        }
        let budget = keys.provider_budget(provider);
        let minute = now_ms.div_euclid(60_000);
        let mut pipe = redis::pipe();
        pipe.cmd("HMGET")
            .arg(&budget)
            .arg("paused_until")
            .arg("quota_until")
            .cmd("HGETALL")
            .arg(Keyspace::minute_of(&budget, minute))
            .cmd("HGETALL")
            .arg(Keyspace::minute_of(&budget, minute - 1))
            .cmd("ZCARD")
            .arg(keys.in_flight(provider))
            .cmd("ZCARD")
            .arg(keys.waiting(provider));
        for model in &names {
            pipe.cmd("LRANGE")
                .arg(keys.runtime_samples(provider, model))
                .arg(0)
                .arg(RUNTIME_SAMPLES as i64 - 1)
                .cmd("HMGET")
                .arg(keys.breaker(&Target::new(provider, model)))
                .arg("failures")
                .arg("opened")
                .arg("probe_until");
        }
        type Head = (
            Vec<Option<i64>>,
            BTreeMap<String, u64>,
            BTreeMap<String, u64>,
            u64,
            u64,
        );
        let mut replies: Vec<redis::Value> = pipe.query_async(&mut conn).await?;
        let rest = replies.split_off(5);
        let head: Head = redis::FromRedisValue::from_redis_value(redis::Value::Array(replies))?;
        let (pauses, this_minute, last_minute, in_flight, waiting) = head;
        let mut view = ProviderView {
            paused_until_ms: pauses.first().copied().flatten().filter(|t| *t > now_ms),
            quota_paused_until_ms: pauses.get(1).copied().flatten().filter(|t| *t > now_ms),
            this_minute,
            last_minute,
            in_flight,
            waiting,
            models: Vec::new(),
        };
        let mut rest = rest.into_iter();
        for model in names {
            let (Some(samples), Some(breaker)) = (rest.next(), rest.next()) else {
                break;
            };
            let runtimes_ms: Vec<u64> = redis::FromRedisValue::from_redis_value(samples)?;
            let breaker: Vec<Option<i64>> = redis::FromRedisValue::from_redis_value(breaker)?;
            let at = |i: usize| breaker.get(i).copied().flatten().unwrap_or(0);
            view.models.push(ModelView {
                model,
                runtimes_ms,
                failures: at(0).max(0) as u64,
                opened_ms: at(1),
                probe_until_ms: at(2),
            });
        }
        Ok(view)
    }
}

/// The `q`-quantile (0..=1) of `samples` by the nearest-rank method; `None` when empty.
pub fn quantile(samples: &[u64], q: f64) -> Option<u64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_by_nearest_rank() {
        let samples: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(quantile(&samples, 0.5), Some(50));
        assert_eq!(quantile(&samples, 0.95), Some(95));
        assert_eq!(quantile(&[7], 0.95), Some(7));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
