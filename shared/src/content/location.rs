//! `CONTENT_STORE`, parsed: off, a directory, or an object store URL.

use std::path::PathBuf;

/// Where finished videos are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreUrl {
    /// No custody: `videoUrl` stays the provider's URL.
    Off,
    /// A local directory (`/var/lib/relay/content`, `.run/content`, `file:///…`).
    Directory(PathBuf),
    /// `s3://bucket/prefix`, `gs://bucket/prefix` or `az://container/prefix`.
    Cloud(String),
}

impl StoreUrl {
    /// An error says what is wrong; a URL with credentials in it is refused (keys come from the
    /// cloud's usual variables, never from a setting that may be logged).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() || text == "off" {
            return Ok(Self::Off);
        }
        if let Some(path) = text.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err("a file:// URL needs an absolute path (file:///var/lib/…)".into());
            }
            return Ok(Self::Directory(PathBuf::from(path)));
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Ok(Self::Directory(PathBuf::from(text)));
        };
        if !matches!(scheme, "s3" | "gs" | "az") {
            return Err(format!(
                "{scheme}:// is not a store this relay knows: use a directory, file://, s3://, gs:// or az://"
            ));
        }
        let bucket = rest.split('/').next().unwrap_or_default();
        if bucket.is_empty() {
            return Err(format!(
                "{scheme}:// needs a bucket: {scheme}://bucket/prefix"
            ));
        }
        if bucket.contains('@') {
            return Err(
                "credentials do not belong in the URL: use the store's own variables".into(),
            );
        }
        Ok(Self::Cloud(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_parses_and_mistakes_are_named() {
        assert_eq!(StoreUrl::parse("off"), Ok(StoreUrl::Off));
        assert_eq!(StoreUrl::parse(""), Ok(StoreUrl::Off));
        assert_eq!(
            StoreUrl::parse(".run/content"),
            Ok(StoreUrl::Directory(".run/content".into()))
        );
        assert_eq!(
            StoreUrl::parse("file:///var/lib/relay"),
            Ok(StoreUrl::Directory("/var/lib/relay".into()))
        );
        assert_eq!(
            StoreUrl::parse("s3://videos/relay"),
            Ok(StoreUrl::Cloud("s3://videos/relay".into()))
        );
        assert!(StoreUrl::parse("file://relative").is_err());
        assert!(StoreUrl::parse("ftp://host/x")
            .unwrap_err()
            .contains("ftp://"));
        assert!(StoreUrl::parse("s3://").is_err());
        assert!(StoreUrl::parse("s3://key:secret@bucket/x").is_err());
    }
}
