//! Large chunks on a real S3 server (s3s-fs, which refuses parts under 5 MiB but the last, as S3
//! does): a chunk of 8 MiB or more goes up as a multipart upload and a small one in one PUT (the
//! stored object's ETag says which: S3 ends a multipart object's with `-<parts>`), both read back
//! byte for byte, and the bundle verifies. A multipart upload that fails is aborted: no parts stay
//! in the bucket.
//!
//! s3s-fs keeps a multipart upload's attributes in a file named by the base64 of the bucket and
//! the key, which for a chunk's key (133 characters) passes the 255-byte limit on a file's name:
//! so these tests reach s3s-fs through [`ShortKeys`], which names each object by the SHA-256 of
//! its key and passes everything else through. S3 itself takes keys of 1,024 bytes.

use crate::harness::{TestServer, bundle_media, test_services};
use crate::s3::s3fs::S3Fs;
use crate::s3::{bundle_verifies, media_from, noise, recording_of, sha256};
use amparo_server::blobs::put::{MULTIPART_FROM, PART_SIZE, put_object};
use amparo_server::limits::Limits;
use amparo_store::{Store, chunk_blob_key};
use async_trait::async_trait;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, ObjectStoreExt,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, UploadPart,
};
use reqwest::StatusCode;
use std::sync::Arc;

#[tokio::test]
async fn large_chunks_go_up_in_parts_and_small_ones_in_one_put() {
    let s3 = S3Fs::start();
    let bucket: Arc<dyn ObjectStore> = Arc::new(ShortKeys::over(s3.open("large")));
    let server = server_over(bucket.clone()).await;
    let (token, _) = server.member().await;
    let encounter = server.start_encounter(&token).await;
    let upload = server.create_upload(&token, &encounter).await;
    let recording = recording_of(&upload);
    // A full part and a short last one (within the default 16 MiB chunk limit); then a chunk
    // far below the threshold.
    let large = noise(PART_SIZE + 123_457, 7);
    let small = noise(40_000, 8);
    let mut media = Vec::new();
    let mut keys = Vec::new();
    for chunk in [&large, &small] {
        let offset = media.len() as u64;
        let response = server.patch(&token, &upload, offset, chunk.clone()).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        keys.push(Path::from(chunk_blob_key(recording, offset, &sha256(chunk))));
        media.extend_from_slice(chunk);
    }

    let etag = |meta: ObjectMeta| meta.e_tag.expect("s3s-fs gives every object an ETag");
    let large_etag = etag(bucket.head(&keys[0]).await.expect("the large chunk is stored"));
    assert!(
        large_etag.trim_matches('"').ends_with("-2"),
        "a {} byte chunk went up in two parts: ETag {large_etag}",
        large.len()
    );
    let small_etag = etag(bucket.head(&keys[1]).await.expect("the small chunk is stored"));
    assert!(
        !small_etag.contains('-'),
        "a small chunk went up in one PUT: ETag {small_etag}"
    );
    assert_no_parts_left(&s3);

    // Following the recording, as the app does: an answer at a time, from where the last ended.
    let mut followed = Vec::new();
    while followed.len() < media.len() {
        let from = followed.len();
        let bytes = media_from(&server, &token, &encounter, recording, from).await;
        assert!(!bytes.is_empty(), "no bytes from {from}");
        followed.extend_from_slice(&bytes);
    }
    assert!(followed == media, "the media read back differs");

    server.end_encounter(&token, &encounter).await;
    let bundle = bundle_verifies(&server, &token, &encounter).await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bundle)).expect("zip");
    assert!(bundle_media(&mut archive) == media, "the bundle's media differs");
}

#[tokio::test]
async fn a_multipart_upload_that_fails_is_aborted_and_leaves_no_parts() {
    let s3 = S3Fs::start();
    let real: Arc<dyn ObjectStore> = Arc::new(ShortKeys::over(s3.open("aborted")));
    let failing: Arc<dyn ObjectStore> = Arc::new(ShortKeys {
        fail_completion: true,
        ..ShortKeys::over(s3.open("aborted"))
    });
    let key = Path::from("recordings/aborted/chunk");
    let bytes = noise(MULTIPART_FROM + 1_000, 9);
    let refused = put_object(&failing, &key, bytes.clone().into()).await;
    assert!(refused.is_err(), "the completion failed, so the put did");
    assert!(
        matches!(real.head(&key).await, Err(object_store::Error::NotFound { .. })),
        "no object after a failed upload"
    );
    assert_no_parts_left(&s3);

    // The same object again, through the real store: written whole.
    put_object(&real, &key, bytes.clone().into()).await.expect("put");
    let read = real.get(&key).await.expect("get").bytes().await.expect("bytes");
    assert!(read == bytes, "read back differently");
}

/// s3s-fs keeps an upload's parts as `.upload_id-<id>.part-<n>` in its root until the upload is
/// completed or aborted.
fn assert_no_parts_left(s3: &S3Fs) {
    let parts: Vec<String> = std::fs::read_dir(s3.root.path())
        .expect("s3s-fs root")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".upload_id-"))
        .collect();
    assert!(parts.is_empty(), "parts left in the bucket: {parts:?}");
}

/// A server over SQLite whose media is in `bucket`.
async fn server_over(bucket: Arc<dyn ObjectStore>) -> TestServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(
        amparo_store_sqlite::SqliteStore::open(&dir.path().join("amparo.db"))
            .await
            .expect("sqlite store"),
    );
    let limits = Limits {
        account_requests_per_second: 100_000,
        account_burst: 100_000,
        ..Limits::default()
    };
    TestServer::start_on(store, bucket, dir, limits, test_services()).await
}

/// The real store, with each object named by the SHA-256 of its key (see the module's docs);
/// and, if asked, completing a multipart upload fails after every part went up: what a bucket
/// that errs at the last moment does. Listings show the stored names (nothing here lists).
#[derive(Debug)]
struct ShortKeys {
    inner: Arc<dyn ObjectStore>,
    fail_completion: bool,
}

impl ShortKeys {
    fn over(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            inner,
            fail_completion: false,
        }
    }
}

fn short(location: &Path) -> Path {
    Path::from(format!("k/{}", hex::encode(sha256(location.as_ref().as_bytes()))))
}

impl std::fmt::Display for ShortKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShortKeys({})", self.inner)
    }
}

#[derive(Debug)]
struct FailingUpload(Box<dyn MultipartUpload>);

#[async_trait]
impl MultipartUpload for FailingUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        self.0.put_part(data)
    }
    async fn complete(&mut self) -> object_store::Result<PutResult> {
        Err(object_store::Error::Generic {
            store: "ShortKeys",
            source: "the bucket failed to complete the upload".into(),
        })
    }
    async fn abort(&mut self) -> object_store::Result<()> {
        self.0.abort().await
    }
}

#[async_trait]
impl ObjectStore for ShortKeys {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(&short(location), payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        let upload = self.inner.put_multipart_opts(&short(location), opts).await?;
        Ok(match self.fail_completion {
            true => Box::new(FailingUpload(upload)),
            false => upload,
        })
    }
    async fn get_opts(&self, location: &Path, options: GetOptions) -> object_store::Result<GetResult> {
        self.inner.get_opts(&short(location), options).await
    }
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner
            .delete_stream(locations.map_ok(|location| short(&location)).boxed())
    }
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }
    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> object_store::Result<()> {
        self.inner.copy_opts(&short(from), &short(to), options).await
    }
}
