//! `relayctl`: the sora-relay command line. It talks to the REST API only (`RELAY_URL`,
//! `RELAY_API_KEY`), as any client would: submit a job and follow it live, read a job, the stats
//! and the deliveries, poll or cancel a job, act on dead letters, see the providers, manage
//! tenants; and, on your machine, receive webhooks and check their signatures (`listen`,
//! `verify`).
//!
//! Output: human-readable, coloured only at a terminal (never with `NO_COLOR`); `--json` on every
//! read command prints the API's JSON (one object per line for streams), for scripts.

mod client;
mod commands;
mod output;
mod saved;

use relayctl::events;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use client::Client;

#[derive(Parser)]
#[command(name = "relayctl", version, about = "The sora-relay command line")]
struct Cli {
    /// The relay's API.
    #[arg(
        long,
        env = "RELAY_URL",
        default_value = "http://localhost:3001",
        global = true
    )]
    url: String,
    /// An API key: a tenant's, or the administrator's (ADMIN_API_KEY). Not needed with AUTH=off.
    #[arg(long, env = "RELAY_API_KEY", hide_env_values = true, global = true)]
    api_key: Option<String>,
    /// Print the API's JSON instead of text (one object per line for streams).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Submit a video job; with --wait, follow it live to its end.
    Submit(commands::submit::Submit),
    /// A job's status.
    Status {
        /// The job's id.
        job: String,
    },
    /// Cancel a job: its video is stopped at the provider where it can be; it ends `cancelled`.
    Cancel {
        /// The job's id.
        job: String,
    },
    /// Poll a job now (its next poll is due at once).
    Poll {
        /// The job's id.
        job: String,
    },
    /// The job counters (a tenant's own, or the deployment's).
    Stats,
    /// The newest dead letters, and the webhook endpoints failing now.
    DeadLetters {
        /// Most dead letters shown (1 to 500).
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Each provider's load against its limits, and per model its circuit and run times.
    Providers,
    /// A live table of running jobs, fed by the event stream (Ctrl-C to stop).
    Watch(commands::watch::Watch),
    /// A job's webhook events and every attempt at delivering them.
    Deliveries {
        /// The job's id.
        job: String,
    },
    /// Send a webhook event again (a delivery id, `<jobId>:<sequence>`, as `deliveries` shows).
    Redeliver {
        /// `<jobId>:<sequence>`.
        delivery: String,
    },
    /// Send again every event dead-lettered in a window (ISO-8601 or unix seconds).
    Recover {
        #[arg(long)]
        since: String,
        #[arg(long)]
        until: String,
    },
    /// Tenants and their keys (the administrator's key).
    #[command(subcommand)]
    Tenants(commands::tenants::Tenants),
    /// Receive webhooks on this machine: verify both signature schemes and print each one.
    Listen(commands::listen::Listen),
    /// Verify a saved webhook request (as `listen --save` writes them).
    Verify(commands::verify::Verify),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            output::error(&format!("{e:#}"));
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let client = || Client::new(&cli.url, cli.api_key.as_deref());
    let json = cli.json;
    use commands::{operate, read, tenants};
    match cli.command {
        Command::Submit(submit) => submit.run(&client()?, json).await,
        Command::Status { job } => read::status(&client()?, &job, json).await,
        Command::Cancel { job } => read::cancel(&client()?, &job, json).await,
        Command::Poll { job } => operate::poll(&client()?, &job, json).await,
        Command::Stats => read::stats(&client()?, json).await,
        Command::DeadLetters { limit } => operate::dead_letters(&client()?, limit, json).await,
        Command::Providers => operate::providers(&client()?, json).await,
        Command::Watch(watch) => watch.run(&client()?, json).await,
        Command::Deliveries { job } => read::deliveries(&client()?, &job, json).await,
        Command::Redeliver { delivery } => read::redeliver(&client()?, &delivery, json).await,
        Command::Recover { since, until } => read::recover(&client()?, &since, &until, json).await,
        Command::Tenants(command) => tenants::run(&client()?, command, json).await,
        Command::Listen(listen) => listen.run(json).await,
        Command::Verify(verify) => verify.run(json),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "relayctl", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    }
}
