//! A diagnostic for `receipts`, not its baseline: the same paced population writing the same
//! chunks straight into a `LocalFileSystem::with_fsync(true)` on the same disk, with no HTTP, no
//! SQLite and no log. If its tail matches the server's blob puts, the tail belongs to the disk
//! and the filesystem, not to the server.

use crate::paced::Pace;
use crate::phone::noise;
use crate::stats::Latencies;
use anyhow::Result;
use object_store::local::LocalFileSystem;
use object_store::path::Path as BlobPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::path::Path;
use std::sync::Arc;
use tokio::time::{Instant, MissedTickBehavior};

/// Paced puts from `writers` tasks into a fresh directory under `dir`; each put's latency.
pub async fn run(dir: &Path, writers: usize, pace: Pace) -> Result<Latencies> {
    let root = dir.join("blob-floor");
    std::fs::create_dir_all(&root)?;
    let blobs: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new_with_prefix(&root)?.with_fsync(true));
    let t0 = Instant::now() + std::time::Duration::from_millis(100);
    let count = u32::try_from(writers)?;
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let slot = t0 + pace.period * u32::try_from(w).unwrap_or(u32::MAX) / count;
            let (blobs, chunk) = (blobs.clone(), noise(pace.chunk_bytes, w as u64));
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval_at(slot, pace.period);
                ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
                let mut latencies = Vec::with_capacity(pace.chunks as usize);
                // Bounded by count. Keys shaped like the server's: one directory per recording.
                for n in 0..pace.chunks {
                    ticks.tick().await;
                    let key = BlobPath::from(format!("recordings/{w:04}/{:020}", n * pace.chunk_bytes as u64));
                    let start = Instant::now();
                    blobs.put(&key, PutPayload::from(chunk.clone())).await?;
                    latencies.push(start.elapsed());
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    std::fs::remove_dir_all(&root)?;
    Ok(Latencies::new(all))
}
