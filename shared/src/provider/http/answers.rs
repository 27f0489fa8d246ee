//! Reading a provider's answers: an answer into its wire type, or an error status into a
//! [`ProviderError`] by one set of rules, each adapter saying only how its error bodies read
//! ([`Dialect`]); the provider's requested wait; transport failures described without
//! credentials.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::provider::ProviderError;

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
    if e.is_connect() {
        // No connection: the request never left, so nothing was made.
        return ProviderError::Unreachable {
            message: describe_transport_error(e),
        };
    }
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
    use reqwest::header::HeaderValue;

    /// A refused connection never reached the provider: a create certainly made nothing.
    #[tokio::test]
    async fn a_refused_connection_is_unreachable_and_a_lost_answer_is_not() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let refused = reqwest::get(format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        assert!(matches!(
            transport_failure(&refused),
            ProviderError::Unreachable { .. }
        ));
        // A server that takes the request and closes without answering: it may have acted on it.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await;
        });
        let lost = reqwest::get(format!("http://{address}/"))
            .await
            .unwrap_err();
        assert!(matches!(
            transport_failure(&lost),
            ProviderError::Unavailable { .. }
        ));
    }

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
        use crate::provider::FailureClass::*;
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
