//! `relayctl tenants create|rotate-key|revoke-key`: the administrator's tenant commands.

use std::process::ExitCode;

use reqwest::Method;
use serde_json::{json, Value};

use crate::client::Client;
use crate::output::{self, paint, text, BOLD, DIM, GOOD};

#[derive(clap::Subcommand)]
pub enum Tenants {
    /// A new tenant and its first API key (shown once).
    Create {
        /// Who the tenant is.
        name: String,
        /// Where its jobs' webhooks go, unless a job names its own.
        #[arg(long)]
        webhook_url: Option<String>,
        /// What its jobs' webhooks are signed with (default: the relay's WEBHOOK_SECRET).
        #[arg(long)]
        webhook_secret: Option<String>,
    },
    /// A new key for a tenant (shown once); its other keys stop working unless --keep-others.
    RotateKey {
        tenant: String,
        #[arg(long)]
        keep_others: bool,
    },
    /// Revokes one of a tenant's keys.
    RevokeKey { tenant: String, key: String },
}

pub async fn run(client: &Client, command: Tenants, json: bool) -> anyhow::Result<ExitCode> {
    let answer = match command {
        Tenants::Create {
            name,
            webhook_url,
            webhook_secret,
        } => {
            let mut body = json!({ "name": name });
            if let Some(url) = webhook_url {
                body["webhookUrl"] = json!(url);
            }
            if let Some(secret) = webhook_secret {
                body["webhookSecret"] = json!(secret);
            }
            client.post("/api/admin/tenants", &body).await?
        }
        Tenants::RotateKey {
            tenant,
            keep_others,
        } => {
            client
                .post(
                    &format!("/api/admin/tenants/{tenant}/keys"),
                    &json!({ "revokeOthers": !keep_others }),
                )
                .await?
        }
        Tenants::RevokeKey { tenant, key } => {
            let path = format!("/api/admin/tenants/{tenant}/keys/{key}");
            client.call(Method::DELETE, &path, None).await?;
            if json {
                output::json(&json!({ "tenantId": tenant, "keyId": key, "revoked": true }));
            } else {
                output::line(format!(
                    "{} key {key} of {tenant} revoked",
                    paint(GOOD, "✔")
                ));
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    if json {
        output::json(&answer);
    } else {
        print_key(&answer);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_key(answer: &Value) {
    output::rows(&[
        ("tenant", paint(BOLD, text(answer, "tenantId"))),
        ("key id", text(answer, "keyId")),
        ("api key", paint(GOOD, text(answer, "apiKey"))),
    ]);
    output::line(paint(
        DIM,
        "The key is shown this once: keep it (RELAY_API_KEY=…).",
    ));
}
