//! Script cost: a fixed sequence of the worker's Redis calls — claims of `batch` jobs, each batch
//! committed in two group commits, every job's progress moving on every poll, every poll
//! re-scheduling its job due at once — with nothing in it that depends on timing, so the Redis
//! work it causes is the same on every run. `scripts/script-cost` runs it against a redis-server
//! under callgrind and prints Redis's instructions per poll cycle: a figure for a script change that
//! this VM's speed drift cannot blur (a rate moves ±20% between runs here; this, ±0.3%).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use relay_shared::job::{JobStatus, NewJob, PollState, ProviderRef, Sample};
use relay_shared::store::layout::new_job_id;
use relay_shared::store::{PollCommit, Queue, Store};
use relay_shared::Settings;
use serde_json::{json, Value};

use crate::figures::round;
use crate::redis_server::BenchRedis;

#[derive(Clone, Copy, Debug)]
pub struct ScriptCost {
    pub jobs: usize,
    pub rounds: usize,
    /// Jobs per claim; each claim's jobs are committed in two halves.
    pub batch: usize,
}

pub async fn run(redis: &BenchRedis, cost: ScriptCost) -> anyhow::Result<Value> {
    anyhow::ensure!(cost.jobs >= cost.batch, "--jobs must be at least --batch");
    redis.flush().await?;
    let env: HashMap<String, String> = [
        ("REDIS_URL", redis.url.as_str()),
        // One partition: every claim and commit of the sequence meets the same schedule.
        ("JOB_PARTITIONS", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    // A prefix of its own (of a fixed length), so that runs against a shared `--redis-url` never meet.
    .chain([(
        "REDIS_KEY_PREFIX".to_owned(),
        format!("script-cost-{}", &new_job_id()[..8]),
    )])
    .collect();
    let store = Store::connect(&Settings::from_sources(None, &env)?)?;
    let job = NewJob::new("bench", "script cost");
    for i in 0..cost.jobs {
        store
            .create_job(&format!("00000000-0000-4000-8000-{i:012x}"), &job)
            .await?;
    }

    let lease = Duration::from_secs(30);
    let cpu = redis.cpu_seconds().await?;
    for round in 0..cost.rounds {
        let token: Arc<str> = format!("script-cost.{round}").into();
        let claim = store
            .claim(
                Queue::Jobs,
                0,
                cost.batch,
                lease,
                &token,
                relay_worker::CLAIM_FIELDS,
            )
            .await?;
        anyhow::ensure!(
            claim.items.len() == cost.batch,
            "claimed {} jobs, not {}",
            claim.items.len(),
            cost.batch
        );
        let commits = claim
            .items
            .iter()
            .map(|item| {
                let stored = item.values[0]
                    .as_deref()
                    .and_then(PollState::decode)
                    .ok_or_else(|| anyhow::anyhow!("job {} has no readable state", item.job))?;
                let state = PollState {
                    status: JobStatus::Processing,
                    progress: (stored.progress + 1).min(99),
                    interval_ms: Some(1_000),
                    since: stored.since.or(Some(Sample {
                        at_ms: claim.now_ms,
                        progress: 1,
                    })),
                    provider_job: stored
                        .provider_job
                        .clone()
                        .or(Some(ProviderRef::new("openai", &format!("video_{round}")))),
                    ..stored.clone()
                };
                Ok(PollCommit {
                    job: item.job.clone(),
                    token: token.clone(),
                    next_poll: Some(Duration::ZERO),
                    claimed_status: stored.status,
                    state,
                    state_changed: true,
                    changed: true,
                    milestone: false,
                    webhook_body: None,
                    fields: Vec::new(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let (first, second) = commits.split_at(cost.batch / 2);
        for half in [first, second] {
            store.commit_polls(0, half).await?;
        }
    }
    let cycles = cost.rounds * cost.batch;
    let cpu_us = (redis.cpu_seconds().await? - cpu) * 1e6 / cycles as f64;
    redis.flush().await?;
    Ok(json!({
        "workload": "script_cost",
        "jobs": cost.jobs,
        "rounds": cost.rounds,
        "batch": cost.batch,
        "cycles": cycles,
        "redis_cpu_us_per_cycle": round(cpu_us, 2),
    }))
}
