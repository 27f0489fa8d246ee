//! Every call to a provider timed and counted: [`Metered`] wraps an adapter and records each call's
//! duration and outcome (`relay_provider_request_duration_seconds`) under the provider's name, so
//! no adapter and no caller has to remember to.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use super::{Capabilities, ProviderError, ProviderJob, VideoProvider, VideoRequest};
use crate::telemetry::metrics;

/// An adapter whose calls are measured.
pub struct Metered {
    provider: &'static str,
    inner: Arc<dyn VideoProvider>,
}

impl Metered {
    pub fn wrap(provider: &'static str, inner: Arc<dyn VideoProvider>) -> Arc<dyn VideoProvider> {
        Arc::new(Self { provider, inner })
    }

    fn record<T>(
        &self,
        operation: &'static str,
        began: Instant,
        result: &Result<T, ProviderError>,
    ) {
        let outcome = match result {
            Ok(_) => "ok",
            Err(e) => e.class().as_str(),
        };
        metrics::provider_call(self.provider, operation, outcome, began.elapsed());
    }
}

/// Runs one call of the inner adapter and records it as `operation`.
macro_rules! measured {
    ($self:ident, $operation:literal, $call:expr) => {{
        let began = Instant::now();
        let result = $call.await;
        $self.record($operation, began, &result);
        result
    }};
}

#[async_trait]
impl VideoProvider for Metered {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn create(&self, request: &VideoRequest<'_>) -> Result<ProviderJob, ProviderError> {
        measured!(self, "create", self.inner.create(request))
    }

    async fn retrieve(&self, id: &str) -> Result<ProviderJob, ProviderError> {
        measured!(self, "retrieve", self.inner.retrieve(id))
    }

    async fn find(
        &self,
        prompt: &str,
        created_since: i64,
    ) -> Result<Option<ProviderJob>, ProviderError> {
        measured!(self, "find", self.inner.find(prompt, created_since))
    }

    async fn cancel(&self, id: &str) -> Result<(), ProviderError> {
        measured!(self, "cancel", self.inner.cancel(id))
    }

    /// Timed to the answer's headers: the transfer that follows is the caller's.
    async fn download(
        &self,
        url: &str,
        range: Option<&str>,
    ) -> Result<reqwest::Response, ProviderError> {
        measured!(self, "download", self.inner.download(url, range))
    }

    async fn check_content(&self, job: &ProviderJob) -> Result<(), ProviderError> {
        measured!(self, "check_content", self.inner.check_content(job))
    }
}
