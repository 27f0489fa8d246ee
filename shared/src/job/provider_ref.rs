//! Which provider made a job's video, and its id there.

use crate::provider::registry;

/// A job's video at its provider: which provider made it, and the provider's id for it (what the
/// webhook calls `soraJobId`).
///
/// Stored as `<provider>:<id>`, except for `openai`, whose videos are stored as their bare id: as
/// every job stored them before jobs named their provider, so that workers of either version read
/// each other's states during a rolling upgrade, and a poll writes no more than it did. A prefix is
/// taken as a provider only when it names one this build knows ([`registry::ADAPTERS`]), so an
/// `openai` id with a colon of its own reads back whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderRef {
    pub provider: String,
    pub id: String,
}

impl ProviderRef {
    pub fn new(provider: &str, id: &str) -> Self {
        Self {
            provider: provider.to_owned(),
            id: id.to_owned(),
        }
    }

    pub fn encode(&self) -> String {
        if self.provider == registry::DEFAULT {
            return self.id.clone();
        }
        format!("{}:{}", self.provider, self.id)
    }

    /// `None` for an empty text.
    pub fn decode(text: &str) -> Option<Self> {
        if text.is_empty() {
            return None;
        }
        let known = |name: &str| registry::ADAPTERS.iter().any(|(known, _)| *known == name);
        Some(match text.split_once(':') {
            Some((provider, id)) if known(provider) && !id.is_empty() => Self::new(provider, id),
            _ => Self::new(registry::DEFAULT, text),
        })
    }
}
