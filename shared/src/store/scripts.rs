//! The Lua scripts, compiled in, each with the shared clock prelude prepended.

use std::collections::HashSet;
use std::sync::LazyLock;

use redis::Script;

const PRELUDE: &str = include_str!("../scripts/prelude.lua");

fn load(body: &str) -> Script {
    Script::new(&format!("{PRELUDE}\n{body}"))
}

pub static CREATE_JOB: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/create_job.lua")));
pub static CLAIM: LazyLock<Script> = LazyLock::new(|| load(include_str!("../scripts/claim.lua")));
pub static COMMIT_POLLS: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/commit_polls.lua")));
pub static FORCE_POLL: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/force_poll.lua")));
pub static GUARDED_SET: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/guarded_set.lua")));
pub static PROVIDER_BUDGET: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/provider_budget.lua")));
pub static PROVIDER_PAUSE: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/provider_pause.lua")));
pub static ADMIT: LazyLock<Script> = LazyLock::new(|| load(include_str!("../scripts/admit.lua")));
pub static REQUEUE: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/requeue.lua")));
pub static RENEW: LazyLock<Script> = LazyLock::new(|| load(include_str!("../scripts/renew.lua")));
pub static RELEASE: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/release.lua")));
pub static FINISH_DELIVERY: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/finish_delivery.lua")));
pub static ISSUE_KEY: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/issue_key.lua")));
pub static REVOKE_KEY: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/revoke_key.lua")));
pub static TRIM_DEAD_LETTERS: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/trim_dead_letters.lua")));
pub static RESERVE_ACTIVE: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/reserve_active.lua")));
pub static SUBMISSION_UNKNOWN: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/submission_unknown.lua")));
pub static SETTLE: LazyLock<Script> = LazyLock::new(|| load(include_str!("../scripts/settle.lua")));
pub static TAKE_TOKEN: LazyLock<Script> =
    LazyLock::new(|| load(include_str!("../scripts/take_token.lua")));

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
