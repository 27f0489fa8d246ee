//! Signed links: `{base}/api/videos/{jobId}/content?expires=…&sig=…` lets whoever holds it fetch
//! one kept output until `expires` (unix seconds) without an API key — a `<video>` tag, a link
//! forwarded to someone else. `sig` is the unpadded base64url HMAC-SHA256, under
//! `CONTENT_LINK_SECRET`, of `v1`, the job id, the output index and `expires`, one per line; it
//! is checked in constant time. Changing any of them (another job, another output, a later
//! expiry) breaks the signature.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a link was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    Expired,
    BadSignature,
}

/// Signs and checks links with one key.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(..)")
    }
}

impl LinkSigner {
    /// `None` for an empty key: links are then not signed.
    pub fn new(key: &str) -> Option<Self> {
        (!key.is_empty()).then(|| Self {
            key: key.as_bytes().to_vec(),
        })
    }

    fn mac(&self, job_id: &str, index: usize, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(format!("v1\n{job_id}\n{index}\n{expires}").as_bytes());
        mac
    }

    /// The `sig` of a link.
    pub fn sign(&self, job_id: &str, index: usize, expires: i64) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(job_id, index, expires).finalize().into_bytes())
    }

    /// The full link under `base` (the API's public URL, without a trailing slash).
    pub fn link(&self, base: &str, job_id: &str, index: usize, expires: i64) -> String {
        let sig = self.sign(job_id, index, expires);
        let index = match index {
            0 => String::new(),
            n => format!("index={n}&"),
        };
        format!("{base}/api/videos/{job_id}/content?{index}expires={expires}&sig={sig}")
    }

    /// Whether `sig` signs this job, output and expiry, and the expiry is not past at `now`
    /// (unix seconds).
    pub fn verify(
        &self,
        job_id: &str,
        index: usize,
        expires: i64,
        sig: &str,
        now: i64,
    ) -> Result<(), Refused> {
        let given = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| Refused::BadSignature)?;
        self.mac(job_id, index, expires)
            .verify_slice(&given)
            .map_err(|_| Refused::BadSignature)?;
        if expires < now {
            return Err(Refused::Expired);
        }
        Ok(())
    }
}

/// The unsigned content URL (it needs an API key).
pub fn plain(base: &str, job_id: &str, index: usize) -> String {
    match index {
        0 => format!("{base}/api/videos/{job_id}/content"),
        n => format!("{base}/api/videos/{job_id}/content?index={n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

    #[test]
    fn a_link_verifies_until_it_expires_and_not_after_any_change() {
        let signer = LinkSigner::new("link-key").unwrap();
        let sig = signer.sign(JOB, 0, 2_000);
        assert_eq!(signer.verify(JOB, 0, 2_000, &sig, 1_999), Ok(()));
        assert_eq!(signer.verify(JOB, 0, 2_000, &sig, 2_000), Ok(()));
        assert_eq!(
            signer.verify(JOB, 0, 2_000, &sig, 2_001),
            Err(Refused::Expired)
        );
        // A later expiry, another output, another job, another key, a mangled signature.
        for (job, index, expires) in [(JOB, 0, 9_999), (JOB, 1, 2_000), ("other", 0, 2_000)] {
            assert_eq!(
                signer.verify(job, index, expires, &sig, 0),
                Err(Refused::BadSignature)
            );
        }
        let other = LinkSigner::new("other-key").unwrap();
        assert_eq!(
            other.verify(JOB, 0, 2_000, &sig, 0),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            signer.verify(JOB, 0, 2_000, "not base64!", 0),
            Err(Refused::BadSignature)
        );
        assert!(LinkSigner::new("").is_none());
    }

    #[test]
    fn links_name_the_index_only_when_not_the_first() {
        let signer = LinkSigner::new("k").unwrap();
        let first = signer.link("https://relay.example", JOB, 0, 5);
        assert!(first.starts_with(&format!(
            "https://relay.example/api/videos/{JOB}/content?expires=5&sig="
        )));
        assert!(signer
            .link("https://relay.example", JOB, 2, 5)
            .contains("content?index=2&expires=5&sig="));
    }
}
