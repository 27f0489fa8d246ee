//! Serving a kept output: whole, or the one range asked for (206, 416 outside it), with its
//! `ETag` (the SHA-256), `If-None-Match` and `If-Range`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use relay_shared::content::{Custody, Kept};

use super::store_unavailable;
use crate::error::{ApiError, ErrorCode};

/// Streams a kept output, whole or the one range asked for.
pub(super) async fn serve_kept(
    custody: &Custody,
    job_id: &str,
    index: usize,
    kept: &Kept,
    request: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let etag = kept.etag();
    let headers = request.headers();
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if text(header::IF_NONE_MATCH).is_some_and(|tags| matches_etag(tags, &etag)) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    // A Range applies only while the representation is the one If-Range names.
    let range =
        text(header::RANGE).filter(|_| text(header::IF_RANGE).is_none_or(|tag| tag == etag));
    let path = custody.store.path(job_id, index);
    let (mut builder, body) = match range.map(|r| byte_range(r, kept.bytes)) {
        Some(Err(())) => {
            return Ok(HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{}", kept.bytes)))
                .json(serde_json::json!({"error": {
                    "code": ErrorCode::RangeNotSatisfiable.name(),
                    "message": format!("the video has {} bytes", kept.bytes),
                }})))
        }
        Some(Ok(Some(range))) => {
            let (start, end) = (*range.start(), *range.end());
            let mut partial = HttpResponse::PartialContent();
            partial.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{}", kept.bytes),
            ));
            let body = custody
                .store
                .read(&path, Some(start..end + 1))
                .await
                .map_err(store_unavailable)?;
            partial.no_chunking(end + 1 - start);
            (partial, body)
        }
        // No range, one to ignore, or several (served whole: multiple ranges are not offered).
        _ => {
            let body = if kept.bytes == 0 {
                Box::pin(futures_util::stream::empty()) as _
            } else {
                custody
                    .store
                    .read(&path, None)
                    .await
                    .map_err(store_unavailable)?
            };
            let mut whole = HttpResponse::Ok();
            whole.no_chunking(kept.bytes);
            (whole, body)
        }
    };
    Ok(builder
        .content_type(kept.content_type.as_str())
        .insert_header((header::ETAG, etag))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .streaming(body))
}

/// The one range a `Range` header asks of `size` bytes: `Ok(None)` to serve the whole video (a
/// header to ignore, or several ranges), `Err` when it lies outside.
fn byte_range(value: &str, size: u64) -> Result<Option<std::ops::RangeInclusive<u64>>, ()> {
    use http_range_header::RangeUnsatisfiableError;
    let ranges = match http_range_header::parse_range_header(value).and_then(|p| p.validate(size)) {
        Ok(ranges) => ranges,
        Err(RangeUnsatisfiableError::Unsatisfiable) => return Err(()),
        Err(_) => return Ok(None),
    };
    match ranges.as_slice() {
        [one] => Ok(Some(one.clone())),
        [] if size == 0 => Err(()),
        _ => Ok(None),
    }
}

/// Whether an `If-None-Match` value names `etag` (or `*`).
fn matches_etag(tags: &str, etag: &str) -> bool {
    tags.split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}
