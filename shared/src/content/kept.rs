//! What a job records of each output it keeps: size, SHA-256 and content type, in the job's
//! `content` field as a JSON array (one entry per output, in the provider's order).

use serde::{Deserialize, Serialize};

/// One kept output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub bytes: u64,
    /// Lower-case hex; also the `ETag` it is served with.
    pub sha256: String,
    pub content_type: String,
}

impl Kept {
    pub fn encode_all(kept: &[Kept]) -> String {
        serde_json::to_string(kept).expect("kept outputs always serialise")
    }

    /// `None` for a field that is not a list of kept outputs.
    pub fn decode_all(text: &str) -> Option<Vec<Kept>> {
        serde_json::from_str(text).ok()
    }

    /// The strong `ETag` it is served with.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.sha256)
    }
}
