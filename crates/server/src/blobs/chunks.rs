//! A chunk's bytes in object storage: written under a key that names their SHA-256, read back by
//! the key the stored chunk row gives.
//!
//! Why not a conditional PUT (`If-None-Match: *`) on `recordings/<id>/<offset>`: several S3
//! servers ignore it, and then two nodes racing on one upload offset with different bytes could
//! both PUT, the store would commit one of them, and the other's later PUT would overwrite the
//! committed bytes. With the SHA-256 in the key, different bytes are different objects; the loser's
//! object is an orphan nobody reads (its chunk row was never committed).

use super::put::put_object;
use amparo_core::ids::RecordingId;
use amparo_store::{Chunk, chunk_blob_key, legacy_chunk_blob_key};
use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use std::sync::Arc;

/// Writes `bytes`, whose SHA-256 is `sha256`, as the chunk at `offset` of `recording`. Returns
/// once the store holds them durably (local files: fsync'ed; S3: the PUT answered). A chunk of
/// [`super::put::MULTIPART_FROM`] or more goes up as a multipart upload.
pub async fn put_chunk(
    blobs: &Arc<dyn ObjectStore>,
    recording: RecordingId,
    offset: u64,
    sha256: &[u8; 32],
    bytes: Bytes,
) -> object_store::Result<()> {
    let key = Path::from(chunk_blob_key(recording, offset, sha256));
    put_object(blobs, &key, bytes).await
}

/// Reads a stored chunk's bytes. Chunks written before the key named their SHA-256 are still at
/// the older key ([`legacy_chunk_blob_key`]): when the new key is absent, that one is read, so an
/// existing deployment needs no migration of its media.
pub async fn read_chunk(blobs: &dyn ObjectStore, chunk: &Chunk) -> object_store::Result<Bytes> {
    let key = Path::from(chunk_blob_key(chunk.recording, chunk.offset, &chunk.sha256));
    match blobs.get(&key).await {
        Ok(found) => found.bytes().await,
        Err(object_store::Error::NotFound { .. }) => {
            let legacy = Path::from(legacy_chunk_blob_key(chunk.recording, chunk.offset));
            blobs.get(&legacy).await?.bytes().await
        }
        Err(e) => Err(e),
    }
}
