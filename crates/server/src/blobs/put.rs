//! Writing one media object: a single PUT below [`MULTIPART_FROM`], a multipart upload at or
//! above it. Either way the key is the caller's (for chunks, one naming the bytes' SHA-256), so
//! writing the same object twice is harmless and no conditional PUT is needed.
//!
//! Why 8 MiB: a multipart upload costs two requests more than a PUT (create, complete). Below
//! 8 MiB one PUT is done before those would be; from there the parts go up side by side, and a
//! part that fails is retried alone (object_store retries each request), so a flaky link to the
//! bucket resends at most one part, not the whole chunk. It is also where the AWS tools switch
//! (their `multipart_threshold` and `multipart_chunksize`). Parts are 8 MiB too: S3 takes no part
//! under 5 MiB except the last.
//!
//! A multipart upload that fails is aborted, so no parts linger in the bucket (they would be
//! billed and never read). It runs in a task of its own, so an upload whose caller goes away (the
//! phone's connection dropped mid-request) still completes or aborts. Only a process killed in
//! the middle leaves parts behind: docs/object-storage.md asks for the bucket's lifecycle rule
//! that removes incomplete uploads.
//!
//! Local files (`LocalFileSystem` with fsync) take the same path: object_store 0.14 writes the
//! parts into a staging file and, on completion, `sync_all`s it, renames it into place and fsyncs
//! the directory, as it does for a PUT; so a large chunk is as durable as a small one.

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use std::sync::Arc;

/// Objects this large or larger are written in parts.
pub const MULTIPART_FROM: usize = 8 * 1024 * 1024;
/// The size of every part but the last (at least S3's 5 MiB).
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts in flight at once for one object: a 16 MiB chunk goes up in one round.
const PARTS_AT_ONCE: usize = 4;

/// Writes `bytes` at `key`; returns once the store holds them durably (local files: fsync'ed;
/// S3: the PUT, or the multipart upload's completion, answered).
pub async fn put_object(blobs: &Arc<dyn ObjectStore>, key: &Path, bytes: Bytes) -> object_store::Result<()> {
    if bytes.len() < MULTIPART_FROM {
        blobs.put(key, PutPayload::from(bytes)).await?;
        return Ok(());
    }
    let (blobs, owned_key) = (blobs.clone(), key.clone());
    tokio::spawn(async move { put_in_parts(blobs.as_ref(), &owned_key, bytes).await })
        .await
        .map_err(|failed| object_store::Error::Generic {
            store: "multipart upload",
            source: Box::new(failed),
        })?
}

/// One multipart upload of `bytes`, [`PART_SIZE`] at a time, aborted if any request fails.
async fn put_in_parts(blobs: &dyn ObjectStore, key: &Path, mut bytes: Bytes) -> object_store::Result<()> {
    let upload = blobs.put_multipart(key).await?;
    let mut parts = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
    while !bytes.is_empty() {
        if let Err(failed) = parts.wait_for_capacity(PARTS_AT_ONCE).await {
            if let Err(abort) = parts.abort().await {
                tracing::warn!(%key, error = %abort, "a failed multipart upload could not be aborted");
            }
            return Err(failed);
        }
        // Slices of the same buffer: nothing is copied.
        parts.put(bytes.split_to(bytes.len().min(PART_SIZE)));
    }
    // Aborts the upload itself if a part or the completion fails.
    parts.finish().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::local::LocalFileSystem;

    #[tokio::test]
    async fn large_objects_on_local_files_are_written_whole_and_leave_nothing_staged() {
        let dir = tempfile::tempdir().expect("dir");
        let local = LocalFileSystem::new_with_prefix(dir.path())
            .expect("local")
            .with_fsync(true);
        let blobs: Arc<dyn ObjectStore> = Arc::new(local);
        for len in [MULTIPART_FROM - 1, MULTIPART_FROM, 2 * PART_SIZE + 12_345] {
            let bytes: Bytes = (0..len).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into();
            let key = Path::from(format!("recordings/r/{len}"));
            put_object(&blobs, &key, bytes.clone()).await.expect("put");
            let read = blobs.get(&key).await.expect("get").bytes().await.expect("bytes");
            assert!(read == bytes, "{len} bytes read back differently");
        }
        let files: Vec<_> = walk(dir.path());
        assert_eq!(files.len(), 3, "only the three objects, no staging files: {files:?}");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
        found
    }
}
