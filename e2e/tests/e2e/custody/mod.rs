//! Custody of finished videos (`CONTENT_STORE`): kept in a directory ([`filesystem`]) or in a
//! real S3-compatible server, moto in server mode ([`s3`]), played from the webhook's link after
//! the provider deleted them, with Range requests; tampered and expired links refused; a worker
//! killed mid-copy; retention.

mod filesystem;
mod s3;

use e2e::access::ADMIN;
use e2e::{free_port, Stack};
use sha2::{Digest, Sha256};

/// The key of the tests' signed links.
const LINK_KEY: &str = "content-link-key-for-tests";

/// A stack with auth on, keeping videos in `dir` and linking to them with signed links at its own
/// address (`PUBLIC_BASE_URL` is the API's); `extra` settings on top.
pub(crate) async fn stack_keeping_videos(dir: &std::path::Path, extra: &[(&str, &str)]) -> Stack {
    let port = free_port().to_string();
    let base = format!("http://127.0.0.1:{port}");
    let mut env = vec![
        ("AUTH", "on"),
        ("ADMIN_API_KEY", ADMIN),
        ("PORT", port.as_str()),
        ("PUBLIC_BASE_URL", base.as_str()),
        ("CONTENT_STORE", dir.to_str().unwrap()),
        ("CONTENT_LINK_SECRET", LINK_KEY),
    ];
    env.extend_from_slice(extra);
    Stack::start(Stack::quick_sim(), &env).await
}

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
