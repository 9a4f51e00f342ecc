//! The shared conformance suite against a real PostgreSQL server, and reconnecting to it. Each
//! test runs in a database of its own (see `common`), so tests run in parallel and leave nothing
//! behind.

mod common;

use amparo_store::conformance::{self, Sequencer};
use amparo_store::{NewAccount, Store};
use amparo_store_postgres::PostgresStore;
use common::{with_database, with_fresh_database};
use std::sync::Arc;

#[tokio::test]
async fn passes_the_conformance_suite() {
    with_fresh_database(|url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        conformance::run_all(Arc::new(store.clone())).await;
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn data_survives_reconnecting() {
    with_fresh_database(|url| async move {
        let account = NewAccount {
            id: amparo_core::ids::AccountId::new(),
            username: "Rosa".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            created_at_us: 1,
        };
        let (size, root) = {
            let store = PostgresStore::connect(&url).await.expect("connect");
            store.create_account(&account).await.expect("create_account");
            conformance::append_batch_updates_everything(&store).await;
            let sequencer = Sequencer::resume(&store).await;
            store.close().await;
            (sequencer.size(), sequencer.root())
        };
        assert!(size > 0);

        // Migrations already applied are not applied again, and the data is all there.
        let store = PostgresStore::connect(&url).await.expect("reconnect");
        let found = store.account_credentials("ROSA").await.expect("account_credentials");
        assert_eq!(found.map(|(a, _)| a.id), Some(account.id), "the account is still there");
        let sequencer = Sequencer::resume(&store).await;
        assert_eq!(
            (sequencer.size(), sequencer.root()),
            (size, root),
            "the log is still there"
        );
        conformance::append_batch_rejects_a_stale_offset(&store).await;
        store.close().await;
    })
    .await;
}

#[test]
fn database_urls_keep_the_server_and_options() {
    assert_eq!(
        with_database("postgres://u@h:5432/postgres", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/postgres?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}

/// A row changed by hand so that a code no longer parses is reported, never a panic.
#[tokio::test]
async fn a_damaged_attorney_row_is_a_backend_error() {
    with_fresh_database(|url| async move {
        use sqlx::Connection;
        let store = PostgresStore::connect(&url).await.expect("connect");
        let mut by_hand = sqlx::PgConnection::connect(&url).await.expect("a second connection");
        for (column, damage) in [
            ("languages", "klingon"),
            ("bar_admissions", "ZZ"),
            ("specialties", "tax"),
        ] {
            let damaged = conformance::an_attorney_to_damage(&store).await;
            let update = format!("UPDATE attorneys SET {column} = array_append({column}, $1) WHERE account = $2");
            sqlx::query(sqlx::AssertSqlSafe(update))
                .bind(damage)
                .bind(damaged.account.0)
                .execute(&mut by_hand)
                .await
                .expect("damage the row");
            conformance::a_damaged_attorney_is_a_backend_error(&store, &damaged, column.replace('_', " ").as_str())
                .await;
        }
        store.close().await;
    })
    .await;
}

/// A lease is a session's advisory lock: a second store (another node) cannot take it while the
/// session lives; when the session is killed, the hold says so within its health checks and the
/// other node takes the lease.
#[tokio::test]
async fn a_lease_whose_session_dies_is_lost_and_taken_over() {
    with_fresh_database(|url| async move {
        use sqlx::Connection;
        use std::time::Duration;
        let node_a = PostgresStore::connect(&url).await.expect("connect");
        let node_b = PostgresStore::connect(&url).await.expect("connect");
        let hold = node_a
            .acquire_lease("sequencer", "http://a")
            .await
            .expect("acquire_lease")
            .expect("a free lease is taken");
        let taken = node_b.acquire_lease("sequencer", "http://b").await.expect("acquire_lease");
        assert!(taken.is_none(), "another node took a held lease");

        // What a crash, a cut network or an operator's kill does to the holder's session.
        let mut admin = sqlx::PgConnection::connect(&url).await.expect("a third connection");
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_locks \
             WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_all(&mut admin)
        .await
        .expect("terminate the lock's session");
        assert_eq!(killed, [true], "one session held the lock");
        tokio::time::timeout(Duration::from_secs(4), hold.lost())
            .await
            .expect("the hold noticed its session died within its health checks");
        assert!(hold.is_lost());

        let taken_over = conformance::take_within(&node_b, "sequencer", "http://b", Duration::from_secs(2)).await;
        assert!(!taken_over.is_lost());
        assert_eq!(
            node_a.lease_holder("sequencer").await.expect("lease_holder").as_deref(),
            Some("http://b")
        );
        drop((hold, taken_over));
        node_a.close().await;
        node_b.close().await;
    })
    .await;
}
