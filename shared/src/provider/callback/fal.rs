//! fal's callbacks: Ed25519 over `request_id + "\n" + user_id + "\n" + timestamp + "\n" +
//! hex(sha256(raw body))`, the first three from the `X-Fal-Webhook-*` headers, the signature hex in
//! `X-Fal-Webhook-Signature`; valid when any key of fal's JWKS verifies it. The keys are cached
//! for up to a day and fetched again when no cached key verifies a signature (at most once per
//! [`MIN_REFETCH`], so forged callbacks cannot make us hammer fal).

use std::time::{Duration, Instant};

use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey};
use reqwest::header::HeaderMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, RwLock};

use super::{fresh, header, Hint, Refused};

/// The longest the keys are trusted without asking fal again.
const MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// The shortest time between two fetches of the keys.
const MIN_REFETCH: Duration = Duration::from_secs(30);

/// fal's public keys, from its JWKS URL, cached.
pub struct FalKeys {
    url: String,
    client: reqwest::Client,
    cache: RwLock<Cache>,
    /// One fetch at a time.
    fetching: Mutex<()>,
}

#[derive(Default)]
struct Cache {
    keys: Vec<VerifyingKey>,
    fetched: Option<Instant>,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    #[serde(default)]
    kty: String,
    #[serde(default)]
    crv: String,
    #[serde(default)]
    x: String,
}

impl FalKeys {
    pub fn new(url: &str, timeout: Duration) -> reqwest::Result<Self> {
        Ok(Self {
            url: url.to_owned(),
            client: reqwest::Client::builder().timeout(timeout).build()?,
            cache: RwLock::default(),
            fetching: Mutex::new(()),
        })
    }

    pub(super) async fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<Hint, Refused> {
        let request_id = header(headers, "x-fal-webhook-request-id")?;
        let user_id = header(headers, "x-fal-webhook-user-id")?;
        let timestamp = header(headers, "x-fal-webhook-timestamp")?;
        let signature = header(headers, "x-fal-webhook-signature")?;
        fresh(timestamp, now)?;
        let signature = hex::decode(signature.trim())
            .ok()
            .and_then(|bytes| Signature::from_slice(&bytes).ok())
            .ok_or_else(|| Refused::Malformed("the signature is not 64 bytes of hex".into()))?;
        let message = format!(
            "{request_id}\n{user_id}\n{timestamp}\n{}",
            hex::encode(Sha256::digest(body))
        );
        let verifies = |keys: &[VerifyingKey]| {
            keys.iter()
                .any(|key| key.verify_strict(message.as_bytes(), &signature).is_ok())
        };
        if verifies(&self.keys(false).await?) || verifies(&self.keys(true).await?) {
            return Ok(Hint {
                video_id: request_id.to_owned(),
            });
        }
        Err(Refused::BadSignature)
    }

    /// The cached keys, fetched first when there are none or they are a day old; with `again`,
    /// fetched anew unless that happened less than [`MIN_REFETCH`] ago.
    async fn keys(&self, again: bool) -> Result<Vec<VerifyingKey>, Refused> {
        let current = |cache: &Cache| {
            let age = cache.fetched.map(|t| t.elapsed());
            match age {
                None => false,
                Some(age) if age > MAX_AGE => false,
                Some(age) => !again || age < MIN_REFETCH,
            }
        };
        {
            let cache = self.cache.read().await;
            if current(&cache) {
                return Ok(cache.keys.clone());
            }
        }
        let _one_at_a_time = self.fetching.lock().await;
        {
            // Another caller may have fetched them meanwhile.
            let cache = self.cache.read().await;
            if cache.fetched.is_some_and(|t| t.elapsed() < MIN_REFETCH) {
                return Ok(cache.keys.clone());
            }
        }
        let keys = self.fetch().await.map_err(|why| {
            tracing::warn!("could not fetch fal's signing keys: {why}");
            Refused::KeysUnavailable
        })?;
        let mut cache = self.cache.write().await;
        *cache = Cache {
            keys: keys.clone(),
            fetched: Some(Instant::now()),
        };
        Ok(keys)
    }

    async fn fetch(&self) -> Result<Vec<VerifyingKey>, String> {
        let jwks: Jwks = self
            .client
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.without_url().to_string())?
            .json()
            .await
            .map_err(|e| e.without_url().to_string())?;
        Ok(jwks
            .keys
            .iter()
            .filter(|k| k.kty == "OKP" && k.crv == "Ed25519")
            .filter_map(|k| {
                let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(k.x.trim_end_matches('='))
                    .ok()?;
                VerifyingKey::from_bytes(&bytes.try_into().ok()?).ok()
            })
            .collect())
    }

    /// Keys as if just fetched (tests).
    #[cfg(test)]
    async fn with_keys(self, keys: Vec<VerifyingKey>) -> Self {
        *self.cache.write().await = Cache {
            keys,
            fetched: Some(Instant::now()),
        };
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    /// The documented success body, signed independently (Python's `cryptography` Ed25519 with the
    /// simulator's default seed, over the documented message).
    const BODY: &[u8] = br#"{"request_id":"123e4567-e89b-12d3-a456-426614174000","gateway_request_id":"123e4567-e89b-12d3-a456-426614174000","status":"OK","payload":{"video":{"url":"https://v3.fal.media/files/fox.mp4"}}}"#;
    const PUBLIC_X: &str = "lljGeRtNpDqZldPeZePHnI8dlvoGPuC6CVqdZ2FlMM0";
    const SIGNATURE: &str = "69624263b1423e2244524db1d156612989303586373f62d4dce13856edc0bda9165f39de5cb0f0673fb79e8fe0568914fe35b5eefd37c194a4f995defd603f0d";
    const T: i64 = 1777032000;

    fn headers(request_id: &str, signature: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in [
            ("x-fal-webhook-request-id", request_id),
            ("x-fal-webhook-user-id", "user_42"),
            ("x-fal-webhook-timestamp", "1777032000"),
            ("x-fal-webhook-signature", signature),
        ] {
            h.insert(name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    async fn keys() -> FalKeys {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(PUBLIC_X)
            .unwrap();
        let key = VerifyingKey::from_bytes(&bytes.try_into().unwrap()).unwrap();
        // Nothing listens there: a fetch fails, so only the cached key can verify.
        FalKeys::new("http://127.0.0.1:9/jwks.json", Duration::from_secs(1))
            .unwrap()
            .with_keys(vec![key])
            .await
    }

    #[tokio::test]
    async fn the_documented_callback_verifies() {
        let rid = "123e4567-e89b-12d3-a456-426614174000";
        let hint = keys()
            .await
            .verify(&headers(rid, SIGNATURE), BODY, T + 5)
            .await
            .unwrap();
        assert_eq!(hint.video_id, rid);
        assert!(hint.names("fal-ai/kling-video/requests/123e4567-e89b-12d3-a456-426614174000"));
    }

    #[tokio::test]
    async fn anything_else_is_refused() {
        let rid = "123e4567-e89b-12d3-a456-426614174000";
        let keys = keys().await;
        let mut changed = BODY.to_vec();
        changed[5] ^= 1;
        assert_eq!(
            keys.verify(&headers(rid, SIGNATURE), &changed, T).await,
            Err(Refused::BadSignature)
        );
        // Another request id in the header than the one signed.
        assert_eq!(
            keys.verify(&headers("another", SIGNATURE), BODY, T).await,
            Err(Refused::BadSignature)
        );
        assert_eq!(
            keys.verify(&headers(rid, SIGNATURE), BODY, T + 301).await,
            Err(Refused::Stale)
        );
        assert!(matches!(
            keys.verify(&headers(rid, "abcd"), BODY, T).await,
            Err(Refused::Malformed(_))
        ));
    }
}
