//! The Lua scripts, compiled in, each with the shared clock prelude prepended.

use std::collections::HashSet;
use std::sync::LazyLock;

use redis::Script;

/// What every script starts with: the shared clock (`now_ms`) and helpers.
pub const PRELUDE: &str = include_str!("prelude.lua");

fn load(body: &str) -> Script {
    Script::new(&format!("{PRELUDE}\n{body}"))
}

/// Declares each script once: its name and its file (beside the store module that calls it).
macro_rules! scripts {
    ($($name:ident = $file:literal;)*) => {
        $(pub static $name: LazyLock<Script> = LazyLock::new(|| load(include_str!($file)));)*
    };
}

scripts! {
    CREATE_JOB = "jobs/create_job.lua";
    CONTENT_DELETED = "content/content_deleted.lua";
    SCHEDULE_DELETION = "content/schedule_deletion.lua";
    CLAIM = "lease/claim.lua";
    COMMIT_POLLS = "polls/commit_polls.lua";
    FORCE_POLL = "jobs/force_poll.lua";
    GUARDED_SET = "lease/guarded_set.lua";
    PROVIDER_BUDGET = "budget/provider_budget.lua";
    PROVIDER_PAUSE = "budget/provider_pause.lua";
    ADMIT = "budget/admit.lua";
    RECORD_RUNTIME = "runtimes/record_runtime.lua";
    REQUEUE = "outbox/requeue.lua";
    RENEW = "lease/renew.lua";
    RELEASE = "lease/release.lua";
    FINISH_DELIVERY = "outbox/finish_delivery.lua";
    ISSUE_KEY = "tenants/issue_key.lua";
    REVOKE_KEY = "tenants/revoke_key.lua";
    TRIM_DEAD_LETTERS = "outbox/trim_dead_letters.lua";
    RESERVE_ACTIVE = "tenants/reserve_active.lua";
    SUBMISSION_UNKNOWN = "polls/submission_unknown.lua";
    SETTLE = "jobs/settle.lua";
    TAKE_TOKEN = "tenants/take_token.lua";
    BREAKER = "breaker/breaker.lua";
    PROVIDER_HEALTH = "health/health.lua";
}

/// Whether the script with this SHA-1 (hex) may run twice for one call: every script but those
/// whose second run would misreport the first (a fenced commit finds its claim already cleared
/// and says it was lost) or do the work again (a second API key issued).
pub fn is_repeatable(sha: &[u8]) -> bool {
    static ONCE_ONLY: LazyLock<HashSet<String>> = LazyLock::new(|| {
        [
            &COMMIT_POLLS,
            &FINISH_DELIVERY,
            &ISSUE_KEY,
            &REVOKE_KEY,
            &BREAKER,
        ]
        .into_iter()
        .map(|script| script.get_hash().to_owned())
        .collect()
    });
    std::str::from_utf8(sha).is_ok_and(|sha| !ONCE_ONLY.contains(sha))
}
