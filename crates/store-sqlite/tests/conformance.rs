//! The shared conformance suite against a real SQLite file, and reopening that file.

use amparo_store::conformance::{self, Sequencer};
use amparo_store::{NewAccount, Store};
use amparo_store_sqlite::SqliteStore;
use std::sync::Arc;

#[tokio::test]
async fn passes_the_conformance_suite() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(&dir.path().join("amparo.db")).await.expect("open");
    conformance::run_all(Arc::new(store)).await;
}

/// Each check on a store of its own: none may lean on what another left behind.
#[tokio::test]
async fn each_check_passes_on_an_empty_store() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, check) in conformance::checks() {
        let store = SqliteStore::open(&dir.path().join(format!("{name}.db")))
            .await
            .expect("open");
        eprintln!("conformance: {name} on an empty store");
        check(&store).await;
        store.close().await;
    }
}

#[tokio::test]
async fn data_survives_reopening() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("nested-name.sqlite3");
    let account = NewAccount {
        id: amparo_core::ids::AccountId::new(),
        username: "Rosa".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at_us: 1,
    };
    let (size, root) = {
        let store = SqliteStore::open(&path).await.expect("create");
        store.create_account(&account).await.expect("create_account");
        // Some log entries, so the frontier must come back too.
        conformance::append_batch_updates_everything(&store).await;
        let sequencer = Sequencer::resume(&store).await;
        store.close().await;
        (sequencer.size(), sequencer.root())
    };
    assert!(size > 0);

    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::connect(&url).await.expect("reopen by URL");
    let found = store.account_credentials("rosa").await.expect("account_credentials");
    assert_eq!(found.map(|(a, _)| a.id), Some(account.id), "the account is still there");
    let sequencer = Sequencer::resume(&store).await;
    assert_eq!(
        (sequencer.size(), sequencer.root()),
        (size, root),
        "the log is still there"
    );
    // Migrations already applied are not applied again, and the store keeps working.
    conformance::append_batch_rejects_a_stale_offset(&store).await;
}

#[tokio::test]
async fn in_memory_urls_are_refused() {
    let error = SqliteStore::connect("sqlite::memory:")
        .await
        .expect_err("in-memory is refused");
    assert!(error.to_string().contains("file path"), "{error}");
}

/// A row changed by hand so that a code no longer parses is reported, never a panic.
#[tokio::test]
async fn a_damaged_attorney_row_is_a_backend_error() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("amparo.db");
    let store = SqliteStore::open(&path).await.expect("open");
    let mut by_hand = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("a second connection");
    for (column, damage) in [
        ("languages", "es,klingon"),
        ("bar_admissions", "CA,ZZ"),
        ("specialties", "tax"),
    ] {
        let damaged = conformance::an_attorney_to_damage(&store).await;
        let update = format!("UPDATE attorneys SET {column} = ? WHERE account = ?");
        sqlx::query(sqlx::AssertSqlSafe(update))
            .bind(damage)
            .bind(damaged.account.as_bytes().as_slice())
            .execute(&mut by_hand)
            .await
            .expect("damage the row");
        conformance::a_damaged_attorney_is_a_backend_error(&store, &damaged, column.replace('_', " ").as_str()).await;
    }
}
