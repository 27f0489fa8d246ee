//! What a provider says about one video, in words every adapter translates its own into: the
//! worker never sees a provider's status strings, error codes or output shapes.

/// One video at a provider, as the relay knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderJob {
    /// The provider's own id for the video (its prediction, request, task or operation id).
    pub id: String,
    pub lifecycle: Lifecycle,
}

/// Where a video is in its life at the provider.
#[derive(Clone, Debug, PartialEq)]
pub enum Lifecycle {
    /// Accepted, not started.
    Queued,
    /// Being made. `progress` (0..=100) only when the provider reports one.
    Running { progress: Option<u8> },
    /// Made: where to fetch it, and until when (unix seconds) the provider keeps it.
    Succeeded {
        outputs: Vec<Output>,
        expires_at: Option<i64>,
    },
    /// Will not be made.
    Failed {
        class: FailureClass,
        message: String,
    },
    /// Stopped before it finished, by us or by someone holding the key.
    Cancelled,
    /// Finished once, but the provider no longer has it (or never will deliver it).
    Expired,
}

impl Lifecycle {
    pub fn is_final(&self) -> bool {
        !matches!(self, Lifecycle::Queued | Lifecycle::Running { .. })
    }
}

/// One output of a finished video.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// Where it can be downloaded. Some providers' URLs need the provider key (OpenAI's content
    /// endpoint), others are capability URLs that expire.
    pub url: String,
}

/// Why a video or a provider call failed, in the terms that decide what to do next: wait and ask
/// again, give up, or (once routes exist) try another provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureClass {
    /// Refused as unsafe (the prompt or the output). Another provider is not tried silently.
    Moderation,
    /// The request itself is wrong for this provider (parameters, prompt length, format).
    InvalidInput,
    /// The account is out of credits or its daily/monthly quota.
    Quota,
    /// Too many requests right now: the same provider, later.
    RateLimited,
    /// The model is gone (a 404/410 naming it, a retirement notice).
    Retired,
    /// Our credentials are refused: an operator must act.
    Auth,
    /// Timeouts, connection errors, 5xx, unreadable answers.
    Transient,
    /// The provider failed the video for a reason of its own it does not name.
    Provider,
}

impl FailureClass {
    pub const ALL: [FailureClass; 8] = [
        FailureClass::Moderation,
        FailureClass::InvalidInput,
        FailureClass::Quota,
        FailureClass::RateLimited,
        FailureClass::Retired,
        FailureClass::Auth,
        FailureClass::Transient,
        FailureClass::Provider,
    ];

    /// Whether asking the same provider again (later) may succeed.
    pub fn retry_may_help(self) -> bool {
        matches!(
            self,
            FailureClass::RateLimited | FailureClass::Transient | FailureClass::Provider
        )
    }

    /// Whether another provider may succeed where this one failed. Moderation is the exception:
    /// a prompt one provider refuses as unsafe is not shopped around without the client knowing.
    pub fn other_provider_may_help(self) -> bool {
        !matches!(self, FailureClass::Moderation)
    }

    /// The class's name in logs and, later, on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::Moderation => "moderation",
            FailureClass::InvalidInput => "invalid_input",
            FailureClass::Quota => "quota",
            FailureClass::RateLimited => "rate_limited",
            FailureClass::Retired => "retired",
            FailureClass::Auth => "auth",
            FailureClass::Transient => "transient",
            FailureClass::Provider => "provider",
        }
    }
}

impl std::fmt::Display for FailureClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_passing_troubles_are_worth_asking_again() {
        use FailureClass::*;
        let retry: Vec<_> = FailureClass::ALL
            .into_iter()
            .filter(|c| c.retry_may_help())
            .collect();
        assert_eq!(retry, [RateLimited, Transient, Provider]);
        assert!(!Moderation.other_provider_may_help());
        assert!(Quota.other_provider_may_help() && Retired.other_provider_may_help());
    }
}
