//! The object store finished videos are kept in, through the `object_store` crate: a local
//! directory, S3 (or any S3-compatible service), Google Cloud Storage or Azure Blob Storage.
//!
//! A copy is streamed: the source's chunks go into a multipart upload (`WriteMultipart`, parts of
//! [`PART_BYTES`], at most [`PARTS_IN_FLIGHT`] uploading) while SHA-256 is computed on the way, so
//! memory stays flat whatever the size. The object appears only when the upload completes (S3
//! completes a multipart upload atomically; a directory renames a finished staging file), so a
//! reader never sees half a video and a copy cut short by a crash leaves nothing at the path.

use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::chunked::ChunkedStore;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{
    Attribute, Attributes, ClientOptions, GetOptions, GetRange, ObjectStore, PutMultipartOptions,
    WriteMultipart,
};
use sha2::{Digest, Sha256};

use super::{Kept, StoreUrl};

/// Size of one uploaded part (S3 needs at least 5 MiB for every part but the last).
pub const PART_BYTES: usize = 8 * 1024 * 1024;
/// The chunks a directory store's files are read in.
pub const READ_CHUNK_BYTES: usize = 256 * 1024;
/// Parts uploading at once, per copy.
pub const PARTS_IN_FLIGHT: usize = 2;

/// A byte range of an object: `start..end`, end exclusive.
pub type Range = std::ops::Range<u64>;

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Reading the source (the provider's content) failed.
    #[error("reading the video from the provider failed: {0}")]
    Source(String),
    /// Writing to the content store failed.
    #[error("writing the video to the content store failed: {0}")]
    Store(#[from] object_store::Error),
}

/// Where finished videos are kept.
#[derive(Clone, Debug)]
pub struct ContentStore {
    store: Arc<dyn ObjectStore>,
    /// Presigns URLs (cloud stores only).
    signer: Option<Arc<dyn Signer>>,
    /// Under this prefix of the bucket or directory.
    prefix: String,
    /// Whether objects carry their content type (cloud stores; a directory cannot).
    typed: bool,
}

impl ContentStore {
    /// The store `CONTENT_STORE` names; `Ok(None)` when custody is off. A directory is created
    /// when missing. Credentials come from the store's usual variables (`AWS_*`, `GOOGLE_*`,
    /// `AZURE_*`).
    pub fn open(url: &StoreUrl) -> Result<Option<Self>, String> {
        let describe = |e: object_store::Error| e.to_string();
        match url {
            StoreUrl::Off => Ok(None),
            StoreUrl::Directory(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                let local = LocalFileSystem::new_with_prefix(dir)
                    .map_err(describe)?
                    .with_automatic_cleanup(true);
                // Reads in chunks of READ_CHUNK_BYTES rather than the 8 KiB a file is otherwise
                // read in, one blocking task each (a quarter of the streaming rate: BENCHMARKS.md).
                let local = ChunkedStore::new(Arc::new(local), READ_CHUNK_BYTES);
                Ok(Some(Self {
                    store: Arc::new(local),
                    signer: None,
                    prefix: String::new(),
                    typed: false,
                }))
            }
            StoreUrl::Cloud(text) => {
                let parsed = url::Url::parse(text).map_err(|e| e.to_string())?;
                let prefix = parsed.path().trim_matches('/').to_owned();
                let client = ClientOptions::new()
                    .with_timeout_disabled()
                    .with_connect_timeout(Duration::from_secs(10));
                let (store, signer): (Arc<dyn ObjectStore>, Arc<dyn Signer>) = match parsed.scheme()
                {
                    "s3" => {
                        let endpoint = std::env::var("AWS_ENDPOINT_URL")
                            .or_else(|_| std::env::var("AWS_ENDPOINT"))
                            .unwrap_or_default();
                        let allow_http = endpoint.starts_with("http://")
                            || std::env::var("AWS_ALLOW_HTTP").is_ok_and(|v| v == "true");
                        let s3 = Arc::new(
                            env_settings("AWS_", AmazonS3Builder::new(), |b, k, v| {
                                b.with_config(k, v)
                            })
                            .with_url(text)
                            .with_client_options(client.with_allow_http(allow_http))
                            .build()
                            .map_err(describe)?,
                        );
                        (s3.clone(), s3)
                    }
                    "gs" => {
                        let gcs = Arc::new(
                            env_settings("GOOGLE_", GoogleCloudStorageBuilder::new(), |b, k, v| {
                                b.with_config(k, v)
                            })
                            .with_url(text)
                            .with_client_options(client)
                            .build()
                            .map_err(describe)?,
                        );
                        (gcs.clone(), gcs)
                    }
                    _ => {
                        let azure = Arc::new(
                            env_settings("AZURE_", MicrosoftAzureBuilder::new(), |b, k, v| {
                                b.with_config(k, v)
                            })
                            .with_url(text)
                            .with_client_options(client)
                            .build()
                            .map_err(describe)?,
                        );
                        (azure.clone(), azure)
                    }
                };
                Ok(Some(Self {
                    store,
                    signer: Some(signer),
                    prefix,
                    typed: true,
                }))
            }
        }
    }

    /// Where output `index` of job `job_id` is kept.
    pub fn path(&self, job_id: &str, index: usize) -> Path {
        let mut parts: Vec<String> = self
            .prefix
            .split('/')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        parts.push(job_id.to_owned());
        parts.push(index.to_string());
        Path::from_iter(parts)
    }

    /// Streams `body` into `path`, hashing it on the way. The object exists only once the whole
    /// body is stored; a failure aborts the upload.
    pub async fn put_stream<S, E>(
        &self,
        path: &Path,
        content_type: &str,
        mut body: S,
    ) -> Result<Kept, CopyError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Display,
    {
        let mut options = PutMultipartOptions::default();
        if self.typed {
            options.attributes =
                Attributes::from_iter([(Attribute::ContentType, content_type.to_owned())]);
        }
        let upload = self.store.put_multipart_opts(path, options).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(CopyError::Source(e.to_string()));
                }
            };
            hasher.update(&chunk);
            bytes += chunk.len() as u64;
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(e.into());
            }
            writer.put(chunk);
        }
        writer.finish().await?;
        Ok(Kept {
            bytes,
            sha256: hex::encode(hasher.finalize()),
            content_type: content_type.to_owned(),
        })
    }

    /// The size of the object at `path`, or `None` when there is none.
    pub async fn size(&self, path: &Path) -> Result<Option<u64>, object_store::Error> {
        match self.store.head(path).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The SHA-256 (hex) of the object at `path`, read back from the store.
    pub async fn sha256_of(&self, path: &Path) -> Result<String, object_store::Error> {
        let mut stream = self.store.get(path).await?.into_stream();
        let mut hasher = Sha256::new();
        while let Some(chunk) = stream.next().await {
            hasher.update(&chunk?);
        }
        Ok(hex::encode(hasher.finalize()))
    }

    /// The object at `path`, or the `range` of it, as a stream of chunks.
    pub async fn read(
        &self,
        path: &Path,
        range: Option<Range>,
    ) -> Result<BoxStream<'static, Result<Bytes, object_store::Error>>, object_store::Error> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        Ok(self.store.get_opts(path, options).await?.into_stream())
    }

    /// Deletes the object at `path`; one that is already gone is no error.
    pub async fn delete(&self, path: &Path) -> Result<(), object_store::Error> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether the store can presign URLs (`CONTENT_LINK=presigned`).
    pub fn can_presign(&self) -> bool {
        self.signer.is_some()
    }

    /// A presigned GET URL of `path`, valid for `ttl`; `None` when the store cannot presign.
    pub async fn presigned(
        &self,
        path: &Path,
        ttl: Duration,
    ) -> Option<Result<String, object_store::Error>> {
        let signer = self.signer.as_ref()?;
        Some(
            signer
                .signed_url(reqwest::Method::GET, path, ttl)
                .await
                .map(String::from),
        )
    }
}

/// A cloud store's builder with the settings its variables (`AWS_…`, `GOOGLE_…`, `AZURE_…`)
/// give, as its own `from_env` reads them, except that an empty variable counts as unset (compose
/// passes every variable, set or not).
fn env_settings<B, K: std::str::FromStr>(
    prefix: &str,
    builder: B,
    with: impl Fn(B, K, String) -> B,
) -> B {
    std::env::vars()
        .filter(|(name, value)| name.starts_with(prefix) && !value.is_empty())
        .filter_map(|(name, value)| Some((name.to_ascii_lowercase().parse::<K>().ok()?, value)))
        .fold(builder, |builder, (key, value)| with(builder, key, value))
}
