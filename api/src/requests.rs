//! What every API request gets: a `request` span that each of its log lines carries (its
//! `trace_id`, `method`, `route`, and `tenant` once the key is known), and its duration in
//! `relay_http_request_duration_seconds`, labelled by its route's pattern (`/api/video/{jobId}`,
//! never the id itself) so that series stay few. Timed to the response's head: a streamed body
//! (a video) goes at the client's pace, not the API's.
//!
//! The trace id is the caller's, from a W3C `traceparent` header
//! (<https://www.w3.org/TR/trace-context/>), so that a request can be followed from the client's
//! logs into ours; a request without one gets a new id.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::middleware::Next;
use actix_web::Error;
use relay_shared::telemetry::metrics;
use tracing::Instrument;

/// What requests that matched no route are counted as.
const UNMATCHED: &str = "unmatched";

pub async fn traced_and_timed(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let began = Instant::now();
    let method = request.method().clone();
    let route = request.match_pattern();
    let route = route.as_deref().unwrap_or(UNMATCHED);
    let trace_id =
        trace_id(request.headers()).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let span = tracing::info_span!(
        "request",
        trace_id = %trace_id,
        method = %method,
        route,
        tenant = tracing::field::Empty,
    );
    let answer = next.call(request).instrument(span).await;
    let status = match &answer {
        Ok(response) => response.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    metrics::http_request(method.as_str(), route, status.as_u16(), began.elapsed());
    answer
}

/// The trace id of a well-formed `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`, not all zeros).
fn trace_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("traceparent")?.to_str().ok()?;
    let mut parts = value.trim().split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && hex(parent, 16)
        && hex(flags, 2)
        && trace.bytes().any(|b| b != b'0');
    valid.then(|| trace.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("traceparent"),
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn a_w3c_traceparent_gives_its_trace_id_and_a_malformed_one_none() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(
            trace_id(&with(&format!("00-{id}-00f067aa0ba902b7-01"))).as_deref(),
            Some(id)
        );
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "not a traceparent",
        ] {
            assert_eq!(trace_id(&with(bad)), None, "{bad}");
        }
        assert_eq!(trace_id(&HeaderMap::new()), None);
    }
}
