//! What every HTTP adapter shares: [`ProviderApi`], the provider's API reached with a key (where
//! the key travels, the headers every request carries, redirects kept within the provider's
//! origin), the downloads of finished videos (`download.rs`), and the reading of its answers by
//! one set of rules (`answers.rs`), each adapter saying only how its error bodies read.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::{Client, RequestBuilder, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use super::ProviderError;
use crate::ssrf::{GuardedResolver, UrlGuard};

mod answers;
mod download;

pub use answers::{read, transport_failure, Dialect, ErrorText};

/// A provider's API reached with a key: the HTTP client, the base URL, the key and the scheme it
/// is sent in (`Authorization: Bearer <key>` unless said otherwise), and the dialect its answers
/// are read in. What every HTTP adapter is built on.
pub struct ProviderApi {
    client: Client,
    /// For downloads of finished videos: no bound on the whole transfer (a video may take
    /// minutes), only on connecting and on each read.
    downloads: Client,
    /// For downloads from hosts other than the provider's API (Replicate's and fal's CDNs): https
    /// only, and only to public addresses, so a provider's answer cannot point us inside our own
    /// network.
    foreign_downloads: Client,
    base_url: String,
    key: SecretString,
    key_in: KeyIn,
    /// Headers every request with the key carries besides it (Runway's `X-Runway-Version`).
    headers: Vec<(&'static str, &'static str)>,
    dialect: &'static Dialect,
}

impl ProviderApi {
    pub fn new(
        base_url: &str,
        key: SecretString,
        timeout: Duration,
        dialect: &'static Dialect,
    ) -> reqwest::Result<Self> {
        // The clients that carry the key follow redirects within the provider's own origin only:
        // reqwest drops `Authorization` on a redirect elsewhere, but not a key in a header of its
        // own (Gemini's), so the answer to such a redirect is the caller's to follow, keyless.
        let origin = reqwest::Url::parse(base_url).ok().map(|url| url.origin());
        let within_origin = move || {
            let origin = origin.clone();
            reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 10 {
                    attempt.error("too many redirects")
                } else if Some(attempt.url().origin()) == origin {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            })
        };
        let client = Client::builder()
            .redirect(within_origin())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("sora-relay/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let downloads = || {
            Client::builder()
                .connect_timeout(timeout.min(Duration::from_secs(10)))
                .read_timeout(timeout)
                .user_agent(concat!("sora-relay/", env!("CARGO_PKG_VERSION")))
        };
        let guard = Arc::new(GuardedResolver {
            guard: UrlGuard::default(),
        });
        Ok(Self {
            client,
            downloads: downloads().redirect(within_origin()).build()?,
            foreign_downloads: downloads().https_only(true).dns_resolver(guard).build()?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            key,
            key_in: KeyIn::Authorization("Bearer"),
            headers: Vec::new(),
            dialect,
        })
    }

    /// Sends the key as `Authorization: <scheme> <key>` (fal: `Key`).
    pub fn with_scheme(self, scheme: &'static str) -> Self {
        Self {
            key_in: KeyIn::Authorization(scheme),
            ..self
        }
    }

    /// Sends the key alone in a header of its own (Gemini: `x-goog-api-key`).
    pub fn with_key_header(self, name: &'static str) -> Self {
        Self {
            key_in: KeyIn::Header(name),
            ..self
        }
    }

    /// Sends `name: value` with every request that carries the key.
    pub fn with_header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// `path` (starting with `/`) under the base URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Whether `url` lies under the base URL: the key is sent nowhere else.
    pub fn is_ours(&self, url: &str) -> bool {
        url.strip_prefix(&self.base_url)
            .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?'))
    }

    pub fn get(&self, url: &str) -> RequestBuilder {
        self.client.get(url)
    }

    pub fn post(&self, url: &str) -> RequestBuilder {
        self.client.post(url)
    }

    pub fn put(&self, url: &str) -> RequestBuilder {
        self.client.put(url)
    }

    pub fn delete(&self, url: &str) -> RequestBuilder {
        self.client.delete(url)
    }

    /// Sends `request` with the key; its answer as `T`, or the error it says.
    pub async fn send<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<T, ProviderError> {
        read(self.answer(request).await?, self.dialect).await
    }

    /// Sends `request` with the key: the raw answer, whatever its status.
    pub async fn answer(&self, request: RequestBuilder) -> Result<Response, ProviderError> {
        let (name, value) = match self.key_in {
            KeyIn::Authorization(scheme) => (
                reqwest::header::AUTHORIZATION.as_str(),
                format!("{scheme} {}", self.key.expose_secret()),
            ),
            KeyIn::Header(name) => (name, self.key.expose_secret().to_owned()),
        };
        let mut key = HeaderValue::from_str(&value).map_err(|_| ProviderError::Unauthorized {
            status: 0,
            message: "the API key holds characters a header cannot carry".into(),
        })?;
        // Kept out of debug output, as `bearer_auth` does.
        key.set_sensitive(true);
        let mut request = request.header(name, key);
        for (name, value) in &self.headers {
            request = request.header(*name, *value);
        }
        request.send().await.map_err(|e| transport_failure(&e))
    }

    /// Sends `request` with the key for its effect: `Ok` on any 2xx (a 204 or a body alike), else
    /// the error the answer says.
    pub async fn call(&self, request: RequestBuilder) -> Result<(), ProviderError> {
        let response = self.answer(request).await?;
        if response.status().is_success() {
            return Ok(());
        }
        read::<serde::de::IgnoredAny>(response, self.dialect)
            .await
            .map(drop)
    }

    /// Whether `url` (with the key) can be downloaded: one byte of it (`Range: bytes=0-0`).
    /// Gateways answer HEAD with 405, so a ranged GET is what every server understands; one that
    /// ignores the range sends the whole body, of which nothing is read. `Ok` on any 2xx, else the
    /// error the answer says.
    pub async fn check_first_byte(&self, url: &str) -> Result<(), ProviderError> {
        self.call(self.get(url).header(reqwest::header::RANGE, "bytes=0-0"))
            .await
    }
}

/// Where the key travels.
#[derive(Clone, Copy, Debug)]
enum KeyIn {
    /// `Authorization: <scheme> <key>`.
    Authorization(&'static str),
    /// `<name>: <key>`.
    Header(&'static str),
}
