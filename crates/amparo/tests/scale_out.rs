//! Several `amparo serve` processes over one PostgreSQL database and one S3 bucket (s3s-fs), as a
//! deployment behind a load balancer runs them: uploads alternate between the nodes chunk by
//! chunk, the node sequencing the log is killed with SIGKILL while they go on, another takes over
//! within 5 s, every receipt ever given is in the log with an inclusion proof against a later
//! checkpoint, and every checkpoint ever published is consistent with the next.

mod common;
#[allow(dead_code)]
#[path = "../../store-postgres/tests/common/mod.rs"]
mod postgres;
#[allow(dead_code)]
#[path = "../../server/tests/support/s3fs.rs"]
mod s3fs;

use amparo_core::checkpoint::{self, SignedCheckpoint};
use amparo_core::keys::PublicKey;
use amparo_core::receipt::Receipt;
use common::Amparo;
use reqwest::{Client, StatusCode};
use s3fs::S3Fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const NODES: usize = 3;
const UPLOADERS: usize = 4;
/// The promise: another node sequences within this after the holder dies.
const TAKEOVER_WITHIN: Duration = Duration::from_secs(5);
/// The key files every node of a deployment shares (docs/scale-out.md).
const SHARED_KEYS: [&str; 3] = ["log.key", "messages.key", "push.key"];

/// The nodes still running, by base URL: where the uploaders send their chunks.
type Live = Arc<Mutex<Vec<String>>>;

/// The running nodes, killed when the test ends (passed or not), before its database is dropped.
struct Nodes(Vec<Amparo>);

impl std::ops::Deref for Nodes {
    type Target = [Amparo];
    fn deref(&self) -> &[Amparo] {
        &self.0
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        for node in &mut self.0 {
            let _ = node.child.kill();
            let _ = node.child.wait();
        }
    }
}

/// Every receipt the uploaders were given, with when its chunk was sent, when the receipt came,
/// and which node took the chunk.
#[derive(Default)]
struct Acknowledged {
    receipts: Vec<(Instant, Instant, Receipt)>,
    nodes: Vec<String>,
    refused: Vec<String>,
}

fn spawn_node(data: &Path, database_url: &str, s3: &S3Fs) -> Amparo {
    let settings = s3.settings();
    let blob_url = s3.blob_url("cluster");
    Amparo::spawn_with(
        data,
        &[
            ("AMPARO_DATABASE_URL", database_url),
            ("AMPARO_BLOB_URL", blob_url.as_str()),
            ("AMPARO_S3__ENDPOINT", settings.endpoint.as_str()),
            ("AMPARO_S3__REGION", "us-east-1"),
            ("AMPARO_S3__ACCESS_KEY_ID", settings.access_key_id.as_str()),
            ("AMPARO_S3__SECRET_ACCESS_KEY", settings.secret_access_key.expose()),
            ("AMPARO_S3__ALLOW_HTTP", "true"),
            ("RUST_LOG", "warn,amparo_server::log=info,amparo_server::cluster=info"),
        ],
    )
}

/// The bytes of every chunk are a function of the recording and the offset, so an uploader
/// resuming from the server's offset needs to remember nothing.
fn chunk_at(uploader: usize, offset: u64, round: u64) -> Vec<u8> {
    let length = 600 + ((uploader as u64 * 7_919 + round * 104_729) % 2_400) as usize;
    (0..length as u64)
        .map(|i| ((offset + i) ^ (uploader as u64 * 31)) as u8)
        .collect()
}

/// The upload's offset, asked of any live node (as a tus client does after a failure).
async fn offset_of(client: &Client, live: &Live, token: &str, upload: &str) -> u64 {
    loop {
        let nodes = live.lock().expect("lock").clone();
        for base in nodes {
            let answer = client
                .head(format!("{base}{upload}"))
                .bearer_auth(token)
                .header("Tus-Resumable", "1.0.0")
                .send()
                .await;
            if let Ok(response) = answer
                && response.status() == StatusCode::OK
                && let Some(offset) = response.headers().get("upload-offset")
            {
                return offset.to_str().expect("ascii").parse().expect("offset");
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends chunks until told to stop, each to the next live node in turn; after any failure, asks
/// for the offset and goes on from there.
async fn upload(
    i: usize,
    token: String,
    upload: String,
    live: Live,
    acked: Arc<Mutex<Acknowledged>>,
    stop: Arc<AtomicBool>,
) {
    let client = Client::new();
    let mut offset = 0u64;
    let mut round = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let base = {
            let nodes = live.lock().expect("lock");
            nodes[(i + round as usize) % nodes.len()].clone()
        };
        round += 1;
        let sent_at = Instant::now();
        let chunk = chunk_at(i, offset, round);
        let sent = common::tus_patch(&client, &format!("{base}{upload}"), &token, offset, chunk)
            .send()
            .await;
        match sent {
            Ok(response) if response.status() == StatusCode::NO_CONTENT => {
                let header = response.headers()["amparo-receipt"].to_str().expect("ascii");
                let receipt = Receipt::from_header(header).expect("receipt");
                offset = response.headers()["upload-offset"]
                    .to_str()
                    .expect("ascii")
                    .parse()
                    .expect("offset");
                let mut acked = acked.lock().expect("lock");
                acked.receipts.push((sent_at, Instant::now(), receipt));
                acked.nodes.push(base.clone());
            }
            failed => {
                let why = match failed {
                    Ok(response) => format!("{} from {base}", response.status()),
                    Err(error) => format!("{error} ({base})"),
                };
                acked.lock().expect("lock").refused.push(why);
                offset = offset_of(&client, &live, &token, &upload).await;
            }
        }
    }
}

/// The sequencer's advertised URL, as the nodes record it.
async fn sequencer_url(database_url: &str) -> Option<String> {
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(database_url).await.expect("connect");
    sqlx::query_scalar("SELECT holder FROM leases WHERE name = 'log-sequencer'")
        .fetch_optional(&mut db)
        .await
        .expect("read the lease")
}

/// Every checkpoint the deployment published (each is stored before anyone can fetch it), in
/// order of size, once the last covers log index `last_index` (within the promised second).
async fn covering_checkpoints(database_url: &str, key: &PublicKey, last_index: u64) -> Vec<SignedCheckpoint> {
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(database_url).await.expect("connect");
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let notes: Vec<String> = sqlx::query_scalar("SELECT note FROM checkpoints ORDER BY size")
            .fetch_all(&mut db)
            .await
            .expect("read checkpoints");
        let published: Vec<SignedCheckpoint> = notes
            .iter()
            .map(|note| checkpoint::verify(key, note).expect("every stored checkpoint is signed by the log's key"))
            .collect();
        if published.last().is_some_and(|c| c.size > last_index) {
            return published;
        }
        assert!(Instant::now() < deadline, "no checkpoint covers the last receipt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Receipt latency before the kill (a debug build on a shared machine: for orientation only),
/// for chunks sent to the sequencing node and for chunks forwarded to it by another node.
fn report_latency(acked: &Acknowledged, killed_at: Instant, sequencer: &str) {
    let mut here = Vec::new();
    let mut forwarded = Vec::new();
    for ((sent, answered, _), node) in acked.receipts.iter().zip(&acked.nodes) {
        if *sent < killed_at {
            let latency = *answered - *sent;
            if node == sequencer {
                here.push(latency)
            } else {
                forwarded.push(latency)
            }
        }
    }
    for (what, mut latencies) in [("sent to the sequencer", here), ("forwarded", forwarded)] {
        latencies.sort();
        let at = |q: f64| latencies.get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)));
        eprintln!(
            "receipt latency, {what} ({} chunks): p50 {:?}, p99 {:?}, max {:?}",
            latencies.len(),
            at(0.50),
            at(0.99),
            latencies.last()
        );
    }
}

async fn proof(node: &Amparo, path: &str) -> Vec<amparo_core::Hash> {
    let response = node.client.get(node.url(path)).send().await.expect("proof");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    common::proof_hashes(&response.json().await.expect("json"))
}

#[tokio::test]
async fn the_sequencer_dies_and_another_node_takes_over_losing_nothing() {
    postgres::with_fresh_database(|database_url| async move {
        let started = Instant::now();
        let s3 = S3Fs::start();
        let dirs: Vec<_> = (0..NODES).map(|_| tempfile::tempdir().expect("data dir")).collect();
        // The first node makes the deployment's keys; the others are given copies, as an operator
        // does (docs/scale-out.md).
        let mut nodes = Nodes(vec![spawn_node(dirs[0].path(), &database_url, &s3)]);
        for dir in &dirs[1..] {
            for file in SHARED_KEYS {
                std::fs::copy(dirs[0].path().join(file), dir.path().join(file)).expect("copy a key file");
            }
            nodes.0.push(spawn_node(dir.path(), &database_url, &s3));
        }
        eprintln!("{} nodes up after {:?}", nodes.len(), started.elapsed());
        let key = nodes[0].verifier_key().await;
        for node in &nodes[1..] {
            assert_eq!(node.verifier_key().await.verifier_key(), key.verifier_key());
        }
        let first_sequencer = sequencer_url(&database_url).await.expect("a node sequences the log");
        let killed = nodes
            .iter()
            .position(|node| node.base == first_sequencer)
            .expect("the sequencer is one of the nodes");

        let live: Live = Arc::new(Mutex::new(nodes.iter().map(|n| n.base.clone()).collect()));
        let acked = Arc::new(Mutex::new(Acknowledged::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut encounters = Vec::new();
        let mut tasks = Vec::new();
        for i in 0..UPLOADERS {
            let node = &nodes[i % NODES];
            let token = node.member().await;
            let encounter = node.encounter(&token).await;
            let upload_path = node.create_upload(&token, &encounter).await;
            encounters.push((token.clone(), encounter));
            tasks.push(tokio::spawn(upload(
                i,
                token,
                upload_path,
                live.clone(),
                acked.clone(),
                stop.clone(),
            )));
        }

        eprintln!("uploading after {:?}", started.elapsed());
        tokio::time::sleep(Duration::from_secs(2)).await;
        let before = acked.lock().expect("lock").receipts.len();
        assert!(before > 20, "chunks flow through every node before the kill: {before}");
        live.lock().expect("lock").retain(|base| *base != first_sequencer);
        let dead = nodes.0.remove(killed);
        let killed_at = Instant::now();
        dead.kill_hard();

        // A chunk sent after the kill is acknowledged only once a sequencer commits it: someone
        // took over.
        let taken_over = loop {
            let first_after = acked
                .lock()
                .expect("lock")
                .receipts
                .iter()
                .find(|(sent, _, _)| *sent > killed_at)
                .map(|(_, answered, _)| *answered);
            if let Some(at) = first_after {
                break at - killed_at;
            }
            assert!(
                killed_at.elapsed() < TAKEOVER_WITHIN,
                "no chunk was acknowledged within {TAKEOVER_WITHIN:?} of the sequencer's death"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let new_sequencer = sequencer_url(&database_url).await.expect("a sequencer");
        assert_ne!(new_sequencer, first_sequencer, "another node holds the lease");
        assert!(nodes.iter().any(|node| node.base == new_sequencer));
        eprintln!("takeover: the first chunk after the kill was acknowledged {taken_over:?} after it");

        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            task.await.expect("uploader");
        }
        let acked = std::mem::take(&mut *acked.lock().expect("lock"));
        let after = acked.receipts.iter().filter(|(sent, _, _)| *sent > killed_at).count();
        eprintln!(
            "{} chunks acknowledged ({before} before the kill, {after} after); {} refused or unanswered: {:?}",
            acked.receipts.len(),
            acked.refused.len(),
            acked.refused
        );
        assert!(after > 20, "uploads went on after the takeover: {after}");
        report_latency(&acked, killed_at, &first_sequencer);

        // Every checkpoint any node published is consistent with the next: one tree, never two.
        let last_index = acked.receipts.iter().map(|(_, _, r)| r.index).max().expect("receipts");
        let reader = &nodes[0];
        let published = covering_checkpoints(&database_url, &key, last_index).await;
        assert!(
            published.len() > 3,
            "checkpoints were published all along: {}",
            published.len()
        );
        let latest = published.last().expect("checkpoints").clone();
        // The reader may not sequence: it serves proofs up to the tree it last read (within a
        // checkpoint interval).
        let deadline = Instant::now() + Duration::from_secs(3);
        while reader.checkpoint(&key).await.is_none_or(|c| c.size < latest.size) {
            assert!(
                Instant::now() < deadline,
                "the reader never caught up with the latest checkpoint"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for pair in published.windows(2) {
            let (old, new) = (&pair[0], &pair[1]);
            let path = format!("/log/proof/consistency?old={}&size={}", old.size, new.size);
            tlog_tiles::check_tree(&proof(reader, &path).await, new.size, new.root, old.size, old.root)
                .unwrap_or_else(|e| panic!("checkpoint {} is not a prefix of {}: {e}", old.size, new.size));
        }

        // Every receipt is signed by the log's key and in the log, by an inclusion proof against
        // the latest checkpoint (checked 16 at a time).
        let mut checks = tokio::task::JoinSet::new();
        for (_, _, receipt) in &acked.receipts {
            receipt.verify(&key).expect("the receipt is signed by the log's key");
            let (client, receipt, latest) = (reader.client.clone(), receipt.clone(), latest.clone());
            let url = reader.url(&format!(
                "/log/proof/inclusion?index={}&size={}",
                receipt.index, latest.size
            ));
            checks.spawn(async move {
                let response = client.get(&url).send().await.expect("inclusion proof");
                assert_eq!(response.status(), StatusCode::OK, "{url}");
                let hashes = common::proof_hashes(&response.json().await.expect("json"));
                tlog_tiles::check_record(&hashes, latest.size, latest.root, receipt.index, receipt.leaf_hash)
                    .expect("every acknowledged chunk is in the log");
            });
            if checks.len() >= 16 {
                checks.join_next().await.expect("a check").expect("the inclusion check");
            }
        }
        while let Some(done) = checks.join_next().await {
            done.expect("the inclusion check");
        }

        // And each recording's bundle, exported from a surviving node, verifies offline.
        let out = tempfile::tempdir().expect("bundle dir");
        for (i, (token, encounter)) in encounters.iter().enumerate() {
            let path = out.path().join(format!("bundle-{i}.zip"));
            let (valid, report) = reader.export_and_verify(token, encounter, &path).await;
            assert!(valid, "{report}");
        }
        drop(nodes);
    })
    .await;
}
