//! Proofs over the stored hashes.
//!
//! `tlog_tiles` computes proofs through a synchronous `HashReader`; the store is async. Proofs
//! are therefore computed on a blocking thread whose reader waits on the store there, which keeps
//! the async workers free.

use amparo_core::Hash;
use amparo_core::merkle::NodeAddr;
use amparo_store::{Store, StoreError, StoredCheckpoint};
use std::sync::Arc;
use tlog_tiles::{HashReader, split_stored_hash_index};
use tokio::runtime::Handle;

/// Reads stored hashes from the store, from a blocking thread.
struct StoreReader {
    store: Arc<dyn Store>,
    runtime: Handle,
}

impl HashReader for StoreReader {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let addrs: Vec<NodeAddr> = indexes
            .iter()
            .map(|&i| {
                let (level, index) = split_stored_hash_index(i);
                NodeAddr { level, index }
            })
            .collect();
        self.runtime
            .block_on(self.store.read_hashes(&addrs))
            .map_err(|_| tlog_tiles::Error::IndexesNotInTree)
    }
}

/// Runs `f` with a reader over the store on a blocking thread.
async fn with_reader<T: Send + 'static>(
    store: &Arc<dyn Store>,
    f: impl FnOnce(&StoreReader) -> Result<T, tlog_tiles::Error> + Send + 'static,
) -> Result<T, StoreError> {
    let reader = StoreReader {
        store: store.clone(),
        runtime: Handle::current(),
    };
    tokio::task::spawn_blocking(move || f(&reader))
        .await
        .map_err(|e| StoreError::Backend(format!("proof task failed: {e}")))?
        .map_err(|e| StoreError::Backend(format!("proof: {e}")))
}

/// The audit path of leaf `index` in the tree of `size` leaves.
pub async fn inclusion(store: &Arc<dyn Store>, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
    with_reader(store, move |r| tlog_tiles::prove_record(size, index, r)).await
}

/// Audit paths for many leaves of one tree, on one blocking thread.
pub async fn inclusions(store: &Arc<dyn Store>, indexes: Vec<u64>, size: u64) -> Result<Vec<Vec<Hash>>, StoreError> {
    with_reader(store, move |r| {
        indexes.iter().map(|&i| tlog_tiles::prove_record(size, i, r)).collect()
    })
    .await
}

/// The proof that the tree of `size` leaves extends the tree of `old` leaves.
pub async fn consistency(store: &Arc<dyn Store>, old: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
    with_reader(store, move |r| tlog_tiles::prove_tree(size, old, r)).await
}

/// Refuses to start on a store whose tree does not match its own last checkpoint: that would
/// mean the metadata was altered or restored from an inconsistent backup.
pub async fn check_checkpoint_against_tree(
    store: &Arc<dyn Store>,
    checkpoint: &StoredCheckpoint,
    tree_size: u64,
) -> Result<(), StoreError> {
    if checkpoint.size > tree_size {
        return Err(StoreError::Backend(format!(
            "the last checkpoint covers {} entries but the store holds only {tree_size}: the database \
             is older than the published log (restored from an old backup?)",
            checkpoint.size
        )));
    }
    let size = checkpoint.size;
    let root = with_reader(store, move |r| tlog_tiles::tree_hash(size, r)).await?;
    if root != checkpoint.root {
        return Err(StoreError::Backend(format!(
            "the stored tree of {size} entries does not match the checkpoint published for it: the \
             log's data has been altered"
        )));
    }
    Ok(())
}
