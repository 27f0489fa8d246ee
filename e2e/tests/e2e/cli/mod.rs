//! `relayctl`, the real binary, against a real API process: its commands, the local webhook
//! receiver and `verify`, and the progress bar in a real terminal (tmux).

mod commands;
mod listen;
mod operate;
mod terminal;
mod watch;

use std::collections::HashMap;
use std::process::Command;

use e2e::processes::binary;

/// What one run of relayctl did.
pub(crate) struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout lines as JSON values (`--json`).
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

/// Runs `relayctl args` against `url` with `key` (and `env`), off the terminal.
pub(crate) async fn relayctl(
    url: &str,
    key: Option<&str>,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let mut command = Command::new(binary("relayctl"));
    command
        .args(args)
        .env_clear()
        .env("RELAY_URL", url)
        .env("PATH", "/usr/bin:/bin");
    if let Some(key) = key {
        command.env("RELAY_API_KEY", key);
    }
    let env: HashMap<&str, &str> = env.iter().copied().collect();
    command.envs(env);
    let output = tokio::task::spawn_blocking(move || command.output().expect("relayctl runs"))
        .await
        .unwrap();
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stdout.contains('\u{1b}') && !run.stderr.contains('\u{1b}'),
        "colour codes off the terminal: {}{}",
        run.stdout,
        run.stderr
    );
    run
}
