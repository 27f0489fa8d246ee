//! Replicate's callbacks: Standard Webhooks, verified by the `standardwebhooks` crate (constant-time
//! comparison, the 5-minute window both ways). The body is the prediction; its `id` names it.

use reqwest::header::HeaderMap;
use standardwebhooks::{Webhook, WebhookError};

use super::{id_at, Hint, Refused};

pub(super) fn verify(webhook: &Webhook, headers: &HeaderMap, body: &[u8]) -> Result<Hint, Refused> {
    webhook.verify(body, headers).map_err(|e| match e {
        WebhookError::TimestampTooOldError | WebhookError::FutureTimestampError => Refused::Stale,
        WebhookError::InvalidSignature => Refused::BadSignature,
        other => Refused::Malformed(other.to_string()),
    })?;
    Ok(Hint {
        video_id: id_at(body, &["id"])?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    /// A body shaped as Replicate's documented prediction, signed now (the signing itself is
    /// checked against the specification's example below).
    #[test]
    fn a_replicate_signature_verifies_and_a_changed_one_does_not() {
        let secret = "whsec_c29yYS1zaW0gcmVwbGljYXRlIHNpZ25pbmcga2V5IQ==";
        let body = br#"{"id":"gm3qorzdhgbfurvjtvhg6dckhu","status":"succeeded","output":"https://replicate.delivery/x/output.mp4"}"#;
        let now = chrono::Utc::now().timestamp();
        let webhook = Webhook::new(secret).unwrap();
        let signature = webhook.sign("msg_1", now, body).unwrap();
        let headers = |sig: &str, ts: i64| {
            let mut h = HeaderMap::new();
            h.insert("webhook-id", HeaderValue::from_static("msg_1"));
            h.insert(
                "webhook-timestamp",
                HeaderValue::from_str(&ts.to_string()).unwrap(),
            );
            h.insert("webhook-signature", HeaderValue::from_str(sig).unwrap());
            h
        };
        assert_eq!(
            verify(&webhook, &headers(&signature, now), body).unwrap(),
            Hint {
                video_id: "gm3qorzdhgbfurvjtvhg6dckhu".into()
            }
        );
        // Several signatures (a rotated secret): any one that verifies will do.
        let both = format!("v1,AAAA {signature}");
        assert!(verify(&webhook, &headers(&both, now), body).is_ok());
        let tampered = br#"{"id":"gm3qorzdhgbfurvjtvhg6dckhu","status":"failed","output":null}"#;
        assert_eq!(
            verify(&webhook, &headers(&signature, now), tampered),
            Err(Refused::BadSignature)
        );
        let old = webhook.sign("msg_1", now - 600, body).unwrap();
        assert_eq!(
            verify(&webhook, &headers(&old, now - 600), body),
            Err(Refused::Stale)
        );
    }

    /// The Standard Webhooks specification's own example (its `whsec_` secret, id, timestamp,
    /// payload and signature), checked for the signed content only (its timestamp is long past).
    #[test]
    fn the_specifications_example_signs_the_same() {
        let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signed = webhook
            .sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#,
            )
            .unwrap();
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
