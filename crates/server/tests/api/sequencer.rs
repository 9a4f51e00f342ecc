//! The log's sequencer over a shared PostgreSQL database, fenced: when the log moves under it
//! (another node wrote, as one that took the lease while this one had not noticed losing it
//! would), its commit fails instead of forking the tree; it steps down, takes the lease again from
//! the stored tree, and the chunk it held lands after the other writer's entry.

use crate::harness::{TestServer, test_services};
use crate::postgres;
use amparo_core::Hash;
use amparo_core::checkpoint::{self, SignedCheckpoint};
use amparo_core::ids::RecordingId;
use amparo_core::keys::PublicKey;
use amparo_core::receipt::Receipt;
use amparo_server::limits::Limits;
use amparo_store::Store;
use amparo_store::conformance::Sequencer;
use reqwest::{Method, StatusCode};
use std::sync::Arc;
use std::time::Duration;

fn receipt(response: &reqwest::Response) -> Receipt {
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    Receipt::from_header(response.headers()["amparo-receipt"].to_str().expect("ascii")).expect("receipt")
}

fn recording_of(upload: &str) -> RecordingId {
    let id = upload.rsplit('/').next().expect("an id");
    RecordingId(uuid::Uuid::parse_str(id).expect("a uuid"))
}

/// The first checkpoint the server publishes that contains log index `index` (within a second).
async fn checkpoint_covering(server: &TestServer, key: &PublicKey, index: u64) -> SignedCheckpoint {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let response = server
            .request(Method::GET, "/log/checkpoint", None)
            .send()
            .await
            .expect("send");
        if response.status() == StatusCode::OK {
            let signed = checkpoint::verify(key, &response.text().await.expect("text")).expect("verifies");
            if signed.size > index {
                return signed;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no checkpoint covers index {index}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn proof(server: &TestServer, path: &str) -> Vec<Hash> {
    let response = server.request(Method::GET, path, None).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let body: serde_json::Value = response.json().await.expect("json");
    let hashes = body["hashes"].as_array().expect("hashes");
    let hex = |h: &serde_json::Value| hex::decode(h.as_str().expect("hex")).expect("hex");
    hashes
        .iter()
        .map(|h| Hash(hex(h).try_into().expect("32 bytes")))
        .collect()
}

#[tokio::test]
async fn a_sequencer_whose_log_moved_under_it_steps_down_and_never_forks_the_tree() {
    postgres::with_fresh_database(|url| async move {
        let postgres = amparo_store_postgres::PostgresStore::connect(&url)
            .await
            .expect("postgres");
        let store: Arc<dyn Store> = Arc::new(postgres);
        let dir = tempfile::tempdir().expect("temp dir");
        let server = TestServer::start_full(store.clone(), dir, Limits::default(), test_services()).await;
        let key = PublicKey::from_verifier_key(&server.key_vkey).expect("verifier key");
        let (token, _) = server.member().await;
        let encounter = server.start_encounter(&token).await;
        let ours = server.create_upload(&token, &encounter).await;
        let theirs = server.create_upload(&token, &encounter).await;
        let first = receipt(&server.patch(&token, &ours, 0, vec![1; 500]).await);
        let before = checkpoint_covering(&server, &key, first.index).await;

        // Another writer appends behind this sequencer's back.
        let upload = store
            .upload(recording_of(&theirs))
            .await
            .expect("read")
            .expect("the upload");
        let other = Sequencer::resume(store.as_ref()).await;
        let planned = other.plan(&[upload], &[(0, 700)]);
        store
            .append_batch(&planned.batch)
            .await
            .expect("the other writer's batch");

        let second = receipt(&server.patch(&token, &ours, 500, vec![2; 500]).await);
        assert_eq!(
            second.index,
            first.index + 2,
            "after the other writer's entry, not over it"
        );
        let after = checkpoint_covering(&server, &key, second.index).await;
        let consistency = format!("/log/proof/consistency?old={}&size={}", before.size, after.size);
        tlog_tiles::check_tree(
            &proof(&server, &consistency).await,
            after.size,
            after.root,
            before.size,
            before.root,
        )
        .expect("one tree: the checkpoint before is a prefix of the one after");
        for (index, leaf_hash) in [
            (first.index, first.leaf_hash),
            (
                planned.batch.first_index,
                amparo_core::leaf::EvidenceLeaf::decode(&planned.batch.entries[0].leaf)
                    .expect("leaf")
                    .leaf_hash(),
            ),
            (second.index, second.leaf_hash),
        ] {
            let inclusion = format!("/log/proof/inclusion?index={index}&size={}", after.size);
            tlog_tiles::check_record(
                &proof(&server, &inclusion).await,
                after.size,
                after.root,
                index,
                leaf_hash,
            )
            .expect("every entry, ours and the other writer's, is in the tree");
        }
    })
    .await;
}

/// The endpoint other nodes forward appends to adds to the log only for a node holding the log's
/// key: anyone else is refused before anything they sent is read.
#[tokio::test]
async fn only_nodes_holding_the_log_key_may_forward_appends() {
    let server = TestServer::start().await;
    let leaf = serde_json::json!({"leaf": hex::encode([1u8; 121]), "upload_expires_at_us": 0});
    let forward = |token: Option<&str>| {
        let request = server
            .request(Method::POST, "/internal/v1/log/append", None)
            .json(&leaf);
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    };
    crate::harness::problem(forward(None).send().await.expect("send"), 401).await;
    let guessed = hex::encode([7u8; 32]);
    crate::harness::problem(forward(Some(&guessed)).send().await.expect("send"), 401).await;
    // Not even a malformed body is looked at first.
    let garbage = server
        .request(Method::POST, "/internal/v1/log/append", Some(&guessed))
        .body("{not json")
        .send()
        .await
        .expect("send");
    crate::harness::problem(garbage, 401).await;
}
