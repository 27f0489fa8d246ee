//! API keys: how they look, how they are stored and how one is checked.
//!
//! A key is `srk_<key id>_<secret>`: the id (12 hex digits) finds the key's record in O(1), the
//! secret (64 hex digits, 256 random bits) proves it. Only the SHA-256 of the secret is stored — a
//! slow password hash buys nothing for a random 256-bit secret — and it is compared in constant
//! time. The whole key is shown once, when it is issued.

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const PREFIX: &str = "srk_";

/// A freshly issued key: its id (safe to show and log) and the whole key (shown once).
pub struct IssuedKey {
    pub key_id: String,
    pub api_key: SecretString,
    /// What is stored: the hex SHA-256 of the secret part.
    pub secret_hash: String,
}

impl IssuedKey {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut id = [0u8; 6];
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut id);
        rng.fill_bytes(&mut secret);
        let (key_id, secret) = (hex::encode(id), hex::encode(secret));
        Self {
            api_key: format!("{PREFIX}{key_id}_{secret}").into(),
            secret_hash: hash(&secret),
            key_id,
        }
    }
}

/// A presented key split into its id and secret; `None` when it is not shaped like one of ours.
pub fn parse(api_key: &str) -> Option<(&str, &str)> {
    let (id, secret) = api_key.strip_prefix(PREFIX)?.split_once('_')?;
    let hex_of = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_of(id, 12) && hex_of(secret, 64)).then_some((id, secret))
}

/// Whether `secret` is the one whose hash was stored, in constant time.
pub fn secret_matches(secret: &str, stored_hash: &str) -> bool {
    hash(secret).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// The administrator's key as [`is_admin_key`] checks it: its hash, computed once; `None` when
/// no key is set (then nothing is the admin key).
pub fn admin_key_hash(admin: &SecretString) -> Option<String> {
    let admin = admin.expose_secret();
    (!admin.is_empty()).then(|| hash(admin))
}

/// Whether `presented` is the administrator's key, in constant time (over their hashes, so the
/// length of the real key does not leak either).
pub fn is_admin_key(presented: &str, admin_hash: Option<&str>) -> bool {
    admin_hash.is_some_and(|admin| secret_matches(presented, admin))
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_key_parses_and_matches_only_its_own_hash() {
        let issued = IssuedKey::generate();
        let (id, secret) = parse(issued.api_key.expose_secret()).unwrap();
        assert_eq!(id, issued.key_id);
        assert!(secret_matches(secret, &issued.secret_hash));
        let other = IssuedKey::generate();
        assert!(!secret_matches(secret, &other.secret_hash));
    }

    #[test]
    fn malformed_keys_are_not_parsed() {
        for key in [
            "",
            "srk_",
            "srk_abc_def",
            "Bearer x",
            "srk_0123456789ab_short",
        ] {
            assert_eq!(parse(key), None, "{key}");
        }
    }

    #[test]
    fn the_admin_key_is_checked_and_an_empty_one_never_matches() {
        let admin: SecretString = "correct horse".into();
        let admin = admin_key_hash(&admin);
        assert!(is_admin_key("correct horse", admin.as_deref()));
        assert!(!is_admin_key("correct hors", admin.as_deref()));
        let unset = admin_key_hash(&SecretString::from(""));
        assert!(!is_admin_key("", unset.as_deref()));
    }
}
