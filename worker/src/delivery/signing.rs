//! Tenants' webhook secrets as deliveries need them: read from Redis, parsed once, and kept for
//! [`KEEP`] (a changed secret applies within that time).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use relay_shared::store::{Store, StoreResult};
use relay_shared::webhook::SigningKeys;
use secrecy::ExposeSecret;
use tracing::warn;

const KEEP: Duration = Duration::from_secs(30);

type Cached = (Instant, Option<Arc<SigningKeys>>);

/// The keys that sign each tenant's events.
pub struct TenantSigningKeys {
    store: Store,
    cache: Mutex<HashMap<String, Cached>>,
}

impl TenantSigningKeys {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            cache: Mutex::default(),
        }
    }

    /// The keys that sign a tenant's events; `None` when the tenant has no secret of its own (the
    /// global `WEBHOOK_SECRET` signs them).
    pub async fn get(&self, tenant: &str) -> StoreResult<Option<Arc<SigningKeys>>> {
        let cache = &self.cache;
        if let Some((at, keys)) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(tenant) {
            if at.elapsed() < KEEP {
                return Ok(keys.clone());
            }
        }
        let secret = self
            .store
            .tenant(tenant)
            .await?
            .and_then(|t| t.webhook_secret);
        let keys = secret.and_then(|s| match SigningKeys::parse(s.expose_secret()) {
            Ok(keys) => keys.map(Arc::new),
            Err(why) => {
                warn!(
                    tenant,
                    "the tenant's webhook secret is unusable ({why}); signing with WEBHOOK_SECRET"
                );
                None
            }
        });
        cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant.to_owned(), (Instant::now(), keys.clone()));
        Ok(keys)
    }
}
