//! The Lua scripts, compiled in, each with the shared clock prelude prepended.

use std::collections::HashSet;
use std::sync::LazyLock;

use redis::Script;

const PRELUDE: &str = include_str!("prelude.lua");

fn load(body: &str) -> Script {
    Script::new(&format!("{PRELUDE}\n{body}"))
}

pub static CREATE_JOB: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("jobs/create_job.lua")));
pub static CLAIM: LazyLock<Script> = LazyLock::new(|| load(include_str!("lease/claim.lua")));
pub static COMMIT_POLLS: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("polls/commit_polls.lua")));
pub static FORCE_POLL: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("jobs/force_poll.lua")));
pub static GUARDED_SET: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("lease/guarded_set.lua")));
pub static PROVIDER_BUDGET: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("budget/provider_budget.lua")));
pub static PROVIDER_PAUSE: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("budget/provider_pause.lua")));
pub static ADMIT: LazyLock<Script> = LazyLock::new(|| load(include_str!("budget/admit.lua")));
pub static REQUEUE: LazyLock<Script> = LazyLock::new(|| load(include_str!("outbox/requeue.lua")));
pub static RENEW: LazyLock<Script> = LazyLock::new(|| load(include_str!("lease/renew.lua")));
pub static RELEASE: LazyLock<Script> = LazyLock::new(|| load(include_str!("lease/release.lua")));
pub static FINISH_DELIVERY: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("outbox/finish_delivery.lua")));
pub static ISSUE_KEY: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("tenants/issue_key.lua")));
pub static REVOKE_KEY: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("tenants/revoke_key.lua")));
pub static TRIM_DEAD_LETTERS: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("outbox/trim_dead_letters.lua")));
pub static RESERVE_ACTIVE: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("tenants/reserve_active.lua")));
pub static SUBMISSION_UNKNOWN: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("polls/submission_unknown.lua")));
pub static SETTLE: LazyLock<Script> = LazyLock::new(|| load(include_str!("jobs/settle.lua")));
pub static TAKE_TOKEN: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("tenants/take_token.lua")));

/// Whether the script with this SHA-1 (hex) may run twice for one call: every script but those
/// whose second run would misreport the first (a fenced commit finds its claim already cleared
/// and says it was lost) or do the work again (a second API key issued).
pub fn is_repeatable(sha: &[u8]) -> bool {
    static ONCE_ONLY: LazyLock<HashSet<String>> = LazyLock::new(|| {
        [&COMMIT_POLLS, &FINISH_DELIVERY, &ISSUE_KEY, &REVOKE_KEY]
            .into_iter()
            .map(|script| script.get_hash().to_owned())
            .collect()
    });
    std::str::from_utf8(sha).is_ok_and(|sha| !ONCE_ONLY.contains(sha))
}
