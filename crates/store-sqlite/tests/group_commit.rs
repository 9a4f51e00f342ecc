//! Group commit on a real SQLite file: many small writes at once share transactions, a write
//! that fails fails alone, and everything acknowledged is there after the file is reopened.

use amparo_core::ids::{AccountId, EncounterId};
use amparo_store::{Encounter, NewAccount, Store, StoreError};
use amparo_store_sqlite::SqliteStore;
use std::sync::Arc;

fn encounter(id: EncounterId, owner: AccountId, at: i64) -> Encounter {
    Encounter {
        id,
        owner,
        started_at_us: at,
        ended_at_us: None,
        latitude: None,
        longitude: None,
        accuracy_m: None,
        us_state: Some("CA".into()),
        language: Some("es".into()),
        wants_attorney: at % 2 == 0,
        note: None,
    }
}

#[tokio::test]
async fn concurrent_writes_all_land_and_a_failing_one_fails_alone() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("amparo.db");
    let store = Arc::new(SqliteStore::open(&path).await.expect("open"));
    let owner = AccountId::new();
    store
        .create_account(&NewAccount {
            id: owner,
            username: "grouped".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            created_at_us: 1,
        })
        .await
        .expect("create_account");

    // 400 starts at once, among them a second insert of an id already taken and one whose owner
    // does not exist: those two must fail, and only those two.
    let taken = EncounterId::new();
    store
        .create_encounter(&encounter(taken, owner, 0))
        .await
        .expect("the first insert");
    let mut writes = tokio::task::JoinSet::new();
    for at in 1..=400_i64 {
        let store = store.clone();
        let (id, by) = match at {
            100 => (taken, owner),
            200 => (EncounterId::new(), AccountId::new()),
            _ => (EncounterId::new(), owner),
        };
        writes.spawn(async move { (at, store.create_encounter(&encounter(id, by, at)).await) });
    }
    let mut stored = 0;
    while let Some(done) = writes.join_next().await {
        let (at, outcome) = done.expect("the write task");
        match (at, outcome) {
            (100, Err(StoreError::Conflict(_))) | (200, Err(StoreError::Backend(_) | StoreError::NotFound(_))) => {}
            (100 | 200, other) => panic!("write {at} should have failed alone, got {other:?}"),
            (_, Ok(())) => stored += 1,
            (_, Err(e)) => panic!("write {at} failed with its neighbours' fault: {e}"),
        }
    }
    assert_eq!(stored, 398);
    store.close().await;
    drop(store);

    let reopened = SqliteStore::open(&path).await.expect("reopen");
    let found = reopened.encounters_of(owner).await.expect("encounters_of");
    assert_eq!(found.len(), 399, "the first insert and the 398 acknowledged ones");
    assert!(
        found.iter().all(|e| e.started_at_us != 200),
        "the failed write left nothing"
    );
    assert_eq!(
        found.iter().filter(|e| e.id == taken).count(),
        1,
        "the taken id kept its first row"
    );
}
