//! `GET /api/sora/stats` as a client reads it: the API's own type, deserialized strictly (a key
//! added or renamed on the server fails the tests that read it, as it would break a strict
//! client).

pub use relay_shared::job::Stats;

/// Reads a stats body; panics (failing the test) on anything else.
pub fn from_body(body: serde_json::Value) -> Stats {
    serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("not a stats body ({e}): {body}"))
}
