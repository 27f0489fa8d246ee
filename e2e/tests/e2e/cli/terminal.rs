//! `relayctl submit --wait` in a real terminal (tmux): a progress bar that moves as the job's
//! events arrive, ending with the video's link and exit code 0.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use e2e::processes::{binary, Process};

use crate::processes::deploy;

fn tmux(args: &[&str]) -> String {
    let output = Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux (scripts/test installs it)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn submit_wait_shows_a_moving_bar_in_a_terminal_and_ends_with_the_link() {
    let deployment = deploy(&[
        ("SIM_RUNNING_MS", "4000"),
        ("POLL_INITIAL_INTERVAL_MS", "200"),
        ("POLL_MAX_INTERVAL_MS", "400"),
    ])
    .await;
    let _worker = Process::spawn("relay-worker", &[], &deployment.env);
    let session = format!("relayctl-{}", std::process::id());
    let command = format!(
        "RELAY_URL={} {} submit 'a bar in a terminal' --wait; echo EXIT=$?; sleep 60",
        deployment.api,
        binary("relayctl").display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "140",
        "-y",
        "20",
        &command,
    ]);
    let _cleanup = Kill(session.clone());
    let mut percentages = BTreeSet::new();
    let mut bars = 0;
    let deadline = Instant::now() + Duration::from_secs(40);
    let screen = loop {
        let screen = tmux(&["capture-pane", "-p", "-t", &session]);
        for line in screen
            .lines()
            .filter(|l| l.contains('[') && l.contains('%'))
        {
            bars += 1;
            if let Some(percent) = line
                .split('%')
                .next()
                .and_then(|before| before.split_whitespace().last())
                .and_then(|n| n.parse::<u32>().ok())
            {
                percentages.insert(percent);
            }
        }
        if screen.contains("EXIT=") {
            break screen;
        }
        assert!(
            Instant::now() < deadline,
            "relayctl did not finish: {screen}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!("the terminal at the end:\n{screen}\npercentages seen: {percentages:?}");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("▶ http"), "the link: {screen}");
    assert!(screen.contains('█'), "a drawn bar: {screen}");
    assert!(
        bars > 3,
        "the bar was on screen while the job ran: {screen}"
    );
    assert!(
        percentages.len() >= 3 && percentages.contains(&100),
        "the bar moved: {percentages:?}"
    );
}

/// Ends the tmux session when the test ends, however it ends.
struct Kill(String);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}
