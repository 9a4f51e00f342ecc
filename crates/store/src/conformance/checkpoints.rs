//! Published checkpoints: one per size, never rewritten.

use super::{T0, conflict, ok};
use crate::{Store, StoredCheckpoint};
use amparo_core::Hash;
use amparo_core::leaf::sha256;

fn checkpoint(size: u64, salt: &str) -> StoredCheckpoint {
    let root = Hash(sha256(format!("{salt}/{size}").as_bytes()));
    StoredCheckpoint {
        size,
        root,
        note: format!("amparo.example/log\n{size}\n{root}\n\n— amparo.example/log {salt}\n"),
        published_at_us: T0 + i64::try_from(size % 1_000_000).unwrap_or(0),
    }
}

/// Saving is idempotent for the same root and a conflict for another; the latest is the largest;
/// the checkpoint covering an index is the first one whose tree contains it.
pub async fn checkpoints_are_immutable_and_found_by_index(store: &dyn Store) {
    // Checkpoints are global: build above every size the store already knows.
    let latest = ok(store.latest_checkpoint().await, "latest_checkpoint").map_or(0, |c| c.size);
    let base = latest.max(ok(store.log_size().await, "log_size"));
    let [ten, twenty, thirty] = [10, 20, 30].map(|n| checkpoint(base + n, "signed"));

    // Saved out of order: "latest" means the largest tree, not the last saved.
    for c in [&ten, &thirty, &twenty] {
        ok(store.save_checkpoint(c).await, "save_checkpoint");
    }
    let latest = ok(store.latest_checkpoint().await, "latest_checkpoint");
    assert_eq!(latest.as_ref(), Some(&thirty), "the latest checkpoint is the largest");

    let covering = |index: u64| store.first_checkpoint_covering(index);
    for (index, expected) in [
        (base + 9, Some(&ten)),
        (base + 10, Some(&twenty)),
        (base + 19, Some(&twenty)),
        (base + 20, Some(&thirty)),
        (base + 29, Some(&thirty)),
        (base + 30, None),
        (u64::MAX, None),
    ] {
        let found = ok(covering(index).await, "first_checkpoint_covering");
        assert_eq!(
            found.as_ref(),
            expected,
            "first_checkpoint_covering({index}) (base {base})"
        );
    }

    ok(
        store.save_checkpoint(&twenty).await,
        "save_checkpoint of a stored checkpoint again",
    );
    let renoted = StoredCheckpoint {
        note: format!("{}— witness.example x\n", twenty.note),
        ..twenty.clone()
    };
    ok(
        store.save_checkpoint(&renoted).await,
        "save_checkpoint with the same root, another note",
    );
    let forked = StoredCheckpoint {
        root: Hash([0xab; 32]),
        ..twenty.clone()
    };
    conflict(
        store.save_checkpoint(&forked).await,
        "save_checkpoint with another root",
    );
    let kept = ok(covering(base + 19).await, "first_checkpoint_covering");
    assert_eq!(kept, Some(twenty), "a published checkpoint is never rewritten");
    let latest = ok(store.latest_checkpoint().await, "latest_checkpoint");
    assert_eq!(latest, Some(thirty));
}
