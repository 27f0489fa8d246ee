//! Custody of finished videos (`CONTENT_STORE`): kept in a directory ([`filesystem`]) or in a
//! real S3-compatible server, moto in server mode ([`s3`]), played from the webhook's link after
//! the provider deleted them, with Range requests; tampered and expired links refused; a worker
//! killed mid-copy; retention.

mod filesystem;
mod s3;

use sha2::{Digest, Sha256};

/// The key of the tests' signed links.
const LINK_KEY: &str = "content-link-key-for-tests";

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A GET of `url` with no key (a `<video>` tag, a forwarded link), with `headers`.
async fn fetch(url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}
