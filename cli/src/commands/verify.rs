//! `relayctl verify FILE`: checks a saved webhook request's signatures (as `listen --save` writes
//! them). Exit code 0 when every signature it carries verifies, 1 otherwise.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use crate::output::{self, paint, BAD, GOOD, WARN};
use crate::saved::Request;

#[derive(clap::Args)]
pub struct Verify {
    /// The saved request: its request line, headers, a blank line, then the body.
    file: PathBuf,
    /// The webhook secret(s) it was signed with, space-separated during a rotation.
    #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true)]
    secret: String,
}

/// A receiver refuses a signature older than this (Standard Webhooks' tolerance).
pub const TOLERANCE_SECS: u64 = 300;

impl Verify {
    pub fn run(self, json: bool) -> anyhow::Result<ExitCode> {
        let bytes = std::fs::read(&self.file)
            .with_context(|| format!("cannot read {}", self.file.display()))?;
        let request = Request::parse(&bytes)
            .with_context(|| format!("{} is not a saved request", self.file.display()))?;
        let checks = request.check(&self.secret, chrono::Utc::now().timestamp())?;
        if json {
            output::json(&json!({
                "file": self.file,
                "xSignature": checks.original,
                "webhookSignature": checks.standard,
                "ageSecs": checks.age.map(|a| a.as_secs()),
                "valid": checks.all_good(),
            }));
        } else {
            for (name, result) in [
                ("x-signature", checks.original),
                ("webhook-signature", checks.standard),
            ] {
                let verdict = match result {
                    Some(true) => paint(GOOD, "✔ valid"),
                    Some(false) => paint(BAD, "✘ does not match"),
                    None => paint(WARN, "- absent"),
                };
                output::line(format!("{name:<18} {verdict}"));
            }
            if let Some(age) = checks.age {
                let note = if age.as_secs() > TOLERANCE_SECS {
                    " (older than a receiver's 5-minute tolerance: a live receiver would refuse it)"
                } else {
                    ""
                };
                output::line(format!("{:<18} {}s ago{note}", "signed", age.as_secs()));
            }
        }
        Ok(if checks.all_good() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
