//! One pass over a recording's bytes: the SHA-256 of each chunk and of the whole file, optionally
//! copying the bytes on (the writer copies them into the bundle).
//!
//! Media is read once, in large buffers, and never held whole in memory. Every byte goes to two
//! hashers (its chunk's and the whole file's); the whole-file hasher runs on a helper thread over
//! the same buffer, so on two cores the pass runs at the speed of a single SHA-256, which is what
//! `sha256sum` costs.

use sha2::{Digest, Sha256};
use std::io::{self, ErrorKind, Read, Write};
use std::sync::Mutex;
use std::thread;

/// Large enough that the per-buffer thread hand-off costs well under 1% of hashing it.
const BUFFER_LEN: usize = 4 << 20;

/// What one pass found.
#[derive(Debug)]
pub(crate) struct Hashed {
    /// SHA-256 of each expected chunk, in order; `None` where the bytes ran out before the chunk's
    /// end.
    pub chunks: Vec<Option<[u8; 32]>>,
    /// SHA-256 of every byte read, including any past the last chunk.
    pub whole: [u8; 32],
    /// Bytes read.
    pub total: u64,
}

/// Which side of the copy failed.
#[derive(Debug)]
pub(crate) enum StreamError {
    Read(io::Error),
    Write(io::Error),
}

/// Reads `source` to its end, hashing consecutive pieces of `lengths` bytes and the whole, and
/// writing every byte to `sink`.
pub(crate) fn hash_chunks<R: Read, W: Write>(
    mut source: R,
    lengths: &[u64],
    mut sink: W,
) -> Result<Hashed, StreamError> {
    let mut buffer = vec![0u8; BUFFER_LEN];
    let whole = Mutex::new(Sha256::new());
    let mut chunks = Chunker::new(lengths);
    let mut total = 0u64;
    loop {
        let n = match source.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(StreamError::Read(e)),
        };
        let data = &buffer[..n];
        sink.write_all(data).map_err(StreamError::Write)?;
        hash_in_parallel(&whole, data, || chunks.update(data));
        total += n as u64;
    }
    let whole = whole.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    Ok(Hashed {
        chunks: chunks.finish(),
        whole: whole.finalize().into(),
        total,
    })
}

/// Feeds `data` to the whole-file hasher on a helper thread while `chunk_work` runs here. Falls back
/// to doing both here where threads are unavailable.
fn hash_in_parallel(whole: &Mutex<Sha256>, data: &[u8], chunk_work: impl FnOnce()) {
    let update = || {
        // A poisoned lock only means an earlier update panicked, which SHA-256 does not do.
        let mut hasher = whole.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        hasher.update(data);
    };
    thread::scope(|scope| match thread::Builder::new().spawn_scoped(scope, update) {
        Ok(helper) => {
            chunk_work();
            // The helper cannot panic (see above); joining is what orders its update before ours.
            let _ = helper.join();
        }
        Err(_) => {
            update();
            chunk_work();
        }
    });
}

/// Splits a byte stream into consecutive chunks of the expected lengths and hashes each.
struct Chunker<'a> {
    lengths: &'a [u64],
    done: Vec<Option<[u8; 32]>>,
    current: Sha256,
    /// Bytes still expected in the current chunk (`lengths[done.len()]`).
    remaining: u64,
}

impl<'a> Chunker<'a> {
    fn new(lengths: &'a [u64]) -> Self {
        let mut chunker = Self {
            lengths,
            done: Vec::with_capacity(lengths.len()),
            current: Sha256::new(),
            remaining: 0,
        };
        chunker.start_next();
        chunker
    }

    /// Moves to the next chunk, completing any zero-length chunks on the way.
    fn start_next(&mut self) {
        while let Some(&length) = self.lengths.get(self.done.len()) {
            if length > 0 {
                self.remaining = length;
                return;
            }
            self.done.push(Some(Sha256::digest([]).into()));
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() && self.done.len() < self.lengths.len() {
            let take = usize::try_from(self.remaining).map_or(data.len(), |r| r.min(data.len()));
            let (head, rest) = data.split_at(take);
            self.current.update(head);
            self.remaining -= take as u64;
            data = rest;
            if self.remaining == 0 {
                let digest = std::mem::take(&mut self.current).finalize().into();
                self.done.push(Some(digest));
                self.start_next();
            }
        }
    }

    /// Chunks the stream ended before completing have no digest.
    fn finish(mut self) -> Vec<Option<[u8; 32]>> {
        self.done.resize(self.lengths.len(), None);
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> Option<[u8; 32]> {
        Some(Sha256::digest(bytes).into())
    }

    #[test]
    fn splits_hashes_and_copies() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut copy = Vec::new();
        let hashed = hash_chunks(&data[..], &[3, 0, 4_000, 5_997], &mut copy).expect("in memory");
        assert_eq!(copy, data);
        assert_eq!(hashed.total, 10_000);
        assert_eq!(hashed.whole, Sha256::digest(&data).as_slice());
        assert_eq!(
            hashed.chunks,
            vec![sha(&data[..3]), sha(b""), sha(&data[3..4_003]), sha(&data[4_003..])]
        );
    }

    #[test]
    fn short_and_long_streams() {
        let data = [1u8; 10];
        let short = hash_chunks(&data[..], &[4, 8], io::sink()).expect("in memory");
        assert_eq!(short.chunks, vec![sha(&data[..4]), None]);
        let long = hash_chunks(&data[..], &[4], io::sink()).expect("in memory");
        assert_eq!((long.total, long.chunks.len()), (10, 1));
        assert_eq!(long.whole, Sha256::digest(data).as_slice());
    }
}
