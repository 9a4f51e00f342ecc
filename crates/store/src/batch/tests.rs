use super::*;
use crate::{AppendEntry, Chunk};

/// An entry whose chain and expiry are tagged with `tag`, so a test can see which entry a move
/// took them from.
fn entry(recording: RecordingId, offset: u64, length: u64, leaf_index: u64, tag: u8) -> AppendEntry {
    AppendEntry {
        leaf: vec![tag],
        chunk: Chunk {
            recording,
            offset,
            length,
            sha256: [tag; 32],
            chain: [tag; 32],
            received_at_us: 1_000 + i64::from(tag),
            leaf_index,
        },
        upload_expires_at_us: 2_000 + i64::from(tag),
    }
}

fn batch(first_index: u64, entries: Vec<AppendEntry>) -> AppendBatch {
    AppendBatch {
        first_index,
        entries,
        hashes: Vec::new(),
    }
}

#[track_caller]
fn conflict_saying<T: std::fmt::Debug>(result: Result<T, StoreError>, words: &str) {
    match result {
        Err(StoreError::Conflict(why)) => assert!(why.contains(words), "{why:?} should say {words:?}"),
        other => panic!("expected Conflict saying {words:?}, got {other:?}"),
    }
}

#[test]
fn a_plan_sums_up_each_upload_in_order_of_first_appearance() {
    let (a, b) = (RecordingId::new(), RecordingId::new());
    let entries = vec![
        entry(b, 40, 10, 7, 1),
        entry(a, 0, 5, 8, 2),
        entry(b, 50, 0, 9, 3),
        entry(b, 50, 20, 10, 4),
    ];
    let batch = batch(7, entries);
    let planned = plan(&batch).expect("a consistent batch");
    assert_eq!((planned.first, planned.end), (7, 11));
    let moves = [
        UploadMove {
            recording: b,
            from: 40,
            to: 70,
            chain: &[4; 32],
            expires_at_us: 2_004,
        },
        UploadMove {
            recording: a,
            from: 0,
            to: 5,
            chain: &[2; 32],
            expires_at_us: 2_002,
        },
    ];
    assert_eq!(
        planned.moves, moves,
        "the last chunk's chain and expiry, the first chunk's offset"
    );
}

#[test]
fn an_empty_batch_moves_nothing() {
    let empty = batch(3, Vec::new());
    let planned = plan(&empty).expect("an empty batch");
    assert_eq!((planned.first, planned.end, planned.moves.len()), (3, 3, 0));
}

#[test]
fn leaf_indexes_must_count_up_from_the_first_index() {
    let a = RecordingId::new();
    conflict_saying(plan(&batch(5, vec![entry(a, 0, 1, 6, 0)])), "entry 0");
    let skips = vec![entry(a, 0, 1, 5, 0), entry(a, 1, 1, 7, 1)];
    conflict_saying(
        plan(&batch(5, skips)),
        "entry 1 of a batch starting at log index 5 says it is leaf 7",
    );
    let repeats = vec![entry(a, 0, 1, 5, 0), entry(a, 1, 1, 5, 1)];
    conflict_saying(plan(&batch(5, repeats)), "entry 1");
    // first_index + i overflows: no leaf index can be right.
    conflict_saying(
        plan(&batch(
            u64::MAX,
            vec![entry(a, 0, 1, u64::MAX, 0), entry(a, 1, 1, 0, 1)],
        )),
        "entry 1",
    );
}

#[test]
fn an_uploads_chunks_must_follow_each_other() {
    let (a, b) = (RecordingId::new(), RecordingId::new());
    let gap = vec![entry(a, 0, 10, 0, 0), entry(b, 0, 1, 1, 1), entry(a, 11, 1, 2, 2)];
    conflict_saying(plan(&batch(0, gap)), "a chunk at offset 11 follows one ending at 10");
    let overlap = vec![entry(a, 0, 10, 0, 0), entry(a, 9, 1, 1, 1)];
    conflict_saying(plan(&batch(0, overlap)), "a chunk at offset 9 follows one ending at 10");
}

#[test]
fn offsets_and_indexes_past_i64_max_are_refused() {
    let a = RecordingId::new();
    let big = i64::MAX as u64;
    conflict_saying(plan(&batch(0, vec![entry(a, big + 1, 0, 0, 0)])), "chunk offset");
    conflict_saying(plan(&batch(0, vec![entry(a, big, 1, 0, 0)])), "chunk end");
    // offset + length overflows u64: saturated, then refused.
    conflict_saying(plan(&batch(0, vec![entry(a, 1, u64::MAX, 0, 0)])), "chunk end");
    conflict_saying(plan(&batch(big + 1, Vec::new())), "log index");
    conflict_saying(plan(&batch(big, vec![entry(a, 0, 1, big, 0)])), "log size");
    let last = batch(big - 1, vec![entry(a, 0, 1, big - 1, 0)]);
    let planned = plan(&last).expect("the last index that fits");
    assert_eq!((planned.first, planned.end), (i64::MAX - 1, i64::MAX));
}

fn stored(offset: i64, length: Option<i64>, terminated_at_us: Option<i64>) -> UploadState {
    UploadState {
        offset,
        length,
        terminated_at_us,
    }
}

#[test]
fn a_move_applies_only_at_the_offset_within_the_length_and_before_termination() {
    let id = RecordingId::new();
    let chain = [0; 32];
    let m = UploadMove {
        recording: id,
        from: 100,
        to: 150,
        chain: &chain,
        expires_at_us: 0,
    };
    for fine in [
        stored(100, None, None),
        stored(100, Some(150), None),
        stored(100, Some(1_000), None),
    ] {
        assert!(m.refusal(Some(fine)).is_none(), "{fine:?}");
    }
    match m.refusal(None) {
        Some(StoreError::NotFound(why)) => assert_eq!(why, format!("upload {id}")),
        other => panic!("unknown upload: {other:?}"),
    }
    let refused = |state| m.refusal(Some(state)).map_or(Ok(()), Err);
    let terminated = refused(stored(100, None, Some(77)));
    conflict_saying(terminated, &format!("upload {id} was terminated (at 77"));
    let stale = refused(stored(90, None, None));
    conflict_saying(stale, "is at offset 90, but the batch's chunk for it starts at 100");
    let short = refused(stored(100, Some(149), None));
    conflict_saying(
        short,
        "declared 149 bytes long, but the batch's chunks for it end at 150",
    );
    // Termination is the most telling reason, whatever else is wrong too.
    conflict_saying(refused(stored(90, Some(120), Some(77))), "terminated");
    conflict_saying(refused(stored(90, Some(120), None)), "is at offset 90");
}

#[test]
fn a_batch_is_refused_for_its_first_bad_move() {
    let (a, b, c) = (RecordingId::new(), RecordingId::new(), RecordingId::new());
    let entries = vec![entry(a, 0, 10, 0, 0), entry(b, 5, 10, 1, 1), entry(c, 0, 1, 2, 2)];
    let batch = batch(0, entries);
    let planned = plan(&batch).expect("a consistent batch");
    let refusal = |uploads: &HashMap<_, _>| Err::<(), _>(planned.refusal(uploads));

    let mut uploads = HashMap::from([(a, stored(0, None, None)), (b, stored(5, Some(12), None))]);
    conflict_saying(refusal(&uploads), &format!("upload {b} is declared 12 bytes long"));
    uploads.insert(b, stored(5, None, None));
    match refusal(&uploads) {
        Err(StoreError::NotFound(why)) => assert_eq!(why, format!("upload {c}")),
        other => panic!("unknown upload: {other:?}"),
    }
    uploads.insert(c, stored(0, Some(1), None));
    conflict_saying(refusal(&uploads), "changed while the batch was being written");
}
