//! `append_batch` and the upload's own rules: the store, not one server's lock, refuses a chunk
//! for a terminated upload or past a declared length. Expiry is the server's to judge.

use super::log::refused;
use super::{DAY, Sequencer, T0, account, encounter, ok, recording, upload};
use crate::{Store, StoreError, Upload};
use amparo_core::ids::RecordingId;

/// A refusal that must be `Conflict` and name the upload it is about, so the log line that
/// reports it can be acted on.
fn conflict_over(upload: RecordingId) -> impl Fn(Result<(), StoreError>, &str) {
    move |result, what| match result {
        Err(StoreError::Conflict(why)) => assert!(
            why.contains(&upload.to_string()),
            "{what}: the Conflict should name upload {upload}: {why:?}"
        ),
        other => panic!("{what}: expected Conflict, got {other:?}"),
    }
}

/// A terminated upload takes no more chunks, even at its offset; the whole batch is refused,
/// other uploads' chunks included.
pub async fn append_batch_refuses_a_terminated_upload(store: &dyn Store) {
    let (ended, other) = (recording(store).await, recording(store).await);
    let mut sequencer = Sequencer::resume(store).await;
    let plan = sequencer.plan(std::slice::from_ref(&ended), &[(0, 64)]);
    let ended = sequencer.append(store, plan).await.remove(0);
    ok(store.terminate_upload(ended.id, T0 + 100).await, "terminate_upload");

    let late = sequencer.plan(&[other.clone(), ended.clone()], &[(0, 5), (1, 10), (0, 5)]);
    let what = "append_batch with a chunk for a terminated upload";
    refused(store, &late.batch, &conflict_over(ended.id), what).await;
    let empty = sequencer.plan(&[other.clone(), ended], &[(0, 5), (1, 0)]);
    let what = "append_batch with an empty chunk for a terminated upload";
    refused(store, &empty.batch, &conflict_over(empty.uploads[1].id), what).await;

    let plan = sequencer.plan(&[other], &[(0, 5), (0, 5)]);
    sequencer.append(store, plan).await;
}

/// A chunk may end at an upload's declared length but not past it, counting every chunk of the
/// upload in the batch; the whole batch is refused, other uploads' chunks included.
pub async fn append_batch_refuses_to_pass_the_declared_length(store: &dyn Store) {
    let (sized, other) = (recording(store).await, recording(store).await);
    let sized = ok(store.set_upload_length(sized.id, 100).await, "set_upload_length");
    let mut sequencer = Sequencer::resume(store).await;

    let over = sequencer.plan(&[other.clone(), sized.clone()], &[(0, 5), (1, 60), (1, 41), (0, 5)]);
    let what = "append_batch whose chunks pass an upload's declared length";
    refused(store, &over.batch, &conflict_over(sized.id), what).await;

    let exact = sequencer.plan(&[other, sized], &[(0, 5), (1, 60), (1, 40)]);
    let uploads = sequencer.append(store, exact).await;
    assert_eq!(uploads[1].offset, 100, "up to the declared length is fine");
    let complete = ok(store.upload(uploads[1].id).await, "upload");
    assert_eq!(complete.as_ref(), Some(&uploads[1]));

    let one_more = sequencer.plan(&uploads, &[(0, 5), (1, 1)]);
    let what = "append_batch with a chunk for a complete upload";
    refused(store, &one_more.batch, &conflict_over(uploads[1].id), what).await;
}

/// The store has no clock: a chunk for an upload past its expiry is committed, because the
/// server may have received it before the upload expired.
pub async fn append_batch_leaves_expiry_to_the_server(store: &dyn Store) {
    let owner = account(store, "late").await;
    let stop = encounter(owner.id, T0 - 2 * DAY);
    ok(store.create_encounter(&stop).await, "create_encounter");
    // Created two days before the chunks the sequencer stamps (at T0 and after): expired a day ago.
    let expired = upload(&stop, T0 - 2 * DAY);
    ok(store.create_upload(&expired).await, "create_upload");
    let mut sequencer = Sequencer::resume(store).await;
    let plan = sequencer.plan(std::slice::from_ref(&expired), &[(0, 10)]);
    assert!(
        plan.batch.entries[0].chunk.received_at_us > expired.expires_at_us,
        "the chunk is stamped after the expiry"
    );
    let uploads = sequencer.append(store, plan).await;
    assert_eq!(ok(store.upload(expired.id).await, "upload").as_ref(), uploads.first());
}

/// A termination racing a batch that moves the same upload: either the batch commits first (its
/// chunk stays, and the upload ends terminated) or the termination does (the batch is refused
/// and changes nothing). Never a chunk past a termination.
pub async fn append_batch_and_termination_race_cleanly(store: &dyn Store) {
    for round in 0..5 {
        let (racing, other) = (recording(store).await, recording(store).await);
        let sequencer = Sequencer::resume(store).await;
        let plan = sequencer.plan(&[racing.clone(), other.clone()], &[(1, 7), (0, 10)]);
        let (appended, terminated) = tokio::join!(
            store.append_batch(&plan.batch),
            store.terminate_upload(racing.id, T0 + 5)
        );
        ok(terminated, "terminate_upload");
        let stored = ok(store.upload(racing.id).await, "upload");
        let chunks = ok(store.chunks_of(racing.id).await, "chunks_of");
        let others = ok(store.chunks_of(other.id).await, "chunks_of");
        let ended = |u: &Upload| Upload {
            terminated_at_us: Some(T0 + 5),
            ..u.clone()
        };
        match appended {
            Ok(()) => {
                assert_eq!(stored, Some(ended(&plan.uploads[0])), "round {round}: the batch first");
                assert_eq!((chunks.len(), others.len()), (1, 1), "round {round}: its chunks stay");
            }
            Err(StoreError::Conflict(_)) => {
                assert_eq!(stored, Some(ended(&racing)), "round {round}: the termination first");
                assert_eq!((chunks.len(), others.len()), (0, 0), "round {round}: nothing stored");
            }
            Err(error) => panic!("round {round}: append_batch: expected Ok or Conflict, got {error:?}"),
        }
    }
}
