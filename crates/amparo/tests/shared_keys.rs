//! A node whose key files are not its deployment's refuses to start (docs/scale-out.md, "What
//! every node shares"): on one PostgreSQL database, a second node with another `log.key`,
//! `messages.key` or `push.key`, or with none at all, exits with a message naming the file, and
//! never listens; with copies of the first node's keys it starts. On SQLite, a data directory
//! with history whose key file was replaced, or removed, is refused the same way.

mod common;
#[allow(dead_code)]
#[path = "../../store-postgres/tests/common/mod.rs"]
mod postgres;

use amparo_core::keys::LogKey;
use amparo_server::alerts::webpush::vapid::VapidKey;
use common::{Amparo, refused_start};
use reqwest::Method;
use std::path::Path;
use std::time::Duration;

const SHARED_KEYS: [&str; 3] = ["log.key", "messages.key", "push.key"];
/// The log's origin by default (`log.origin`): a key for another origin is refused for that.
const ORIGIN: &str = "amparo.localhost/log";
/// A refusal comes after connecting to the store and reading a few rows.
const REFUSED_WITHIN: Duration = Duration::from_secs(60);

/// Writes a fresh set of key files into `dir`: another deployment's.
fn write_other_keys(dir: &Path) {
    let log = LogKey::generate(ORIGIN).expect("a log key");
    std::fs::write(dir.join("log.key"), format!("{}\n", log.to_private_string())).expect("log.key");
    std::fs::write(dir.join("messages.key"), rand::random::<[u8; 32]>()).expect("messages.key");
    let push = VapidKey::generate();
    std::fs::write(dir.join("push.key"), format!("{}\n", push.to_private_string())).expect("push.key");
}

/// `dir` holds copies of `from`'s key files, except `other`, which is another deployment's.
fn keys_but(from: &Path, dir: &Path, other: Option<&str>) {
    let strange = tempfile::tempdir().expect("dir");
    write_other_keys(strange.path());
    for file in SHARED_KEYS {
        let source = if Some(file) == other { strange.path() } else { from };
        std::fs::copy(source.join(file), dir.join(file)).expect("copy a key file");
    }
}

/// The refusal names `file`, says what to do, and shows nothing of any key file in `dir`.
fn assert_refused_for(stderr: &str, file: &str, dir: &Path) {
    assert!(stderr.contains(file), "the refusal names {file}:\n{stderr}");
    assert!(
        stderr.contains("Copy log.key, messages.key and push.key"),
        "it says what to do:\n{stderr}"
    );
    for secret in ["log.key", "push.key"] {
        if let Ok(text) = std::fs::read_to_string(dir.join(secret)) {
            assert!(!stderr.contains(text.trim()), "the refusal shows {secret}:\n{stderr}");
        }
    }
}

/// Starts a node with one chunk in the log and a checkpoint over it: a deployment with history.
async fn node_with_history(data_dir: &Path, settings: &[(&str, &str)]) -> Amparo {
    let node = Amparo::spawn_with(data_dir, settings);
    let token = node.member().await;
    let encounter = node.encounter(&token).await;
    let upload = node.create_upload(&token, &encounter).await;
    node.send_chunk(&token, &upload, 0, vec![7; 4_096]).await;
    let key = node.verifier_key().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while node.checkpoint(&key).await.is_none_or(|c| c.size == 0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no checkpoint over the chunk within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored = node
        .request(Method::HEAD, &upload, &token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    assert_eq!(stored.headers()["Upload-Offset"], "4096");
    node
}

#[tokio::test]
async fn a_second_node_on_postgresql_needs_the_first_nodes_keys() {
    postgres::with_fresh_database(|database_url| async move {
        let settings = [("AMPARO_DATABASE_URL", database_url.as_str())];
        let first_dir = tempfile::tempdir().expect("data dir");
        let first = node_with_history(first_dir.path(), &settings).await;

        // No key files at all: refused, and no key is made.
        let bare = tempfile::tempdir().expect("data dir");
        let stderr = refused_start(bare.path(), &settings, REFUSED_WITHIN);
        assert_refused_for(&stderr, "log.key", bare.path());
        assert!(!bare.path().join("log.key").exists(), "a refused node made a log key");

        // Each key file in turn another deployment's.
        for other in SHARED_KEYS {
            let dir = tempfile::tempdir().expect("data dir");
            keys_but(first_dir.path(), dir.path(), Some(other));
            let stderr = refused_start(dir.path(), &settings, REFUSED_WITHIN);
            assert_refused_for(&stderr, other, dir.path());
            eprintln!("another {other}: refused");
        }

        // A store from before fingerprints were recorded: the log's checkpoint still tells.
        forget_fingerprint(&database_url, "log.key").await;
        let dir = tempfile::tempdir().expect("data dir");
        keys_but(first_dir.path(), dir.path(), Some("log.key"));
        let stderr = refused_start(dir.path(), &settings, REFUSED_WITHIN);
        assert_refused_for(&stderr, "log.key", dir.path());
        assert!(stderr.contains("did not sign this deployment's log"), "{stderr}");

        // Copies of the first node's keys: it starts, and serves the same log.
        let copy = tempfile::tempdir().expect("data dir");
        keys_but(first_dir.path(), copy.path(), None);
        let second = Amparo::spawn_with(copy.path(), &settings);
        assert_eq!(
            second.verifier_key().await.verifier_key(),
            first.verifier_key().await.verifier_key()
        );
        assert_eq!(
            recorded_fingerprints(&database_url).await,
            3,
            "the log key's was recorded again"
        );
    })
    .await;
}

#[tokio::test]
async fn a_second_node_with_another_log_key_is_refused_before_the_log_has_entries() {
    postgres::with_fresh_database(|database_url| async move {
        let settings = [("AMPARO_DATABASE_URL", database_url.as_str())];
        let first_dir = tempfile::tempdir().expect("data dir");
        let _first = Amparo::spawn_with(first_dir.path(), &settings);
        let dir = tempfile::tempdir().expect("data dir");
        keys_but(first_dir.path(), dir.path(), Some("log.key"));
        let stderr = refused_start(dir.path(), &settings, REFUSED_WITHIN);
        assert_refused_for(&stderr, "log.key", dir.path());
        assert!(stderr.contains("is not this deployment's log.key"), "{stderr}");
    })
    .await;
}

#[tokio::test]
async fn a_replaced_or_missing_key_file_of_a_sqlite_node_is_refused() {
    let data = tempfile::tempdir().expect("data dir");
    node_with_history(data.path(), &[]).await.kill_hard();
    let originals = tempfile::tempdir().expect("dir");
    for file in SHARED_KEYS {
        std::fs::copy(data.path().join(file), originals.path().join(file)).expect("keep the original");
    }
    let other = tempfile::tempdir().expect("dir");
    write_other_keys(other.path());

    for file in SHARED_KEYS {
        std::fs::copy(other.path().join(file), data.path().join(file)).expect("replace a key file");
        let stderr = refused_start(data.path(), &[], REFUSED_WITHIN);
        assert_refused_for(&stderr, file, data.path());
        std::fs::remove_file(data.path().join(file)).expect("remove it");
        let stderr = refused_start(data.path(), &[], REFUSED_WITHIN);
        assert_refused_for(&stderr, file, data.path());
        assert!(stderr.contains("is missing"), "{stderr}");
        assert!(!data.path().join(file).exists(), "a refused node made a new {file}");
        std::fs::copy(originals.path().join(file), data.path().join(file)).expect("put the original back");
    }
    // With its own keys back, the node starts.
    let node = Amparo::spawn(data.path());
    let key = node.verifier_key().await;
    assert!(node.checkpoint(&key).await.is_some_and(|c| c.size == 1));
}

async fn forget_fingerprint(database_url: &str, name: &str) {
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(database_url).await.expect("connect");
    sqlx::query("DELETE FROM deployment_keys WHERE name = $1")
        .bind(name)
        .execute(&mut db)
        .await
        .expect("delete a fingerprint");
}

async fn recorded_fingerprints(database_url: &str) -> i64 {
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(database_url).await.expect("connect");
    sqlx::query_scalar("SELECT count(*) FROM deployment_keys")
        .fetch_one(&mut db)
        .await
        .expect("count fingerprints")
}
