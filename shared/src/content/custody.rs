//! Everything a process needs to keep and hand out videos: the store, and how `videoUrl` links
//! to a kept output (signed, presigned or plain).

use std::time::Duration;

use secrecy::ExposeSecret;
use tracing::warn;

use super::link::{self, LinkSigner};
use super::ContentStore;
use crate::config::{LinkKind, Settings};

/// Custody of finished videos, as `CONTENT_*` configure it.
#[derive(Clone, Debug)]
pub struct Custody {
    pub store: ContentStore,
    /// Signs links (`CONTENT_LINK_SECRET`); `None`: links are plain and need a key.
    pub signer: Option<LinkSigner>,
    /// `CONTENT_LINK=presigned`.
    presigned: bool,
    /// How long a link is valid.
    link_ttl: Duration,
    /// The API's public URL, without a trailing slash.
    base: String,
    /// Kept outputs are deleted this long after they were stored.
    pub retention: Option<Duration>,
}

impl Custody {
    /// `Ok(None)` when custody is off; an error names the setting at fault.
    pub fn from_settings(settings: &Settings) -> Result<Option<Self>, String> {
        let content = &settings.content;
        let Some(store) =
            ContentStore::open(&content.store).map_err(|e| format!("CONTENT_STORE: {e}"))?
        else {
            return Ok(None);
        };
        let presigned = content.link == LinkKind::Presigned;
        if presigned && !store.can_presign() {
            return Err("CONTENT_LINK=presigned needs an s3://, gs:// or az:// store".into());
        }
        let signer = LinkSigner::new(content.link_secret.expose_secret());
        if signer.is_none() && !presigned {
            warn!("CONTENT_LINK_SECRET is not set: videoUrl links to kept videos need an API key");
        }
        Ok(Some(Self {
            store,
            signer,
            presigned,
            link_ttl: content.link_ttl,
            base: settings.public_base_url(),
            retention: content.retention,
        }))
    }

    /// What `videoUrl` says for output `index` of a job at `now` (unix seconds), and until when
    /// it works (`contentExpiresAt`): a presigned URL of the store, else a signed link, else the
    /// plain content URL.
    pub async fn link(&self, job_id: &str, index: usize, now: i64) -> (String, i64) {
        let expires = now + self.link_ttl.as_secs() as i64;
        if self.presigned {
            let path = self.store.path(job_id, index);
            match self.store.presigned(&path, self.link_ttl).await {
                Some(Ok(url)) => return (url, expires),
                Some(Err(e)) => warn!(job = job_id, "could not presign the video's URL: {e}"),
                None => {}
            }
        }
        let url = match &self.signer {
            Some(signer) => signer.link(&self.base, job_id, index, expires),
            None => link::plain(&self.base, job_id, index),
        };
        (url, expires)
    }
}
