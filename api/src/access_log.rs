//! The access log: a line per request, `client "METHOD target VERSION" status bytes duration`,
//! like the common log format — except that the target never holds a capability. A signed
//! content link's `sig` and an unsigned provider's per-job callback token each open something
//! to whoever holds them, so the line shows `…` in their place.

use actix_web::dev::ServiceRequest;
use actix_web::middleware::Logger;

/// Query parameters whose value is a capability.
const SECRET_PARAMETERS: &[&str] = &["sig"];
/// A path segment after this one is a capability (`/api/providers/{provider}/callback/{token}`).
const SECRET_AFTER: &str = "callback";
const HIDDEN: &str = "…";

pub fn logger() -> Logger {
    Logger::new("%a \"%{target}xi\" %s %b %Dms").custom_request_replace("target", request_line)
}

fn request_line(request: &ServiceRequest) -> String {
    format!(
        "{} {} {:?}",
        request.method(),
        target(request.path(), request.query_string()),
        request.version()
    )
}

/// The path and query, with capabilities hidden.
fn target(path: &str, query: &str) -> String {
    let mut out = String::with_capacity(path.len() + query.len() + 1);
    let mut after_callback = false;
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(if after_callback && !segment.is_empty() {
            HIDDEN
        } else {
            segment
        });
        after_callback = segment == SECRET_AFTER && path.starts_with("/api/providers/");
    }
    if !query.is_empty() {
        out.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((key, _)) if SECRET_PARAMETERS.contains(&key) => {
                    out.push_str(key);
                    out.push('=');
                    out.push_str(HIDDEN);
                }
                _ => out.push_str(pair),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::target;

    #[test]
    fn capabilities_are_hidden_and_the_rest_is_kept() {
        for (path, query, logged) in [
            ("/api/sora/stats", "", "/api/sora/stats"),
            (
                "/api/videos/j1/content",
                "index=1&expires=99&sig=abc",
                "/api/videos/j1/content?index=1&expires=99&sig=…",
            ),
            (
                "/api/providers/luma/callback/t0k3n",
                "job=j1",
                "/api/providers/luma/callback/…?job=j1",
            ),
            (
                "/api/providers/fal/callback",
                "job=j1",
                "/api/providers/fal/callback?job=j1",
            ),
            (
                "/api/video/callback",
                "signature=x",
                "/api/video/callback?signature=x",
            ),
        ] {
            assert_eq!(target(path, query), logged);
        }
    }
}
