//! relayctl's commands against a real API process with tenants on and videos kept.

use sha2::{Digest, Sha256};

use super::relayctl;
use crate::processes::deploy;

const ADMIN: &str = "admin-key-for-relayctl";

#[tokio::test]
async fn relayctl_submits_follows_downloads_reads_and_administers_through_the_api() {
    let content = tempfile::tempdir().unwrap();
    let store = content.path().to_str().unwrap().to_owned();
    let deployment = deploy(&[
        ("AUTH", "on"),
        ("ADMIN_API_KEY", ADMIN),
        ("CONTENT_STORE", &store),
        ("CONTENT_LINK_SECRET", "relayctl-link-key"),
    ])
    .await;
    let _worker = e2e::processes::Process::spawn("relay-worker", &[], &deployment.env);
    let api = deployment.api.as_str();

    // A tenant, its key shown once.
    let created = relayctl(
        api,
        Some(ADMIN),
        &["tenants", "create", "acme", "--json"],
        &[],
    )
    .await;
    assert_eq!(created.code, Some(0), "{}", created.stderr);
    let tenant = &created.json_lines()[0];
    let key = tenant["apiKey"].as_str().unwrap().to_owned();
    let tenant_id = tenant["tenantId"].as_str().unwrap().to_owned();

    // submit --wait --json: the acceptance, then every event of the job, the last one final.
    let run = relayctl(
        api,
        Some(&key),
        &["submit", "a lighthouse at dusk", "--wait", "--json"],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let lines = run.json_lines();
    let job = lines[0]["jobId"].as_str().unwrap().to_owned();
    assert!(lines.len() >= 3, "{lines:?}");
    assert!(lines[1..].iter().all(|e| e["jobId"] == job.as_str()));
    let last = lines.last().unwrap();
    assert_eq!(last["status"], "completed");

    // Human output, and the video downloaded and checked against its SHA-256.
    let file = content.path().join("lighthouse.mp4");
    let file_arg = file.to_str().unwrap();
    let run = relayctl(
        api,
        Some(&key),
        &[
            "submit",
            "sim:bytes=300000 a second lighthouse",
            "--wait",
            "--download",
            file_arg,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("completed"), "{}", run.stdout);
    assert!(run.stdout.contains("▶ http"), "the link: {}", run.stdout);
    assert!(run.stdout.contains("sha256 checked"), "{}", run.stdout);
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes.len(), 300_000);
    let second = run
        .stdout
        .lines()
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    let status = relayctl(api, Some(&key), &["status", &second, "--json"], &[]).await;
    let view = &status.json_lines()[0];
    assert_eq!(view["contentSha256"], hex::encode(Sha256::digest(&bytes)));

    // A job that fails: exit code 1, and the reason.
    let run = relayctl(
        api,
        Some(&key),
        &["submit", "sim:fail please", "--wait"],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("failed"), "{}", run.stdout);

    // Reads.
    let status = relayctl(api, Some(&key), &["status", &job], &[]).await;
    assert_eq!(status.code, Some(0));
    assert!(
        status.stdout.contains("completed") && status.stdout.contains(&job),
        "{}",
        status.stdout
    );
    let stats = relayctl(api, Some(&key), &["stats", "--json"], &[]).await;
    let stats = &stats.json_lines()[0];
    assert_eq!(
        (
            stats["completed_jobs"].as_i64(),
            stats["failed_jobs"].as_i64()
        ),
        (Some(2), Some(1))
    );
    let human = relayctl(api, Some(&key), &["stats"], &[]).await;
    assert!(
        human.stdout.contains("completed") && human.stdout.contains('2'),
        "{}",
        human.stdout
    );
    let deliveries = relayctl(api, Some(&key), &["deliveries", &job, "--json"], &[]).await;
    let list = &deliveries.json_lines()[0];
    assert_eq!(list["jobId"], job.as_str());
    let first = list["deliveries"][0]["deliveryId"]
        .as_str()
        .unwrap()
        .to_owned();
    let human = relayctl(api, Some(&key), &["deliveries", &job], &[]).await;
    assert!(human.stdout.contains(&first), "{}", human.stdout);
    // A finished job cannot be cancelled: the API's 409 reaches the terminal, and the exit code.
    let refused = relayctl(api, Some(&key), &["cancel", &job], &[]).await;
    assert_ne!(refused.code, Some(0));
    assert!(
        refused.stderr.contains("already completed"),
        "{}",
        refused.stderr
    );
    let again = relayctl(api, Some(&key), &["redeliver", &first], &[]).await;
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(again.stdout.contains("due again"));
    let recovered = relayctl(
        api,
        Some(ADMIN),
        &[
            "recover",
            "--since",
            "2026-01-01T00:00:00Z",
            "--until",
            "4102444800",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(recovered.code, Some(0), "{}", recovered.stderr);
    assert_eq!(recovered.json_lines()[0]["requeued"], 0);

    // Errors: the API's code and message, exit code 2.
    let missing = relayctl(
        api,
        Some(&key),
        &["status", "3f0e0000-0000-4000-8000-000000000000"],
        &[],
    )
    .await;
    assert_eq!(missing.code, Some(2));
    assert!(
        missing.stderr.contains("job_not_found"),
        "{}",
        missing.stderr
    );

    // Keys: a rotation stops the old key; a new one can be revoked.
    let rotated = relayctl(
        api,
        Some(ADMIN),
        &["tenants", "rotate-key", &tenant_id, "--json"],
        &[],
    )
    .await;
    let new_key = rotated.json_lines()[0]["apiKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let old = relayctl(api, Some(&key), &["stats"], &[]).await;
    assert_eq!(old.code, Some(2));
    assert!(old.stderr.contains("401"), "{}", old.stderr);
    let key_id = rotated.json_lines()[0]["keyId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        relayctl(api, Some(&new_key), &["stats"], &[]).await.code,
        Some(0)
    );
    let revoked = relayctl(
        api,
        Some(ADMIN),
        &["tenants", "revoke-key", &tenant_id, &key_id],
        &[],
    )
    .await;
    assert_eq!(revoked.code, Some(0), "{}", revoked.stderr);
    assert_eq!(
        relayctl(api, Some(&new_key), &["stats"], &[]).await.code,
        Some(2)
    );

    let completions = relayctl(api, None, &["completions", "bash"], &[]).await;
    assert!(completions.stdout.contains("relayctl") && completions.stdout.contains("submit"));
}
