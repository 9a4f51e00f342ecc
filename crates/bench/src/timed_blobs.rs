//! A pass-through [`ObjectStore`] that times `put` calls: the chunk's own durable write (with
//! `LocalFileSystem::with_fsync(true)`: write a staging file, fsync it, rename it into place,
//! fsync the directory). With the store's `append_batch` timings, it splits a receipt's latency
//! into the two durable writes and everything else.

use crate::timing::Calls;
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions,
    PutOptions, PutPayload, PutResult, RenameOptions, Result,
};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug)]
pub struct TimedBlobs {
    inner: Arc<dyn ObjectStore>,
    /// One record per put: its duration and bytes.
    pub puts: Calls,
}

impl TimedBlobs {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            inner,
            puts: Calls::default(),
        }
    }
}

impl fmt::Display for TimedBlobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timed({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for TimedBlobs {
    async fn put_opts(&self, location: &Path, payload: PutPayload, opts: PutOptions) -> Result<PutResult> {
        let bytes = payload.content_length() as u64;
        let start = Instant::now();
        let result = self.inner.put_opts(location, payload, opts).await;
        self.puts.record(start.elapsed(), bytes);
        result
    }

    // Everything else: straight through (including the methods with default bodies, so the
    // inner store's own versions run).

    async fn put_multipart_opts(&self, location: &Path, opts: PutMultipartOptions) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }
    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.inner.get_opts(location, options).await
    }
    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }
    fn delete_stream(&self, locations: BoxStream<'static, Result<Path>>) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }
    fn list_with_offset(&self, prefix: Option<&Path>, offset: &Path) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }
    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}
