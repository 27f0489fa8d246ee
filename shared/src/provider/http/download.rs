//! Downloads of finished videos' outputs: the key only to the provider's own API, other hosts
//! (CDNs with capability URLs) over https and to public addresses only.

use reqwest::Response;

use super::{read, transport_failure, ProviderApi};
use crate::provider::ProviderError;

impl ProviderApi {
    /// Starts downloading an output at `url`, from byte `range` (an HTTP `Range` value) when
    /// given: the answer, once its status is 2xx, for the caller to stream; else the error it
    /// says. The key goes only to the provider's own API ([`Self::is_ours`]); other hosts (the
    /// provider's CDN, with capability URLs) get no key and must be public https hosts.
    pub async fn download(
        &self,
        url: &str,
        range: Option<&str>,
    ) -> Result<Response, ProviderError> {
        let ours = self.is_ours(url);
        if !ours {
            vet_foreign(url)?;
        }
        let client = if ours {
            &self.downloads
        } else {
            &self.foreign_downloads
        };
        let mut request = client.get(url);
        if let Some(range) = range {
            request = request.header(reqwest::header::RANGE, range);
        }
        let mut response = if ours {
            self.answer(request).await?
        } else {
            request.send().await.map_err(|e| transport_failure(&e))?
        };
        // A redirect out of the provider's origin (its storage) is followed without the key.
        if ours && response.status().is_redirection() {
            if let Some(location) = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| response.url().join(l).ok())
            {
                vet_foreign(location.as_str())?;
                let mut request = self.foreign_downloads.get(location);
                if let Some(range) = range {
                    request = request.header(reqwest::header::RANGE, range);
                }
                response = request.send().await.map_err(|e| transport_failure(&e))?;
            }
        }
        if response.status().is_success() {
            return Ok(response);
        }
        Err(read::<serde::de::IgnoredAny>(response, self.dialect)
            .await
            .err()
            .unwrap_or_else(|| ProviderError::unavailable("the download answered oddly")))
    }
}

/// A download URL outside the provider's API: https, and not an address literal that is not
/// public (names are checked when they resolve, by the client's resolver).
fn vet_foreign(url: &str) -> Result<(), ProviderError> {
    let refused = |why: &str| ProviderError::Rejected {
        status: 0,
        message: format!("the provider's content URL {why}"),
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| refused("is not a URL"))?;
    if parsed.scheme() != "https" {
        return Err(refused("is not https"));
    }
    let host = parsed
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']']);
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        if !crate::ssrf::is_global(ip) {
            return Err(refused("points at an address that is not public"));
        }
    }
    Ok(())
}
