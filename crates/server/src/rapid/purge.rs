//! Keeping no photo longer than it is needed: the bytes of photos whose rows were deleted (by
//! their reporter, or by the purge of rejected and expired reports), and blobs under
//! `reports/` that never got a row (the server wrote the bytes, then crashed or was refused
//! before the row). The store deletes rows first and answers with what it deleted; the bytes
//! go after. Whatever a crash leaves between the two is a blob without a row, which the next
//! orphan sweep removes.

use crate::clock::now_us;
use crate::state::AppState;
use amparo_core::ids::PhotoId;
use amparo_store::{ReportPhoto, Store};
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use std::time::Duration;

/// A blob without a row is an orphan only once it is this old: younger, its row may still be
/// on its way (the upload writes the bytes, then the row).
pub const ORPHAN_AGE: Duration = Duration::from_secs(60 * 60);

/// Photo rows purged per store call, so one purge never holds the writer for long.
const BATCH: u32 = 200;

/// What one purge removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    /// Photos of rejected and expired reports: rows and bytes.
    pub photos: u64,
    /// Blobs that had no row.
    pub orphans: u64,
}

/// Removes the bytes of photos whose rows are gone. A failure is logged and left to the
/// orphan sweep.
pub async fn remove_blobs(blobs: &dyn ObjectStore, photos: &[ReportPhoto]) {
    for photo in photos {
        let key = Path::from(photo.blob_key());
        match blobs.delete(&key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, photo = %photo.id, "a deleted photo's bytes were not removed yet"),
        }
    }
}

/// What a purge removes, and after how long.
#[derive(Debug, Clone, Copy)]
pub struct Ages {
    /// Photos of reports rejected or expired at least this long ago.
    pub rejected: Duration,
    /// Blobs without a row at least this old.
    pub orphan: Duration,
}

fn micros(age: Duration) -> i64 {
    i64::try_from(age.as_micros()).unwrap_or(i64::MAX)
}

/// One pass at `now_us`: the photos of reports rejected or expired long enough ago (rows, then
/// bytes), then the blobs under `reports/` without a row.
pub async fn purge_once(store: &dyn Store, blobs: &dyn ObjectStore, now_us: i64, ages: Ages) -> Purged {
    let mut purged = Purged::default();
    loop {
        let decided_before = now_us.saturating_sub(micros(ages.rejected));
        let photos = match store.purge_report_photos(decided_before, BATCH).await {
            Ok(photos) => photos,
            Err(error) => {
                tracing::warn!(%error, "purging the photos of rejected and expired reports");
                break;
            }
        };
        remove_blobs(blobs, &photos).await;
        purged.photos += photos.len() as u64;
        if photos.len() < BATCH as usize {
            break;
        }
    }
    purged.orphans = sweep_orphans(store, blobs, now_us.saturating_sub(micros(ages.orphan))).await;
    purged
}

/// Deletes every blob under `reports/` last written before `before_us` whose photo has no row.
/// Returns how many.
async fn sweep_orphans(store: &dyn Store, blobs: &dyn ObjectStore, before_us: i64) -> u64 {
    let mut listing = blobs.list(Some(&Path::from("reports")));
    let mut removed = 0;
    while let Some(item) = listing.next().await {
        let meta = match item {
            Ok(meta) => meta,
            Err(error) => {
                tracing::warn!(%error, "listing report photos for orphans");
                break;
            }
        };
        if meta.last_modified.timestamp_micros() >= before_us {
            continue;
        }
        // A key that does not name a photo is not ours to judge: left alone.
        let Some(id) = photo_of(&meta.location) else {
            continue;
        };
        match store.report_photo(id).await {
            Ok(None) => {}
            Ok(Some(_)) => continue,
            Err(error) => {
                tracing::warn!(%error, "checking a photo's row");
                continue;
            }
        }
        match blobs.delete(&meta.location).await {
            Ok(()) => removed += 1,
            Err(error) => tracing::warn!(%error, key = %meta.location, "an orphaned photo was not removed"),
        }
    }
    removed
}

/// The photo a key `reports/<report>/<photo>.jpg` holds.
fn photo_of(key: &Path) -> Option<PhotoId> {
    let name = key.filename()?;
    name.strip_suffix(".jpg")?.parse().ok()
}

/// Purges every `every`, for as long as the server runs.
pub async fn purge_photos(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let ages = Ages {
            rejected: Duration::from_secs(state.limits.rejected_photo_keep_secs),
            orphan: ORPHAN_AGE,
        };
        let purged = purge_once(state.store.as_ref(), state.blobs.as_ref(), now_us(), ages).await;
        if purged != Purged::default() {
            tracing::info!(photos = purged.photos, orphans = purged.orphans, "report photos purged");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use amparo_core::ids::ReportId;

    #[test]
    fn only_photo_keys_name_a_photo() {
        let id = PhotoId::new();
        let key = Path::from(amparo_store::photos::photo_blob_key(ReportId::new(), id));
        assert_eq!(photo_of(&key), Some(id));
        assert_eq!(photo_of(&Path::from("reports/x/notes.txt")), None);
        assert_eq!(photo_of(&Path::from("reports/x/not-a-uuid.jpg")), None);
    }
}
