//! Without custody: the provider's content, fetched through its adapter and streamed through.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::TryStreamExt;
use relay_shared::job::Job;
use relay_shared::provider::ProviderError;
use relay_shared::store::layout::field;
use tracing::warn;

use super::no_output;
use crate::error::{ApiError, ErrorCode};
use crate::AppState;

/// Without custody: the provider's content, fetched with the server's key and streamed through
/// (the original's `videoUrl` needed the provider key). A `Range` is passed on.
pub(super) async fn proxy(
    state: &AppState,
    job: &Job,
    index: usize,
    request: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let provider_name = job
        .get(field::PROVIDER)
        .unwrap_or(relay_shared::provider::registry::DEFAULT);
    let url = job.get(field::VIDEO_URL).filter(|_| index == 0);
    let (Some(url), Some(provider)) = (url, state.providers.get(provider_name)) else {
        return Err(no_output(&job.id, index));
    };
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let upstream = match provider.adapter.download(url, range).await {
        Ok(upstream) => upstream,
        Err(ProviderError::Rejected {
            status: 404 | 410, ..
        }) => {
            return Err(ApiError::new(
                ErrorCode::ContentDeleted,
                format!("the provider no longer has job {}'s video", job.id),
            ))
        }
        Err(e) => {
            warn!(job = %job.id, "could not fetch the video from {provider_name}: {e}");
            return Err(ApiError::new(
                ErrorCode::ProviderUnavailable,
                format!("the video could not be fetched from {provider_name} now; retry"),
            ));
        }
    };
    let status = actix_web::http::StatusCode::from_u16(upstream.status().as_u16())
        .unwrap_or(actix_web::http::StatusCode::OK);
    let mut response = HttpResponse::build(status);
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_RANGE,
        header::ACCEPT_RANGES,
        header::ETAG,
        header::LAST_MODIFIED,
    ] {
        if let Some(value) = upstream
            .headers()
            .get(name.as_str())
            .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok())
        {
            response.insert_header((name, value));
        }
    }
    if let Some(length) = upstream.content_length() {
        response.no_chunking(length);
    }
    Ok(response.streaming(upstream.bytes_stream().map_err(std::io::Error::other)))
}
