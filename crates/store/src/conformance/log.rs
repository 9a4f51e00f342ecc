//! `append_batch`: everything a batch touches changes together, or nothing does.

use super::{Sequencer, conflict, not_found, ok, recording};
use crate::{AppendBatch, Chunk, Store, StoreError, Upload};
use amparo_core::Hash;
use amparo_core::ids::RecordingId;

/// Everything a batch would touch, read back from the store.
#[derive(Debug, PartialEq)]
struct Touched {
    log_size: u64,
    entries: Vec<Vec<u8>>,
    hashes: Vec<Option<Hash>>,
    uploads: Vec<(Option<Upload>, Vec<Chunk>)>,
}

async fn touched(store: &dyn Store, batch: &AppendBatch) -> Touched {
    let log_size = ok(store.log_size().await, "log_size");
    let count = batch.entries.len() as u64;
    let entries = ok(store.entries(batch.first_index, count).await, "entries");
    let mut hashes = Vec::with_capacity(batch.hashes.len());
    for stored in &batch.hashes {
        hashes.push(match store.read_hashes(&[stored.addr]).await {
            Ok(found) => found.first().copied(),
            Err(StoreError::NotFound(_)) => None,
            Err(error) => panic!("read_hashes({:?}): {error:?}", stored.addr),
        });
    }
    let mut recordings: Vec<RecordingId> = batch.entries.iter().map(|e| e.chunk.recording).collect();
    recordings.sort();
    recordings.dedup();
    let mut uploads = Vec::new();
    for id in recordings {
        let upload = ok(store.upload(id).await, "upload");
        let chunks = ok(store.chunks_of(id).await, "chunks_of");
        uploads.push((upload, chunks));
    }
    Touched {
        log_size,
        entries,
        hashes,
        uploads,
    }
}

/// Submits a batch the store must refuse (as `expect` checks) and checks nothing changed.
pub(super) async fn refused(
    store: &dyn Store,
    batch: &AppendBatch,
    expect: impl Fn(Result<(), StoreError>, &str),
    what: &str,
) {
    let before = touched(store, batch).await;
    expect(store.append_batch(batch).await, what);
    let after = touched(store, batch).await;
    assert_eq!(after, before, "{what}: a refused batch must change nothing");
}

/// A batch stores its entries, chunks and hashes and moves each upload's offset, chain and expiry.
pub async fn append_batch_updates_everything(store: &dyn Store) {
    let uploads = [recording(store).await, recording(store).await];
    let mut sequencer = Sequencer::resume(store).await;
    let plan = sequencer.plan(&uploads, &[(0, 100), (1, 50), (0, 200), (1, 75), (0, 1)]);
    let batch = plan.batch.clone();
    let uploads = sequencer.append(store, plan).await;
    check_applied(store, &batch, &uploads).await;

    // The next batch continues where this one left off.
    let plan = sequencer.plan(&uploads, &[(1, 10), (0, 10), (1, 1)]);
    let next = plan.batch.clone();
    let after = sequencer.append(store, plan).await;
    check_applied(store, &next, &after).await;
    let chunks = ok(store.chunks_of(after[1].id).await, "chunks_of");
    let offsets: Vec<(u64, u64)> = chunks.iter().map(|c| (c.offset, c.length)).collect();
    assert_eq!(
        offsets,
        [(0, 50), (50, 75), (125, 10), (135, 1)],
        "chunks in offset order"
    );
}

/// Checks that `batch` (just appended) and the `uploads` it led to are what the store holds.
async fn check_applied(store: &dyn Store, batch: &AppendBatch, uploads: &[Upload]) {
    let count = batch.entries.len() as u64;
    assert_eq!(ok(store.log_size().await, "log_size"), batch.first_index + count);
    let leaves: Vec<Vec<u8>> = batch.entries.iter().map(|e| e.leaf.clone()).collect();
    assert_eq!(ok(store.entries(batch.first_index, count).await, "entries"), leaves);
    let addresses: Vec<_> = batch.hashes.iter().map(|s| s.addr).collect();
    let hashes: Vec<Hash> = batch.hashes.iter().map(|s| s.hash).collect();
    assert_eq!(ok(store.read_hashes(&addresses).await, "read_hashes"), hashes);
    for upload in uploads {
        let stored = ok(store.upload(upload.id).await, "upload");
        assert_eq!(stored.as_ref(), Some(upload), "the upload's offset, chain and expiry");
        let chunks = ok(store.chunks_of(upload.id).await, "chunks_of");
        let mine = batch
            .entries
            .iter()
            .map(|e| &e.chunk)
            .filter(|c| c.recording == upload.id);
        let tail = &chunks[chunks.len().saturating_sub(mine.clone().count())..];
        assert!(tail.iter().eq(mine), "chunks_of ends with the batch's chunks, in order");
    }
}

/// A batch that does not start at the log's size is refused whole.
pub async fn append_batch_rejects_a_stale_index(store: &dyn Store) {
    let (a, b) = (recording(store).await, recording(store).await);
    let mut sequencer = Sequencer::resume(store).await;
    let missed_one = sequencer.clone();
    let plan = sequencer.plan(&[a], &[(0, 10)]);
    sequencer.append(store, plan).await;

    let behind = missed_one.plan(std::slice::from_ref(&b), &[(0, 10)]);
    refused(store, &behind.batch, conflict, "append_batch at an index already taken").await;
    let gap = sequencer.ahead_by(1).plan(std::slice::from_ref(&b), &[(0, 10)]);
    refused(store, &gap.batch, conflict, "append_batch leaving a gap in the log").await;

    let plan = sequencer.plan(&[b], &[(0, 10)]);
    sequencer.append(store, plan).await;
}

/// A chunk that does not start at its upload's current offset sinks the whole batch, including
/// entries for other uploads that were fine.
pub async fn append_batch_rejects_a_stale_offset(store: &dyn Store) {
    let (a, b) = (recording(store).await, recording(store).await);
    let mut sequencer = Sequencer::resume(store).await;
    let plan = sequencer.plan(std::slice::from_ref(&a), &[(0, 10)]);
    let stale = a;
    let a = sequencer.append(store, plan).await.remove(0);

    let behind = sequencer.plan(&[b.clone(), stale], &[(0, 5), (1, 10)]);
    refused(store, &behind.batch, conflict, "append_batch at an upload's old offset").await;
    let ahead = Upload {
        offset: a.offset + 10,
        ..a.clone()
    };
    let ahead = sequencer.plan(&[b.clone(), ahead], &[(0, 5), (1, 10)]);
    refused(store, &ahead.batch, conflict, "append_batch past an upload's offset").await;

    let mut gap = sequencer.plan(&[b.clone(), a.clone()], &[(0, 5), (1, 10), (1, 10)]);
    gap.batch.entries[2].chunk.offset += 1;
    refused(
        store,
        &gap.batch,
        conflict,
        "append_batch whose chunks of one upload leave a gap",
    )
    .await;

    let ghost = Upload {
        id: RecordingId::new(),
        ..a.clone()
    };
    let ghost = sequencer.plan(&[b.clone(), ghost], &[(0, 5), (1, 10)]);
    refused(store, &ghost.batch, not_found, "append_batch for an unknown upload").await;

    let plan = sequencer.plan(&[b, a], &[(0, 5), (1, 10), (1, 10)]);
    let batch = plan.batch.clone();
    let uploads = sequencer.append(store, plan).await;
    check_applied(store, &batch, &uploads).await;
}

/// Two sequencers appending at the same index at once: exactly one wins, the other changes
/// nothing.
pub async fn append_batch_races_have_one_winner(store: &dyn Store) {
    for round in 0..5 {
        let (a, b) = (recording(store).await, recording(store).await);
        let sequencer = Sequencer::resume(store).await;
        let first = sequencer.plan(&[a], &[(0, 10), (0, 10)]);
        let second = sequencer.plan(&[b], &[(0, 10)]);
        let (one, two) = tokio::join!(store.append_batch(&first.batch), store.append_batch(&second.batch));
        let (winner, loser) = match (one, two) {
            (Ok(()), Err(StoreError::Conflict(_))) => (first, second),
            (Err(StoreError::Conflict(_)), Ok(())) => (second, first),
            other => panic!("round {round}: racing batches: expected one Ok and one Conflict, got {other:?}"),
        };
        check_applied(store, &winner.batch, &winner.uploads).await;
        let lost = loser.batch.entries[0].chunk.recording;
        let chunks = ok(store.chunks_of(lost).await, "chunks_of");
        assert!(chunks.is_empty(), "round {round}: the loser's chunks were not stored");
        let offset = ok(store.upload(lost).await, "upload").map(|u| u.offset);
        assert_eq!(offset, Some(0), "round {round}: the loser's upload did not move");
        let resumed = Sequencer::resume(store).await;
        assert_eq!(
            resumed.root(),
            winner.frontier.root(),
            "round {round}: the tree is the winner's"
        );
    }
}
