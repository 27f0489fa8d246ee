//! Why a call to a provider did not get an answer about the video.

use std::time::Duration;

use super::FailureClass;

/// Why a provider call did not give us a video. Messages never contain credentials.
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum ProviderError {
    /// 429 with a short wait: wait at least `retry_after`, then try again.
    #[error("rate limited by the provider: {message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// Out of credits or quota: retrying will not help until billing is fixed.
    #[error("provider quota exhausted: {message}")]
    QuotaExhausted { message: String },
    /// Timeouts, connection failures, 5xx, unreadable answers: try again later.
    #[error("provider unavailable: {message}")]
    Unavailable {
        retry_after: Option<Duration>,
        message: String,
    },
    /// The request never reached the provider (the connection could not be made): as
    /// [`ProviderError::Unavailable`], except that a create certainly made nothing.
    #[error("provider unreachable: {message}")]
    Unreachable { message: String },
    /// 401/403: our credentials are wrong; the job is not at fault.
    #[error("provider refused our credentials ({status}): {message}")]
    Unauthorized { status: u16, message: String },
    /// Any other 4xx: the provider will not do what was asked.
    #[error("provider rejected the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// The model is gone or unknown there: a create answered 404 or 410.
    #[error("the model {model} is not available at the provider (retired or unknown): {message}")]
    Retired { model: String, message: String },
    /// The provider answers, but its answers cannot settle the question (a list whose cursor does
    /// not advance): asking again the same way will not help, and the provider is not failing.
    #[error("the provider cannot tell: {message}")]
    CannotTell { message: String },
}

impl ProviderError {
    /// A failure of the provider's own (down, timing out, 5xx, 429 that names no wait): what
    /// `PROVIDER_FAILURE_MAX_SECS` counts. Not our credentials or quota, not a refusal, not a 429
    /// that said how long to wait.
    pub fn is_provider_failure(&self) -> bool {
        matches!(
            self,
            ProviderError::Unavailable { .. }
                | ProviderError::Unreachable { .. }
                | ProviderError::RateLimited {
                    retry_after: None,
                    ..
                }
        )
    }

    /// The wait the provider asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::RateLimited { retry_after, .. }
            | ProviderError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The class of the failure: whether a retry or another provider could help.
    pub fn class(&self) -> FailureClass {
        match self {
            ProviderError::RateLimited { .. } => FailureClass::RateLimited,
            ProviderError::QuotaExhausted { .. } => FailureClass::Quota,
            ProviderError::Unavailable { .. }
            | ProviderError::Unreachable { .. }
            | ProviderError::CannotTell { .. } => FailureClass::Transient,
            ProviderError::Unauthorized { .. } => FailureClass::Auth,
            ProviderError::Rejected { .. } => FailureClass::InvalidInput,
            ProviderError::Retired { .. } => FailureClass::Retired,
        }
    }

    /// A transport failure or an unreadable answer, described without credentials.
    /// What a failed create means: a 404 or 410 to a create names a model the provider does not
    /// have (any more): [`ProviderError::Retired`], naming `model`. Other errors are as they are.
    pub fn of_create(self, model: &str) -> Self {
        match self {
            ProviderError::Rejected {
                status: 404 | 410,
                message,
            } => ProviderError::Retired {
                model: model.to_owned(),
                message,
            },
            other => other,
        }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        ProviderError::Unavailable {
            retry_after: None,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_answered_404_or_410_names_a_model_that_is_gone() {
        for status in [404, 410] {
            let gone = ProviderError::Rejected {
                status,
                message: "model not found".into(),
            }
            .of_create("veo-0");
            assert_eq!(gone.class(), FailureClass::Retired);
            assert!(gone.to_string().contains("veo-0"), "{gone}");
        }
        let invalid = ProviderError::Rejected {
            status: 400,
            message: "bad size".into(),
        };
        assert_eq!(invalid.clone().of_create("m"), invalid);
    }
}
