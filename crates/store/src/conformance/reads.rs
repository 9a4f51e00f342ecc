//! The log's read paths: stored hashes by address and by level, leaf ranges, and the frontier a
//! restarting sequencer rebuilds from them.

use super::{Sequencer, not_found, ok, recording};
use crate::{Chunk, Store};
use amparo_core::Hash;
use amparo_core::merkle::{Frontier, NodeAddr};

/// `read_hashes` answers in the order asked (duplicates included), and fails whole on a miss.
pub async fn read_hashes_keeps_order_and_reports_missing(store: &dyn Store) {
    let rec = recording(store).await;
    let mut sequencer = Sequencer::resume(store).await;
    let plan = sequencer.plan(&[rec], &[(0, 1); 8]);
    let stored = plan.batch.hashes.clone();
    sequencer.append(store, plan).await;

    let mut asked: Vec<_> = stored.iter().rev().copied().collect();
    asked.push(stored[0]);
    let addresses: Vec<NodeAddr> = asked.iter().map(|s| s.addr).collect();
    let expected: Vec<Hash> = asked.iter().map(|s| s.hash).collect();
    assert_eq!(
        ok(store.read_hashes(&addresses).await, "read_hashes"),
        expected,
        "same order"
    );
    assert_eq!(ok(store.read_hashes(&[]).await, "read_hashes(none)"), []);

    // More addresses than SQLite binds in one statement, if each took two parameters.
    let many: Vec<_> = stored.iter().cycle().take(20_000).copied().collect();
    let addresses: Vec<NodeAddr> = many.iter().map(|s| s.addr).collect();
    let expected: Vec<Hash> = many.iter().map(|s| s.hash).collect();
    assert_eq!(ok(store.read_hashes(&addresses).await, "read_hashes(20,000)"), expected);

    let size = sequencer.size();
    let next_leaf = NodeAddr { level: 0, index: size };
    let missing = store.read_hashes(&[stored[0].addr, next_leaf]).await;
    not_found(missing, "read_hashes with the next leaf's address");
    // The level-1 node over leaves that are not all there yet.
    let unfinished = NodeAddr {
        level: 1,
        index: size / 2,
    };
    not_found(
        store.read_hashes(&[unfinished]).await,
        "read_hashes of an unfinished node",
    );
    let top = NodeAddr { level: 63, index: 0 };
    not_found(store.read_hashes(&[top]).await, "read_hashes at level 63");
}

/// `entries` and `hashes_at_level` return what exists of the range asked for.
pub async fn log_ranges_read_short_at_the_end(store: &dyn Store) {
    let (a, b) = (recording(store).await, recording(store).await);
    let mut sequencer = Sequencer::resume(store).await;
    let picks: Vec<(usize, u64)> = (0..11).map(|i| (i % 2, 10 + i as u64)).collect();
    let plan = sequencer.plan(&[a, b], &picks);
    let batch = plan.batch.clone();
    sequencer.append(store, plan).await;

    let first = batch.first_index;
    let end = sequencer.size();
    let leaves: Vec<Vec<u8>> = batch.entries.iter().map(|e| e.leaf.clone()).collect();
    let read = |start: u64, count: u64| store.entries(start, count);
    assert_eq!(ok(read(first, 11).await, "entries"), leaves);
    assert_eq!(ok(read(first + 2, 3).await, "entries(inside)"), leaves[2..5]);
    assert_eq!(ok(read(first + 5, 100).await, "entries(past the end)"), leaves[5..]);
    assert_eq!(
        ok(read(first + 5, u64::MAX).await, "entries(count u64::MAX)"),
        leaves[5..]
    );
    assert!(ok(read(end, 10).await, "entries(at the end)").is_empty());
    assert!(ok(read(first, 0).await, "entries(count 0)").is_empty());
    assert!(ok(read(u64::MAX - 1, 5).await, "entries(start near u64::MAX)").is_empty());

    // At every level, the batch created the last hashes there are.
    for level in 0..64u8 {
        let mine: Vec<_> = batch.hashes.iter().filter(|s| s.addr.level == level).collect();
        let (Some(low), Some(high)) = (mine.first(), mine.last()) else {
            continue;
        };
        let (low, high) = (low.addr.index, high.addr.index);
        let expected: Vec<Hash> = mine.iter().map(|s| s.hash).collect();
        let at = |start: u64, count: u64| store.hashes_at_level(level, start, count);
        let what = format!("hashes_at_level({level}, ..)");
        assert_eq!(ok(at(low, mine.len() as u64).await, &what), expected, "exact range");
        assert_eq!(ok(at(low, 1_000).await, &what), expected, "a range past the end");
        assert_eq!(ok(at(low, u64::MAX).await, &what), expected, "count u64::MAX");
        assert_eq!(ok(at(high, 1).await, &what), expected[expected.len() - 1..]);
        assert!(
            ok(at(high + 1, 10).await, &what).is_empty(),
            "{what}: nothing past the end"
        );
        assert!(ok(at(low, 0).await, &what).is_empty(), "{what}: count 0");
    }
    assert!(ok(store.hashes_at_level(0, u64::MAX - 1, 5).await, "hashes_at_level").is_empty());
}

/// A thousand entries of four interleaved uploads in batches of many sizes: after every batch,
/// the frontier read back from the store has the sequencer's root, and at the end every stored
/// hash of the whole log is what rebuilding the tree from its leaves gives.
pub async fn frontier_rebuilds_after_many_batches(store: &dyn Store) {
    let mut uploads = Vec::new();
    for _ in 0..4 {
        uploads.push(recording(store).await);
    }
    let mut sequencer = Sequencer::resume(store).await;
    let start = sequencer.size();
    let mut leaves = Vec::new();
    let mut leaf_hashes = Vec::new();
    let mut chunks: Vec<Vec<Chunk>> = vec![Vec::new(); uploads.len()];
    let mut k = 0u64;
    for batch_size in [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 256, 136] {
        // Runs of one upload and switches between uploads, as real traffic has.
        let picks: Vec<(usize, u64)> = (k..k + batch_size)
            .map(|i| (((i / 3 + i * i) % 4) as usize, 1 + i % 997))
            .collect();
        k += batch_size;
        let plan = sequencer.plan(&uploads, &picks);
        for entry in &plan.batch.entries {
            leaves.push(entry.leaf.clone());
            let u = uploads.iter().position(|u| u.id == entry.chunk.recording).unwrap_or(0);
            chunks[u].push(entry.chunk.clone());
        }
        leaf_hashes.extend(plan.batch.hashes.iter().filter(|s| s.addr.level == 0).map(|s| s.hash));
        uploads = sequencer.append(store, plan).await;
        let resumed = Sequencer::resume(store).await;
        assert_eq!(
            (resumed.size(), resumed.root()),
            (sequencer.size(), sequencer.root()),
            "the frontier rebuilt from the store after a batch of {batch_size}"
        );
    }
    for (upload, chunks) in uploads.iter().zip(&chunks) {
        assert_eq!(ok(store.upload(upload.id).await, "upload").as_ref(), Some(upload));
        assert_eq!(&ok(store.chunks_of(upload.id).await, "chunks_of"), chunks);
    }
    assert_eq!(ok(store.entries(start, k).await, "entries"), leaves);
    assert_eq!(
        ok(store.hashes_at_level(0, start, k).await, "hashes_at_level(0)"),
        leaf_hashes
    );

    let size = sequencer.size();
    let all_leaves = ok(store.hashes_at_level(0, 0, size).await, "hashes_at_level(0, 0, size)");
    assert_eq!(all_leaves.len() as u64, size, "a leaf hash for every entry");
    let mut rebuilt = Frontier::empty();
    let expected: Vec<_> = all_leaves.into_iter().flat_map(|leaf| rebuilt.append(leaf)).collect();
    assert_eq!(
        rebuilt.root(),
        sequencer.root(),
        "the root rebuilt from every leaf hash"
    );
    let addresses: Vec<NodeAddr> = expected.iter().map(|s| s.addr).collect();
    let hashes: Vec<Hash> = expected.iter().map(|s| s.hash).collect();
    assert!(
        ok(store.read_hashes(&addresses).await, "read_hashes(every address)") == hashes,
        "every stored hash of the log is the one its leaves give"
    );
}
