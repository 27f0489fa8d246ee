//! What may be logged of a secret-bearing value. Webhook URLs carry credentials (`user:pass@`),
//! path tokens and query tokens: logs show a URL's scheme, host and port, and a short hash of the
//! whole, enough to tell two URLs apart and to find one in the configuration, never to use it.

use sha2::{Digest, Sha256};

/// `https://hooks.example:8443/…#1a2b3c4d`: the URL's origin and the first 8 hex digits of the
/// SHA-256 of the whole URL.
pub fn url(url: &str) -> String {
    let digest = hex::encode(&Sha256::digest(url.as_bytes())[..4]);
    match reqwest::Url::parse(url) {
        Ok(parsed) => {
            let host = parsed.host_str().unwrap_or("");
            match parsed.port() {
                Some(port) => format!("{}://{host}:{port}/…#{digest}", parsed.scheme()),
                None => format!("{}://{host}/…#{digest}", parsed.scheme()),
            }
        }
        Err(_) => format!("(unparsable URL #{digest})"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_origin_and_a_hash_remain() {
        let shown = super::url("https://user:secret@hooks.example:8443/t0ken/path?key=abc");
        assert!(
            shown.starts_with("https://hooks.example:8443/…#"),
            "{shown}"
        );
        for secret in ["user", "secret", "t0ken", "key", "abc"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_ne!(shown, super::url("https://hooks.example:8443/other"));
        assert!(!super::url("not a url with a secret").contains("secret"));
    }
}
