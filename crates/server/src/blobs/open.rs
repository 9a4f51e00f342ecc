//! The `blob_url` setting: which object store holds the media.
//!
//! Chosen by the URL's scheme, as `database_url` chooses its backend, and refusing what it does not
//! know rather than guessing: a typo must not quietly put evidence on the local disk of one node
//! of a cluster.

use crate::alerts::Secret;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// `[s3]`: how to reach and sign for an S3-compatible store. Every empty value is taken from the
/// standard `AWS_*` environment (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_ALLOW_HTTP`...) when there is one.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    /// The server's base URL, e.g. `https://s3.example.org` (MinIO, Garage, Ceph...). Empty: AWS.
    pub endpoint: String,
    /// Empty: `AWS_REGION`, else `us-east-1`.
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Allow `http://` endpoints: only for a store on this machine or a private network.
    pub allow_http: bool,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// Where the media lives, parsed from `blob_url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobLocation {
    /// `<data_dir>/media` on this machine.
    Local,
    /// A bucket, and a prefix inside it (no leading or trailing `/`; may be empty).
    S3 { bucket: String, prefix: String },
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("blob_url must be empty (media in <data_dir>/media) or s3://bucket/prefix; got a URL starting with {0:?}")]
    Scheme(String),
    #[error("blob_url {0:?} names no bucket: write it as s3://bucket or s3://bucket/prefix")]
    NoBucket(String),
    #[error(
        "blob_url must not carry credentials (user:password@): set [s3] access_key_id and secret_access_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    Credentials,
    #[error("creating the media directory {path}: {source}")]
    Directory { path: String, source: std::io::Error },
    #[error("the S3 settings: {0}")]
    Store(#[from] object_store::Error),
}

impl BlobLocation {
    pub fn parse(url: &str) -> Result<Self, OpenError> {
        let url = url.trim();
        if url.is_empty() {
            return Ok(Self::Local);
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            let scheme = url.split_once("://").map_or(url, |(scheme, _)| scheme);
            // Only the scheme goes into the message: the rest may hold a secret.
            return Err(OpenError::Scheme(scheme.chars().take(16).collect()));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.contains('@') {
            return Err(OpenError::Credentials);
        }
        if bucket.is_empty() || bucket.contains([':', '?', '#']) {
            return Err(OpenError::NoBucket(url.to_owned()));
        }
        Ok(Self::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        })
    }
}

/// Opens the store `blob_url` names. Local files are written with fsync, so a chunk is
/// acknowledged only once it would survive a power cut; an S3 PUT answers only once stored.
pub fn open(url: &str, s3: &S3Settings, data_dir: &Path) -> Result<Arc<dyn ObjectStore>, OpenError> {
    match BlobLocation::parse(url)? {
        BlobLocation::Local => {
            let media = data_dir.join("media");
            std::fs::create_dir_all(&media).map_err(|source| OpenError::Directory {
                path: media.display().to_string(),
                source,
            })?;
            Ok(Arc::new(LocalFileSystem::new_with_prefix(&media)?.with_fsync(true)))
        }
        BlobLocation::S3 { bucket, prefix } => {
            let store = s3_builder(&bucket, s3).build()?;
            Ok(match prefix.is_empty() {
                true => Arc::new(store),
                false => Arc::new(PrefixStore::new(store, prefix.as_str())),
            })
        }
    }
}

/// The environment first, then what the settings name.
fn s3_builder(bucket: &str, s3: &S3Settings) -> AmazonS3Builder {
    // object_store's HTTP client is built on rustls without a crypto provider of its own (so the
    // binary carries ring only, not aws-lc-rs too); it needs one installed before the first
    // client. A second call finds it installed and changes nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    if !s3.endpoint.is_empty() {
        builder = builder.with_endpoint(&s3.endpoint);
    }
    if !s3.region.is_empty() {
        builder = builder.with_region(&s3.region);
    }
    if !s3.access_key_id.is_empty() {
        builder = builder.with_access_key_id(&s3.access_key_id);
    }
    if !s3.secret_access_key.is_empty() {
        builder = builder.with_secret_access_key(s3.secret_access_key.expose());
    }
    if s3.allow_http {
        builder = builder.with_allow_http(true);
    }
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_a_store_or_are_refused() {
        assert_eq!(BlobLocation::parse("").ok(), Some(BlobLocation::Local));
        assert_eq!(
            BlobLocation::parse("s3://evidence/city-a/").ok(),
            Some(BlobLocation::S3 {
                bucket: "evidence".into(),
                prefix: "city-a".into()
            })
        );
        assert_eq!(
            BlobLocation::parse("s3://evidence").ok(),
            Some(BlobLocation::S3 {
                bucket: "evidence".into(),
                prefix: String::new()
            })
        );
        assert!(matches!(BlobLocation::parse("s3://"), Err(OpenError::NoBucket(_))));
        assert!(matches!(
            BlobLocation::parse("s3://key:hunter2@bucket/x"),
            Err(OpenError::Credentials)
        ));
        let refused = BlobLocation::parse("gs://key:hunter2@bucket").expect_err("not S3");
        assert!(!refused.to_string().contains("hunter2"), "{refused}");
        assert!(matches!(BlobLocation::parse("/srv/media"), Err(OpenError::Scheme(_))));
    }

    #[test]
    fn the_secret_key_never_shows_in_debug() {
        let settings = S3Settings {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI"),
            ..S3Settings::default()
        };
        let shown = format!("{settings:?}");
        assert!(
            shown.contains("AKIDEXAMPLE") && !shown.contains("wJalrXUtnFEMI"),
            "{shown}"
        );
    }

    #[test]
    fn s3_needs_no_network_to_open() {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = S3Settings {
            endpoint: "http://127.0.0.1:9".into(),
            region: "us-east-1".into(),
            allow_http: true,
            ..S3Settings::default()
        };
        assert!(open("s3://bucket/prefix", &settings, dir.path()).is_ok());
        assert!(!dir.path().join("media").exists(), "no local media directory for S3");
    }
}
