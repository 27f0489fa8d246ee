//! The webhook body's bytes and both signature schemes, against published vectors.

use super::*;

fn completed() -> WebhookEvent<'static> {
    WebhookEvent {
        job_id: "job-123",
        provider_job_id: Some("video_abc123"),
        status: JobStatus::Completed,
        progress: 100,
        video_url: Some("https://api.openai.com/v1/videos/video_abc123/content"),
        content_expires_at: Some(1234567890),
        error: None,
        timestamp: "2024-01-25T10:05:00.000Z".into(),
        progress_source: ProgressSource::Provider,
        content_sha256: None,
        content_bytes: None,
        content_type: None,
        attempts: None,
    }
}

#[test]
fn body_has_the_documented_keys_in_order() {
    assert_eq!(
        completed().to_body(),
        r#"{"jobId":"job-123","soraJobId":"video_abc123","status":"completed","progress":100,"videoUrl":"https://api.openai.com/v1/videos/video_abc123/content","contentExpiresAt":1234567890,"timestamp":"2024-01-25T10:05:00.000Z","progressSource":"provider"}"#
    );
    let kept = WebhookEvent {
        video_url: Some("https://relay.example/api/videos/job-123/content?expires=9&sig=s"),
        content_expires_at: None,
        content_sha256: Some("ab12"),
        content_bytes: Some(1024),
        content_type: Some("video/mp4"),
        ..completed()
    };
    assert_eq!(
        kept.to_body(),
        r#"{"jobId":"job-123","soraJobId":"video_abc123","status":"completed","progress":100,"videoUrl":"https://relay.example/api/videos/job-123/content?expires=9&sig=s","timestamp":"2024-01-25T10:05:00.000Z","progressSource":"provider","contentSha256":"ab12","contentBytes":1024,"contentType":"video/mp4"}"#
    );
    let queued = WebhookEvent {
        provider_job_id: None,
        status: JobStatus::Queued,
        progress: 0,
        video_url: None,
        content_expires_at: None,
        progress_source: ProgressSource::Estimated,
        ..completed()
    };
    assert_eq!(
        queued.to_body(),
        r#"{"jobId":"job-123","soraJobId":null,"status":"queued","progress":0,"timestamp":"2024-01-25T10:05:00.000Z","progressSource":"estimated"}"#
    );
}

#[test]
fn reserialising_the_parsed_body_gives_the_same_bytes() {
    // What `JSON.stringify(req.body)` does after `express.json()`: parse, keep key order, write
    // compactly. Awkward characters in the error message must survive the round trip too.
    let event = WebhookEvent {
        status: JobStatus::Failed,
        error: Some("Sora said \"no\" \u{1}\n/ünïcødé \u{2028} 🎬"),
        video_url: None,
        content_expires_at: None,
        ..completed()
    };
    let body = event.to_body();
    let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(serde_json::to_string(&parsed).unwrap(), body);
}

/// A routed job's move: its attempts at the end of the body, in the status view's shape.
#[test]
fn a_move_carries_the_attempts_at_the_end() {
    let attempts = [
        crate::job::Attempt {
            provider: "fal".into(),
            model: "fal-ai/kling-video/v2.1".into(),
            provider_job_id: None,
            outcome: "quota".into(),
            error: Some("provider quota exhausted: no credit".into()),
        },
        crate::job::Attempt {
            provider: "replicate".into(),
            model: "minimax/video-01".into(),
            provider_job_id: None,
            outcome: "queued".into(),
            error: None,
        },
    ];
    let moved = WebhookEvent {
        provider_job_id: None,
        status: JobStatus::Queued,
        progress: 0,
        video_url: None,
        content_expires_at: None,
        attempts: Some(&attempts),
        ..completed()
    };
    assert_eq!(
        moved.to_body(),
        r#"{"jobId":"job-123","soraJobId":null,"status":"queued","progress":0,"timestamp":"2024-01-25T10:05:00.000Z","progressSource":"provider","attempts":[{"provider":"fal","model":"fal-ai/kling-video/v2.1","providerJobId":null,"outcome":"quota","error":"provider quota exhausted: no credit"},{"provider":"replicate","model":"minimax/video-01","providerJobId":null,"outcome":"queued"}]}"#
    );
}

#[test]
fn standard_signature_matches_the_published_test_vector() {
    // From the Standard Webhooks reference implementation's tests.
    let keys = SigningKeys::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
        .unwrap()
        .unwrap();
    assert_eq!(
        keys.standard(
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            br#"{"email":"test@example.com","username":"test_user"}"#
        ),
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    );
}

#[test]
fn rotation_signs_with_every_secret_and_each_verifies() {
    let old = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let new = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let keys = SigningKeys::parse(&format!("{new} {old}"))
        .unwrap()
        .unwrap();
    let now = crate::time::now_unix_secs();
    let header = keys.standard("evt_1", now, b"{}");
    assert_eq!(header.split(' ').count(), 2);
    for secret in [old, new] {
        assert!(verify_standard(
            secret,
            b"{}",
            "evt_1",
            &now.to_string(),
            &header
        ));
    }
    assert!(!verify_standard(
        "whsec_dGhpcyBpcyBub3QgaXQ=",
        b"{}",
        "evt_1",
        &now.to_string(),
        &header
    ));
    assert!(!verify_standard(
        new,
        b"{ }",
        "evt_1",
        &now.to_string(),
        &header
    ));
    assert!(SigningKeys::parse("whsec_not*base64").is_err());
    assert!(SigningKeys::parse("  ").unwrap().is_none());
}

#[test]
fn a_plain_secret_keys_both_schemes_with_its_bytes() {
    let keys = SigningKeys::parse("your-secret-key").unwrap().unwrap();
    assert_eq!(keys.original(b"{}"), sign(b"your-secret-key", b"{}"));
    let now = crate::time::now_unix_secs();
    let header = keys.standard("evt_2", now, b"{}");
    assert!(verify_standard(
        "your-secret-key",
        b"{}",
        "evt_2",
        &now.to_string(),
        &header
    ));
}

#[test]
fn signature_is_hex_hmac_sha256_of_the_body() {
    // RFC 4231 test case 2.
    assert_eq!(
        sign(b"Jefe", b"what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let sig = sign(b"secret", b"{}");
    assert!(verify(b"secret", b"{}", &sig));
    assert!(!verify(b"secret", b"{ }", &sig));
    assert!(!verify(b"other", b"{}", &sig));
    assert!(!verify(b"secret", b"{}", "not hex"));
}
