//! Housekeeping that no request triggers: dead letters whose bodies expired leave the dead-letter
//! sets and the `webhook_dead_letters` count. Every worker runs it; the script is idempotent, so
//! several workers trimming at once only share the work.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::Worker;

impl Worker {
    pub(crate) async fn housekeeping_loop(self, shutdown: CancellationToken) {
        let polling = &self.inner.settings.polling;
        let kept = polling.job_max_age + polling.job_retention;
        // Often enough that the count follows within a quarter of the time a letter is kept.
        let every = (kept / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {},
                () = shutdown.cancelled() => return,
            }
            match self.inner.store.trim_dead_letters().await {
                Ok(0) => {}
                Ok(n) => debug!("let go of {n} expired dead letter(s)"),
                Err(e) => warn!("could not trim expired dead letters ({e}); trying again later"),
            }
        }
    }
}
