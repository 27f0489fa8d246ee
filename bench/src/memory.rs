//! What the benchmarks' in-memory providers share: the videos they make, and what they can do.

use relay_shared::provider::{Capabilities, Lifecycle, LostSubmission, Output, ProviderJob};

/// What a provider that makes videos in memory says of them.
pub fn memory_video(id: String, lifecycle: Lifecycle) -> ProviderJob {
    ProviderJob { id, lifecycle }
}

/// A finished video in memory.
pub fn memory_done(id: String) -> ProviderJob {
    let url = format!("memory://{id}");
    memory_video(
        id,
        Lifecycle::Succeeded {
            outputs: vec![Output { url }],
            expires_at: None,
        },
    )
}

/// What the in-memory providers of the benchmarks can do.
pub const MEMORY_CAPABILITIES: Capabilities = Capabilities {
    reports_progress: true,
    can_cancel: false,
    accepts_callbacks: false,
    lost_submission: LostSubmission::ListByPrompt,
};
