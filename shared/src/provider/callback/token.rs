//! Per-job callback paths for providers whose callbacks are unsigned (Luma: its docs say to put a
//! secret in the callback URL). The relay asks such a provider to call back at
//! `{PUBLIC_BASE_URL}/api/providers/{provider}/callback/{token}?job={jobId}`, where `token` is the
//! unpadded base64url HMAC-SHA256, under `CALLBACK_TOKEN_SECRET`, of `v1`, the provider and the
//! job id, one per line. Only the provider (and whoever reads the URL from it) knows the path;
//! another job's token, another provider's, or any change fails the check, made in constant time
//! (`hmac`'s `verify_slice`). Like a signed callback, a believed one only brings a poll forward.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Refused;

/// Providers whose callbacks carry no signature: they are believed only at a tokened path.
pub const UNSIGNED: &[&str] = &["luma"];

fn mac(secret: &[u8], provider: &str, job: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("v1\n{provider}\n{job}").as_bytes());
    mac
}

/// The token of `job`'s callback path at `provider`.
pub fn for_job(secret: &[u8], provider: &str, job: &str) -> String {
    URL_SAFE_NO_PAD.encode(mac(secret, provider, job).finalize().into_bytes())
}

/// Whether `token` is `job`'s at `provider`.
pub(super) fn verify(secret: &[u8], provider: &str, job: &str, token: &str) -> Result<(), Refused> {
    let given = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| Refused::BadSignature)?;
    mac(secret, provider, job)
        .verify_slice(&given)
        .map_err(|_| Refused::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_only_its_own_jobs_path() {
        let token = for_job(b"secret", "luma", "job-1");
        assert_eq!(token.len(), 43, "256 bits, unpadded base64url");
        assert_eq!(verify(b"secret", "luma", "job-1", &token), Ok(()));
        for (secret, provider, job, token) in [
            (&b"other"[..], "luma", "job-1", token.as_str()),
            (b"secret", "luma", "job-2", &token),
            (b"secret", "runway", "job-1", &token),
            (b"secret", "luma", "job-1", &token[..42]),
            (b"secret", "luma", "job-1", "not base64!"),
            (b"secret", "luma", "job-1", ""),
        ] {
            assert_eq!(
                verify(secret, provider, job, token),
                Err(Refused::BadSignature),
                "{provider} {job} {token}"
            );
        }
    }

    /// Computed independently: `python3 -c 'import hmac,hashlib,base64;
    /// print(base64.urlsafe_b64encode(hmac.new(b"secret", b"v1\nluma\njob-1",
    /// hashlib.sha256).digest()).rstrip(b"="))'`.
    #[test]
    fn the_token_is_the_documented_hmac() {
        assert_eq!(
            for_job(b"secret", "luma", "job-1"),
            "MzldBYOjI2ZVhf1TExiotJri9xD2LzxpMra8FOWYGa0"
        );
    }
}
