//! Every object of the node's media directory (recording chunks, report photos), into the
//! target bucket under the same key. Keys are kept as they are, so the rows that name them need
//! no change, and chunks under the older key without their SHA-256 are still found.
//!
//! Resumable: an object already in the target with the same size is not sent again, so a copy
//! cut short (a crash, a dropped connection) continues where it stopped. Objects are never
//! deleted from either side.

use super::AT_ONCE;
use super::progress::Progress;
use amparo_server::blobs::put_object;
use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use std::sync::Arc;

/// What the media copy did.
#[derive(Debug, Default)]
pub struct MediaCopied {
    pub objects: u64,
    pub bytes: u64,
    /// Already in the target from an earlier run, with the same size.
    pub already_there: u64,
}

/// How many objects `from` holds (a listing is read twice rather than kept: a node's media
/// directory may hold millions of chunks).
pub async fn count(from: &dyn ObjectStore) -> anyhow::Result<u64> {
    from.list(None)
        .try_fold(0u64, |n, _| async move { Ok(n + 1) })
        .await
        .context("listing the node's media directory")
}

pub async fn copy_all(from: &dyn ObjectStore, to: &Arc<dyn ObjectStore>, total: u64) -> anyhow::Result<MediaCopied> {
    let mut progress = Progress::start("media objects", total);
    let mut copied = MediaCopied::default();
    let mut results = from
        .list(None)
        .map(|listed| async move {
            let object = listed.context("listing the node's media directory")?;
            copy_one(&object, from, to).await
        })
        .buffer_unordered(AT_ONCE);
    while let Some(sent) = results.next().await {
        match sent? {
            Some(bytes) => copied.bytes += bytes,
            None => copied.already_there += 1,
        }
        copied.objects += 1;
        progress.advance(1);
    }
    progress.finish();
    Ok(copied)
}

/// The bytes sent, or `None` when the target already held the object.
async fn copy_one(
    object: &ObjectMeta,
    from: &dyn ObjectStore,
    to: &Arc<dyn ObjectStore>,
) -> anyhow::Result<Option<u64>> {
    let key = &object.location;
    match to.head(key).await {
        Ok(there) if there.size == object.size => return Ok(None),
        Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
        Err(error) => {
            return Err(error).with_context(|| format!("asking the target bucket for {key} (check [s3] and blob_url)"));
        }
    }
    let reading = || format!("reading {key} from the node's media directory");
    let found = from.get(key).await.with_context(reading)?;
    let bytes = found.bytes().await.with_context(reading)?;
    let size = bytes.len() as u64;
    // Large objects in parts (`blobs::put`), as the node writes them.
    put_object(to, key, bytes)
        .await
        .with_context(|| format!("writing {key} to the target bucket"))?;
    Ok(Some(size))
}
