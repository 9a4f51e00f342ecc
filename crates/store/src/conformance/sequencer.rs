//! A test sequencer: what the server's group-commit sequencer does, minus the queue. It resumes
//! from the frontier the store holds, so the log stays one valid Merkle tree however many checks
//! (and in whatever order) append to a shared store.

use super::{DAY, T0, ok};
use crate::{AppendBatch, AppendEntry, Chunk, Store, Upload};
use amparo_core::Hash;
use amparo_core::leaf::{EvidenceLeaf, chain_next, sha256};
use amparo_core::merkle::Frontier;

/// Builds batches of real log entries with their stored hashes.
#[derive(Clone, Debug)]
pub struct Sequencer {
    frontier: Frontier,
}

/// A batch built but not yet appended, and the state it leads to if appended.
#[derive(Clone, Debug)]
pub struct Planned {
    pub batch: AppendBatch,
    /// The log's frontier after the batch.
    pub frontier: Frontier,
    /// The uploads passed to [`Sequencer::plan`], as the store must hold them after the batch.
    pub uploads: Vec<Upload>,
}

impl Sequencer {
    /// Reads the log's size and frontier hashes back from the store, as a restarting server does.
    pub async fn resume(store: &dyn Store) -> Self {
        let size = ok(store.log_size().await, "log_size");
        let addresses = Frontier::addresses(size);
        let hashes = ok(store.read_hashes(&addresses).await, "read_hashes(frontier addresses)");
        let frontier = Frontier::from_hashes(size, &hashes)
            .unwrap_or_else(|e| panic!("read_hashes returned the wrong number of hashes: {e}"));
        Self { frontier }
    }

    /// A sequencer whose log is `skip` leaves ahead of this one: its batches leave a gap.
    pub fn ahead_by(&self, skip: u64) -> Self {
        let mut frontier = self.frontier.clone();
        for i in 0..skip {
            frontier.append(Hash(sha256(&i.to_be_bytes())));
        }
        Self { frontier }
    }

    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Plans a batch with one chunk for each `(u, length)`: the next `length` bytes of
    /// `uploads[u]`, at the offset and chain that `uploads[u]` (as updated by earlier chunks of
    /// the batch) says.
    pub fn plan(&self, uploads: &[Upload], chunks: &[(usize, u64)]) -> Planned {
        let mut frontier = self.frontier.clone();
        let mut uploads = uploads.to_vec();
        let first_index = frontier.size();
        let mut entries = Vec::with_capacity(chunks.len());
        let mut hashes = Vec::with_capacity(chunks.len() * 2);
        for &(u, length) in chunks {
            let upload = &mut uploads[u];
            let leaf_index = frontier.size();
            // Distinct times per leaf, so a swapped entry would show.
            let received_at_us = T0 + i64::try_from(leaf_index).unwrap_or(i64::MAX / 2);
            let chunk_sha256 = sha256(&[upload.id.as_bytes().as_slice(), &upload.offset.to_be_bytes()].concat());
            let chain = chain_next(&upload.chain, &chunk_sha256);
            let leaf = EvidenceLeaf {
                encounter_id: upload.encounter,
                recording_id: upload.id,
                offset: upload.offset,
                length,
                chunk_sha256,
                chain_sha256: chain,
                received_at_us,
            };
            hashes.extend(frontier.append(leaf.leaf_hash()));
            let chunk = Chunk {
                recording: upload.id,
                offset: upload.offset,
                length,
                sha256: chunk_sha256,
                chain,
                received_at_us,
                leaf_index,
            };
            let upload_expires_at_us = received_at_us + DAY;
            upload.offset += length;
            upload.chain = chain;
            upload.expires_at_us = upload_expires_at_us;
            entries.push(AppendEntry {
                leaf: leaf.encode(),
                chunk,
                upload_expires_at_us,
            });
        }
        Planned {
            batch: AppendBatch {
                first_index,
                entries,
                hashes,
            },
            frontier,
            uploads,
        }
    }

    /// Appends a planned batch (panicking if the store refuses it) and moves on to its frontier.
    /// Returns the uploads as they now are.
    pub async fn append(&mut self, store: &dyn Store, planned: Planned) -> Vec<Upload> {
        let what = format!(
            "append_batch(first_index {}, {} entries)",
            planned.batch.first_index,
            planned.batch.entries.len()
        );
        ok(store.append_batch(&planned.batch).await, &what);
        self.accept(planned)
    }

    /// Moves on to a planned batch's frontier without appending it: for planning several batches
    /// ahead (a benchmark that times only the appends). Returns the uploads after the batch.
    pub fn accept(&mut self, planned: Planned) -> Vec<Upload> {
        self.frontier = planned.frontier;
        planned.uploads
    }
}
