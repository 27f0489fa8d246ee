//! `relayctl watch`: jobs already running when it starts show at once (it replays the events the
//! relay keeps), and new ones as they come; off a terminal, a line per change of status.

use std::collections::HashMap;
use std::time::Duration;

use e2e::eventually;
use e2e::processes::{binary, Process};

use crate::processes::{deploy, submit};

#[tokio::test]
async fn watch_shows_running_jobs_from_before_it_started_and_new_ones_to_their_end() {
    let deployment = deploy(&[("SIM_RUNNING_MS", "1500")]).await;
    let _worker = Process::spawn("relay-worker", &[], &deployment.env);
    let before = submit(&deployment.api, "running before watch").await;
    eventually(
        Duration::from_secs(10),
        "the first job's first event",
        || async { (!deployment.receiver.for_job(&before).is_empty()).then_some(()) },
    )
    .await;
    let env: HashMap<String, String> = [
        ("RELAY_URL".to_owned(), deployment.api.clone()),
        ("PATH".to_owned(), "/usr/bin:/bin".to_owned()),
    ]
    .into();
    let json = Process::spawn_program(binary("relayctl"), &["watch", "--json"], &env);
    let text = Process::spawn_program(binary("relayctl"), &["watch"], &env);
    let after = submit(&deployment.api, "submitted while watched").await;
    for job in [&before, &after] {
        eventually(
            Duration::from_secs(20),
            "each job's completion in watch --json",
            || async {
                json.output()
                    .iter()
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .any(|e| e["jobId"] == job.as_str() && e["status"] == "completed")
                    .then_some(())
            },
        )
        .await;
        let short = job.split('-').next().unwrap();
        eventually(
            Duration::from_secs(5),
            "each job's completion in watch",
            || async {
                text.output()
                    .iter()
                    .any(|l| l.starts_with(short) && l.contains("completed"))
                    .then_some(())
            },
        )
        .await;
    }
}
