//! What every HTTP adapter shares: reading an answer into its wire type, or an error status into
//! a [`ProviderError`] by one set of rules; the provider's requested wait; transport failures
//! described without credentials. Each adapter says only how its error bodies read.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use super::ProviderError;
use crate::ssrf::{GuardedResolver, UrlGuard};

mod download;

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

/// What a provider's error body says, where it says it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorText {
    pub message: Option<String>,
    /// A machine-readable code (`insufficient_quota`, `rate_limit_exceeded`, …).
    pub code: Option<String>,
    /// A wait the body asks for, for providers that say it there rather than in a header.
    pub retry_after: Option<Duration>,
}

/// How an adapter reads its provider's answers.
pub struct Dialect {
    /// Its error bodies.
    pub error_text: fn(&[u8]) -> ErrorText,
    /// Codes that, on a 429, mean the account's quota rather than a passing rate limit.
    pub quota_codes: &'static [&'static str],
    /// A wait the provider says in a header of its own, read when it sends no `Retry-After`.
    pub wait_header: Option<fn(&HeaderMap) -> Option<Duration>>,
}

/// The answer as `T`, or the error its status and body say.
pub async fn read<T: DeserializeOwned>(
    response: Response,
    dialect: &Dialect,
) -> Result<T, ProviderError> {
    let status = response.status();
    let retry_after = retry_after(response.headers()).or_else(|| {
        dialect
            .wait_header
            .and_then(|wait| wait(response.headers()))
    });
    let bytes = response
        .bytes()
        .await
        .map_err(|e| ProviderError::Unavailable {
            retry_after,
            message: describe_transport_error(&e),
        })?;
    if status.is_success() {
        return serde_json::from_slice(&bytes)
            .map_err(|e| ProviderError::unavailable(format!("unreadable answer: {e}")));
    }
    let text = (dialect.error_text)(&bytes);
    let retry_after = retry_after.or(text.retry_after);
    Err(refusal(status, retry_after, text, dialect))
}

/// The rules every adapter shares: 402, and a 429 with a quota code, are the quota; any other
/// 429 a rate limit; 401/403 our credentials; 408, 409 and 5xx the provider's trouble; any other
/// status a refusal of the request.
pub fn refusal(
    status: StatusCode,
    retry_after: Option<Duration>,
    text: ErrorText,
    dialect: &Dialect,
) -> ProviderError {
    let message = text.message.unwrap_or_else(|| status.to_string());
    let quota_code = text
        .code
        .as_deref()
        .is_some_and(|code| dialect.quota_codes.contains(&code));
    let status_code = status.as_u16();
    match status {
        StatusCode::PAYMENT_REQUIRED => ProviderError::QuotaExhausted { message },
        StatusCode::TOO_MANY_REQUESTS if quota_code => ProviderError::QuotaExhausted { message },
        StatusCode::TOO_MANY_REQUESTS => ProviderError::RateLimited {
            retry_after,
            message,
        },
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ProviderError::Unauthorized {
            status: status_code,
            message,
        },
        StatusCode::REQUEST_TIMEOUT | StatusCode::CONFLICT => ProviderError::Unavailable {
            retry_after,
            message,
        },
        s if s.is_server_error() => ProviderError::Unavailable {
            retry_after,
            message,
        },
        _ => ProviderError::Rejected {
            status: status_code,
            message,
        },
    }
}

/// `retry-after-ms`, else `retry-after` in seconds (as OpenAI's official SDKs read them), capped
/// at 60 s.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    let wait = header("retry-after-ms")
        .map(|ms| ms / 1000.0)
        .or_else(|| header("retry-after"))?;
    (wait.is_finite() && wait >= 0.0).then(|| Duration::from_secs_f64(wait.min(60.0)))
}

/// A request that got no answer: the provider may be down; try again later.
pub fn transport_failure(e: &reqwest::Error) -> ProviderError {
    ProviderError::unavailable(describe_transport_error(e))
}

fn describe_transport_error(e: &reqwest::Error) -> String {
    // The error's URL carries no credentials (keys travel in headers), so it may be shown.
    if e.is_timeout() {
        "request timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_prefers_milliseconds_and_caps_at_a_minute() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        h.remove("retry-after-ms");
        h.insert("retry-after", HeaderValue::from_static("3600"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(60)));
    }

    #[test]
    fn statuses_map_to_the_classes_of_the_seam() {
        use super::super::FailureClass::*;
        let dialect = Dialect {
            error_text: |_| ErrorText::default(),
            quota_codes: &["insufficient_quota"],
            wait_header: None,
        };
        let class = |status: u16, code: Option<&str>| {
            let text = ErrorText {
                code: code.map(str::to_owned),
                ..ErrorText::default()
            };
            refusal(StatusCode::from_u16(status).unwrap(), None, text, &dialect).class()
        };
        assert_eq!(class(402, None), Quota);
        assert_eq!(class(429, Some("insufficient_quota")), Quota);
        assert_eq!(class(429, Some("rate_limit_exceeded")), RateLimited);
        assert_eq!(class(401, None), Auth);
        assert_eq!(class(409, None), Transient);
        assert_eq!(class(503, None), Transient);
        assert_eq!(class(422, None), InvalidInput);
    }
}
