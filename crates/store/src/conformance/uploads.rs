//! Uploads: one per recording, with tus's deferred length and termination.

use super::{T0, account, conflict, encounter, not_found, ok, recording, upload};
use crate::{Store, Upload};
use amparo_core::ids::RecordingId;

/// Uploads keep every field and list oldest first per encounter.
pub async fn uploads_round_trip_oldest_first(store: &dyn Store) {
    let owner = account(store, "uploader").await;
    let stop = encounter(owner.id, T0);
    let other = encounter(owner.id, T0);
    for e in [&stop, &other] {
        ok(store.create_encounter(e).await, "create_encounter");
    }
    let second = upload(&stop, T0 + 2);
    let first = Upload {
        length: Some(4_000_000),
        media_type: None,
        metadata: String::new(),
        ..upload(&stop, T0 + 1)
    };
    let third = upload(&stop, T0 + 3);
    let theirs = upload(&other, T0);
    // Stored out of order, so "oldest first" cannot come from insertion order.
    for u in [&second, &third, &first, &theirs] {
        ok(store.create_upload(u).await, "create_upload");
    }
    for u in [&first, &second, &third] {
        assert_eq!(ok(store.upload(u.id).await, "upload").as_ref(), Some(u), "round trip");
        assert!(
            ok(store.chunks_of(u.id).await, "chunks_of").is_empty(),
            "a new upload has no chunks"
        );
    }
    let listed = ok(store.uploads_of(stop.id).await, "uploads_of");
    assert_eq!(
        listed,
        [first, second.clone(), third],
        "the encounter's uploads, oldest first"
    );
    assert_eq!(ok(store.uploads_of(other.id).await, "uploads_of"), [theirs]);

    let copy = Upload {
        metadata: "filename c2Vjb25k".into(),
        ..second.clone()
    };
    conflict(store.create_upload(&copy).await, "create_upload with a taken id");
    assert_eq!(ok(store.upload(second.id).await, "upload"), Some(second), "unchanged");
    assert_eq!(ok(store.upload(RecordingId::new()).await, "upload(unknown)"), None);
    assert_eq!(
        ok(store.chunks_of(RecordingId::new()).await, "chunks_of(unknown)"),
        [],
        "an unknown upload has no chunks"
    );
}

/// A deferred length is set once, and never below what was already received.
pub async fn upload_length_is_set_once(store: &dyn Store) {
    let deferred = recording(store).await;
    let set = ok(store.set_upload_length(deferred.id, 1_000).await, "set_upload_length");
    let expected = Upload {
        length: Some(1_000),
        ..deferred.clone()
    };
    assert_eq!(set, expected, "set_upload_length returns the upload");
    assert_eq!(ok(store.upload(deferred.id).await, "upload").as_ref(), Some(&expected));
    conflict(
        store.set_upload_length(deferred.id, 1_000).await,
        "set_upload_length twice (same)",
    );
    conflict(
        store.set_upload_length(deferred.id, 2_000).await,
        "set_upload_length twice (other)",
    );
    assert_eq!(
        ok(store.upload(deferred.id).await, "upload"),
        Some(expected),
        "unchanged"
    );

    // 300 bytes received: a length of 299 would disown some of them.
    let live = recording(store).await;
    let mut sequencer = super::Sequencer::resume(store).await;
    let plan = sequencer.plan(std::slice::from_ref(&live), &[(0, 100), (0, 200)]);
    let live = sequencer.append(store, plan).await.remove(0);
    conflict(
        store.set_upload_length(live.id, 299).await,
        "set_upload_length below the offset",
    );
    assert_eq!(
        ok(store.upload(live.id).await, "upload").as_ref(),
        Some(&live),
        "unchanged"
    );
    let exact = ok(
        store.set_upload_length(live.id, 300).await,
        "set_upload_length at the offset",
    );
    assert_eq!(
        exact,
        Upload {
            length: Some(300),
            ..live
        }
    );

    not_found(
        store.set_upload_length(RecordingId::new(), 10).await,
        "set_upload_length(unknown)",
    );
}

/// Termination marks the upload and keeps what was received and logged.
pub async fn uploads_terminate_keeping_chunks(store: &dyn Store) {
    let rec = recording(store).await;
    let mut sequencer = super::Sequencer::resume(store).await;
    let plan = sequencer.plan(std::slice::from_ref(&rec), &[(0, 64)]);
    let entry = plan.batch.entries[0].clone();
    let rec = sequencer.append(store, plan).await.remove(0);

    ok(store.terminate_upload(rec.id, T0 + 77).await, "terminate_upload");
    let terminated = Upload {
        terminated_at_us: Some(T0 + 77),
        ..rec.clone()
    };
    assert_eq!(ok(store.upload(rec.id).await, "upload").as_ref(), Some(&terminated));
    assert_eq!(
        ok(store.chunks_of(rec.id).await, "chunks_of"),
        std::slice::from_ref(&entry.chunk),
        "chunks stay"
    );
    let logged = ok(store.entries(entry.chunk.leaf_index, 1).await, "entries");
    assert_eq!(logged, [entry.leaf], "log entries stay");

    ok(store.terminate_upload(rec.id, T0 + 99).await, "terminate_upload twice");
    let kept = ok(store.upload(rec.id).await, "upload");
    assert_eq!(kept, Some(terminated), "the first termination time stays");
    not_found(
        store.terminate_upload(RecordingId::new(), T0).await,
        "terminate_upload(unknown)",
    );
}
