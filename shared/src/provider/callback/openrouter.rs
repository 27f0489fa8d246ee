//! OpenRouter's callbacks: `X-OpenRouter-Signature: t=<unix s>,v1=<hex>` where v1 is
//! HMAC-SHA256 keyed by the signing secret's UTF-8 bytes over `"<t>," + raw body` (a comma, not a
//! dot). Compared in constant time (`hmac`'s `verify_slice`). The body's `data.id` names the video.

use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use sha2::Sha256;

use super::{fresh, header, id_at, Hint, Refused};

pub(super) fn verify(
    secret: &[u8],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<Hint, Refused> {
    let signature = header(headers, "x-openrouter-signature")?;
    let (mut timestamp, mut candidates) = (None, Vec::new());
    for part in signature.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t),
            Some(("v1", hex)) => candidates.push(hex),
            _ => {}
        }
    }
    let timestamp =
        timestamp.ok_or_else(|| Refused::Malformed("the signature has no t=".into()))?;
    fresh(timestamp, now)?;
    let verified = candidates.iter().any(|candidate| {
        let Ok(expected) = hex::decode(candidate) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
            return false;
        };
        mac.update(timestamp.as_bytes());
        mac.update(b",");
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    });
    if !verified {
        return Err(Refused::BadSignature);
    }
    Ok(Hint {
        video_id: id_at(body, &["data", "id"])?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    /// The documented completion webhook, signed independently (Python's `hmac` over
    /// `"1777032000," + body` with the secret's bytes).
    const BODY: &[u8] = br#"{"type":"video.generation.completed","created_at":"2026-04-24T12:00:00.000Z","data":{"id":"abc123","status":"completed","generation_id":"gen-xyz789","model":"google/veo-3.1","unsigned_urls":["https://openrouter.ai/api/v1/videos/abc123/content?index=0"],"usage":{"cost":0.5,"is_byok":false}}}"#;
    const SECRET: &[u8] = b"sora-sim-openrouter-signing-secret";
    const T: i64 = 1777032000;
    const V1: &str = "6fa94de570705c4baad55b30b0b4ed47ce385d46df4cc5c02d677c69f7863876";

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "x-openrouter-signature",
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[test]
    fn the_documented_webhook_verifies() {
        let hint = verify(SECRET, &headers(&format!("t={T},v1={V1}")), BODY, T + 10).unwrap();
        assert_eq!(hint.video_id, "abc123");
    }

    #[test]
    fn anything_else_is_refused() {
        let good = format!("t={T},v1={V1}");
        assert_eq!(
            verify(b"another secret", &headers(&good), BODY, T),
            Err(Refused::BadSignature)
        );
        let mut changed = BODY.to_vec();
        changed[10] ^= 1;
        assert_eq!(
            verify(SECRET, &headers(&good), &changed, T),
            Err(Refused::BadSignature)
        );
        // A replay after five minutes, and a timestamp moved to look fresh.
        assert_eq!(
            verify(SECRET, &headers(&good), BODY, T + 301),
            Err(Refused::Stale)
        );
        let moved = format!("t={},v1={V1}", T + 400);
        assert_eq!(
            verify(SECRET, &headers(&moved), BODY, T + 400),
            Err(Refused::BadSignature)
        );
        assert!(matches!(
            verify(SECRET, &HeaderMap::new(), BODY, T),
            Err(Refused::Malformed(_))
        ));
        assert!(matches!(
            verify(SECRET, &headers(&format!("v1={V1}")), BODY, T),
            Err(Refused::Malformed(_))
        ));
    }
}
