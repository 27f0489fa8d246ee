//! The content store against a real directory, and the cloud stores' construction.

use futures_util::TryStreamExt;

use bytes::Bytes;

use super::{ContentStore, CopyError, StoreUrl};

#[tokio::test]
async fn a_directory_store_keeps_a_streamed_copy_with_its_checksum_and_serves_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open(&StoreUrl::Directory(dir.path().into()))
        .unwrap()
        .unwrap();
    assert!(!store.can_presign());
    let path = store.path("job-1", 2);
    assert_eq!(path.as_ref(), "job-1/2");
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..20u8)
        .map(|n| Ok(Bytes::from(vec![n; 1024 * 1024])))
        .collect();
    let kept = store
        .put_stream(&path, "video/mp4", futures_util::stream::iter(chunks))
        .await
        .unwrap();
    assert_eq!(kept.bytes, 20 * 1024 * 1024);
    assert_eq!(store.size(&path).await.unwrap(), Some(kept.bytes));
    assert_eq!(store.sha256_of(&path).await.unwrap(), kept.sha256);
    let middle: Vec<Bytes> = store
        .read(&path, Some(1024 * 1024 - 2..1024 * 1024 + 2))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(middle.concat(), [0, 0, 1, 1]);
    store.delete(&path).await.unwrap();
    store.delete(&path).await.unwrap(); // already gone: no error
    assert_eq!(store.size(&path).await.unwrap(), None);
}

#[tokio::test]
async fn a_source_that_fails_mid_copy_leaves_nothing_at_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open(&StoreUrl::Directory(dir.path().into()))
        .unwrap()
        .unwrap();
    let path = store.path("job-2", 0);
    let chunks: Vec<Result<Bytes, String>> = vec![
        Ok(Bytes::from(vec![1; 9 * 1024 * 1024])),
        Err("connection reset".into()),
    ];
    let failed = store
        .put_stream(&path, "video/mp4", futures_util::stream::iter(chunks))
        .await;
    assert!(matches!(failed, Err(CopyError::Source(m)) if m == "connection reset"));
    assert_eq!(store.size(&path).await.unwrap(), None);
}

#[test]
fn cloud_stores_are_built_from_their_urls_and_name_what_is_missing() {
    let s3 = ContentStore::open(&StoreUrl::Cloud("s3://videos/relay/kept".into()))
        .unwrap()
        .unwrap();
    assert!(s3.can_presign());
    assert_eq!(s3.path("job", 0).as_ref(), "relay/kept/job/0");
    let gcs = ContentStore::open(&StoreUrl::Cloud("gs://videos".into()));
    assert!(gcs.is_ok(), "{gcs:?}");
    // Azure needs its account: the error says so.
    let azure = ContentStore::open(&StoreUrl::Cloud("az://videos/p".into()));
    if std::env::var("AZURE_STORAGE_ACCOUNT_NAME").is_err() {
        assert!(azure.unwrap_err().to_lowercase().contains("account"));
    }
}
