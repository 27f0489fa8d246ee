//! Tenants and their API keys. Every tenant record and key lives in the `{tenants}` slot.

use redis::AsyncCommands;
use secrecy::SecretString;

use super::{scripts, Store, StoreResult};
use crate::access::{self, IssuedKey};

/// A tenant as stored: its webhook URL and secret override the global ones for its jobs.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<SecretString>,
}

impl Store {
    /// Creates a tenant and issues its first key.
    pub async fn create_tenant(
        &self,
        name: &str,
        webhook_url: Option<&str>,
        webhook_secret: Option<&str>,
    ) -> StoreResult<(String, IssuedKey)> {
        let id = format!("ten_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        let mut fields = vec![("name", name)];
        if let Some(url) = webhook_url {
            fields.push(("webhook_url", url));
        }
        if let Some(secret) = webhook_secret {
            fields.push(("webhook_secret", secret));
        }
        let mut conn = self.conn().await?;
        conn.hset_multiple::<_, _, _, ()>(self.keys.tenant(&id), &fields)
            .await?;
        let key = self
            .issue_key(&id, false)
            .await?
            .expect("the tenant was just stored");
        Ok((id, key))
    }

    /// Issues a new key to a tenant; with `revoke_others`, every earlier key stops working at
    /// once (rotation). `None` when there is no such tenant.
    pub async fn issue_key(
        &self,
        tenant_id: &str,
        revoke_others: bool,
    ) -> StoreResult<Option<IssuedKey>> {
        let key = IssuedKey::generate();
        let mut conn = self.conn().await?;
        let issued: i64 = scripts::ISSUE_KEY
            .key(self.keys.tenant(tenant_id))
            .key(self.keys.tenant_keys(tenant_id))
            .arg(self.keys.api_key_prefix())
            .arg(&key.key_id)
            .arg(&key.secret_hash)
            .arg(tenant_id)
            .arg(if revoke_others { "1" } else { "0" })
            .invoke_async(&mut conn)
            .await?;
        Ok((issued == 1).then_some(key))
    }

    /// Revokes one key of a tenant. False when the tenant has no such key.
    pub async fn revoke_key(&self, tenant_id: &str, key_id: &str) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let revoked: i64 = scripts::REVOKE_KEY
            .key(self.keys.api_key(key_id))
            .key(self.keys.tenant_keys(tenant_id))
            .arg(tenant_id)
            .arg(key_id)
            .invoke_async(&mut conn)
            .await?;
        Ok(revoked == 1)
    }

    /// The tenant a presented API key belongs to, if it is a live key.
    pub async fn tenant_of_key(&self, api_key: &str) -> StoreResult<Option<String>> {
        let Some((key_id, secret)) = access::parse(api_key) else {
            return Ok(None);
        };
        let mut conn = self.conn().await?;
        let (tenant, hash): (Option<String>, Option<String>) = redis::cmd("HMGET")
            .arg(self.keys.api_key(key_id))
            .arg("tenant")
            .arg("hash")
            .query_async(&mut conn)
            .await?;
        Ok(match (tenant, hash) {
            (Some(tenant), Some(hash)) if access::secret_matches(secret, &hash) => Some(tenant),
            _ => None,
        })
    }

    pub async fn tenant(&self, tenant_id: &str) -> StoreResult<Option<Tenant>> {
        let mut conn = self.conn().await?;
        let (name, webhook_url, webhook_secret): (Option<String>, Option<String>, Option<String>) =
            redis::cmd("HMGET")
                .arg(self.keys.tenant(tenant_id))
                .arg("name")
                .arg("webhook_url")
                .arg("webhook_secret")
                .query_async(&mut conn)
                .await?;
        Ok(name.map(|name| Tenant {
            id: tenant_id.to_owned(),
            name,
            webhook_url,
            webhook_secret: webhook_secret.map(SecretString::from),
        }))
    }
}

impl Store {
    /// Takes one submission token from the tenant's bucket: `Err(wait)` when it is empty.
    pub async fn take_submission_token(
        &self,
        tenant_id: &str,
        per_min: u32,
        burst: u32,
    ) -> StoreResult<Result<(), std::time::Duration>> {
        let mut conn = self.conn().await?;
        let wait_ms: i64 = scripts::TAKE_TOKEN
            .key(self.keys.tenant_bucket(tenant_id))
            .arg(per_min)
            .arg(burst.max(1))
            .invoke_async(&mut conn)
            .await?;
        Ok(if wait_ms <= 0 {
            Ok(())
        } else {
            Err(std::time::Duration::from_millis(wait_ms as u64))
        })
    }
}

impl Store {
    /// Reserves one of the tenant's `cap` active-job places for `job_id`, about to be created.
    /// False when every place is held by a job that is not final. Places of jobs that ended are
    /// given back here, when the cap is reached (one status read per place, only then); a place
    /// whose job does not exist is given back only once it is older than any creation takes
    /// (its job may be on its way).
    pub async fn reserve_active_place(
        &self,
        tenant_id: &str,
        job_id: &str,
        cap: u64,
        stale_after: std::time::Duration,
    ) -> StoreResult<bool> {
        /// Longer than any submission takes between its reservation and its job's creation.
        const CREATION_GRACE: std::time::Duration = std::time::Duration::from_secs(60);
        let set = self.keys.tenant_active(tenant_id);
        let reserve = async |missing: &[String]| -> StoreResult<bool> {
            let mut conn = self.conn().await?;
            let reserved: i64 = scripts::RESERVE_ACTIVE
                .key(&set)
                .arg(job_id)
                .arg(cap)
                .arg(stale_after.as_millis() as u64)
                .arg(CREATION_GRACE.as_millis() as u64)
                .arg(missing)
                .invoke_async(&mut conn)
                .await?;
            Ok(reserved == 1)
        };
        if reserve(&[]).await? {
            return Ok(true);
        }
        let mut conn = self.conn().await?;
        let holders: Vec<String> = conn.zrange(&set, 0, -1).await?;
        // Read side by side: the requests are pipelined on the one connection.
        let jobs = futures_util::future::try_join_all(
            holders.iter().map(|holder| self.job_for_api(holder)),
        )
        .await?;
        let (mut ended, mut missing) = (Vec::new(), Vec::new());
        for (holder, job) in holders.into_iter().zip(jobs) {
            match job {
                Some(job) if job.status().is_terminal() => ended.push(holder),
                Some(_) => {}
                None => missing.push(holder),
            }
        }
        if ended.is_empty() && missing.is_empty() {
            return Ok(false);
        }
        if !ended.is_empty() {
            let _: i64 = conn.zrem(&set, &ended).await?;
        }
        reserve(&missing).await
    }

    /// Gives back a place reserved for a job that was not created after all.
    pub async fn release_active_place(&self, tenant_id: &str, job_id: &str) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        let _: i64 = conn
            .zrem(self.keys.tenant_active(tenant_id), job_id)
            .await?;
        Ok(())
    }
}
