//! The disk ceiling for `ingest`: what this disk can make durable when nothing but the essential
//! work happens. Concurrent writers each hash a buffer with SHA-256, write it to a new file,
//! fsync the file and fsync the directory (so the new name is durable too), back to back.

use anyhow::{Context, Result};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Bytes made durable, and the time it took.
#[derive(Clone, Copy, Debug)]
pub struct Written {
    pub bytes: u64,
    pub elapsed: Duration,
}

/// One writer thread per buffer, for `duration`, into `dir` (which must exist).
pub fn fsync_ceiling(dir: &Path, buffers: &[Bytes], duration: Duration) -> Result<Written> {
    let start = Instant::now();
    let deadline = start + duration;
    let totals = std::thread::scope(|scope| {
        let writers: Vec<_> = buffers
            .iter()
            .enumerate()
            .map(|(w, buffer)| scope.spawn(move || write_until(dir, w, buffer, deadline)))
            .collect();
        writers
            .into_iter()
            .map(|writer| writer.join().map_err(|_| anyhow::anyhow!("a writer panicked"))?)
            .collect::<Result<Vec<u64>>>()
    })?;
    Ok(Written {
        bytes: totals.iter().sum(),
        elapsed: start.elapsed(),
    })
}

fn write_until(dir: &Path, writer: usize, buffer: &[u8], deadline: Instant) -> Result<u64> {
    let mut written = 0;
    // Bounded by time; each pass is one file.
    for n in 0u64.. {
        if Instant::now() >= deadline {
            break;
        }
        std::hint::black_box(Sha256::digest(buffer));
        let path = dir.join(format!("w{writer:02}-{n:08}"));
        let mut file = File::create_new(&path).with_context(|| format!("creating {}", path.display()))?;
        file.write_all(buffer)?;
        file.sync_all()?;
        File::open(dir)?.sync_all().context("fsyncing the directory")?;
        written += buffer.len() as u64;
    }
    Ok(written)
}
