//! kill -9 in the middle of uploads: every acknowledged byte survives, the log stays consistent
//! with every checkpoint published before the kill, and uploads resume from the right offsets.

mod common;

use amparo_core::keys::PublicKey;
use amparo_core::receipt::Receipt;
use common::Amparo;
use reqwest::{Method, StatusCode};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const UPLOADERS: usize = 6;

/// What the uploaders were told: per upload, the bytes acknowledged, and every receipt.
#[derive(Default)]
struct Acknowledged {
    bytes: BTreeMap<usize, Vec<u8>>,
    /// The chunk each uploader had in flight when the server died: stored or not, never half.
    in_flight: BTreeMap<usize, Vec<u8>>,
    receipts: Vec<Receipt>,
}

struct Uploader {
    token: String,
    encounter: String,
    upload: String,
}

async fn create_upload(amparo: &Amparo, token: &str, encounter: &str) -> String {
    use base64::Engine;
    let id = base64::engine::general_purpose::STANDARD.encode(encounter);
    let response = amparo
        .request(Method::POST, "/api/v1/uploads", token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Defer-Length", "1")
        .header("Upload-Metadata", format!("encounter_id {id}"))
        .send()
        .await
        .expect("create upload");
    assert_eq!(response.status(), StatusCode::CREATED);
    response.headers()["location"].to_str().expect("location").to_owned()
}

async fn head_offset(amparo: &Amparo, uploader: &Uploader) -> u64 {
    let response = amparo
        .request(Method::HEAD, &uploader.upload, &uploader.token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    assert_eq!(response.status(), StatusCode::OK);
    response.headers()["upload-offset"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("offset")
}

/// Sends chunks until the server stops answering; records only what was acknowledged.
async fn upload_until_killed(
    base: String,
    uploader: usize,
    token: String,
    upload: String,
    mut offset: u64,
    acked: Arc<Mutex<Acknowledged>>,
) {
    let client = reqwest::Client::new();
    let mut round = 0u64;
    loop {
        let length = 1_000 + ((uploader as u64 * 7_919 + round * 104_729) % 7_000) as usize;
        let chunk: Vec<u8> = (0..length)
            .map(|i| (i as u64 ^ round ^ uploader as u64) as u8)
            .collect();
        acked.lock().expect("lock").in_flight.insert(uploader, chunk.clone());
        let sent = common::tus_patch(&client, &format!("{base}{upload}"), &token, offset, chunk.clone())
            .send()
            .await;
        let Ok(response) = sent else { return };
        if response.status() != StatusCode::NO_CONTENT {
            return;
        }
        let receipt =
            Receipt::from_header(response.headers()["amparo-receipt"].to_str().expect("ascii")).expect("receipt");
        let mut acked = acked.lock().expect("lock");
        acked.in_flight.remove(&uploader);
        acked.bytes.entry(uploader).or_default().extend_from_slice(&chunk);
        acked.receipts.push(receipt);
        offset += length as u64;
        round += 1;
    }
}

#[tokio::test]
async fn kill_dash_nine_loses_no_acknowledged_byte() {
    let data = tempfile::tempdir().expect("data dir");
    let mut amparo = Amparo::spawn(data.path());
    let key: PublicKey = amparo.verifier_key().await;
    let mut uploaders = Vec::new();
    for _ in 0..UPLOADERS {
        let token = amparo.member().await;
        let encounter = amparo.encounter(&token).await;
        let upload = create_upload(&amparo, &token, &encounter).await;
        uploaders.push(Uploader {
            token,
            encounter,
            upload,
        });
    }
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let mut checkpoints = Vec::new();

    for round in 0..3u64 {
        // Upload from wherever the server says each recording stands.
        let mut tasks = Vec::new();
        for (i, uploader) in uploaders.iter().enumerate() {
            let offset = head_offset(&amparo, uploader).await;
            let mut state = acked.lock().expect("lock");
            let known = state.bytes.get(&i).map_or(0, |b| b.len() as u64);
            let pending = state.in_flight.remove(&i).unwrap_or_default();
            // A chunk committed in the instant before the kill, whose answer never left, is
            // stored whole; anything else must resume exactly after the acknowledged bytes.
            if offset == known + pending.len() as u64 && !pending.is_empty() {
                state.bytes.entry(i).or_default().extend_from_slice(&pending);
            } else {
                assert_eq!(
                    offset, known,
                    "upload {i} resumes exactly after its acknowledged bytes (round {round})"
                );
            }
            drop(state);
            tasks.push(tokio::spawn(upload_until_killed(
                amparo.base.clone(),
                i,
                uploader.token.clone(),
                uploader.upload.clone(),
                offset,
                acked.clone(),
            )));
        }
        // Watch checkpoints while the uploads run, then kill at an arbitrary moment.
        let kill_at = tokio::time::Instant::now() + Duration::from_millis(1_200 + round * 450);
        while tokio::time::Instant::now() < kill_at {
            if let Some(checkpoint) = amparo.checkpoint(&key).await {
                checkpoints.push(checkpoint);
            }
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
        amparo.kill_hard();
        for task in tasks {
            task.await.expect("uploader task");
        }
        amparo = Amparo::spawn(data.path());
    }

    // Every uploader has stopped: take what they recorded out of the lock.
    let acked = std::mem::take(&mut *acked.lock().expect("lock"));
    eprintln!(
        "{} chunks acknowledged across 3 kills; {} checkpoints seen",
        acked.receipts.len(),
        checkpoints.len()
    );
    assert!(
        acked.receipts.len() > 50,
        "the test acknowledged enough chunks to mean something: {}",
        acked.receipts.len()
    );
    // After a restart the server seals whatever it held at once.
    let latest = loop {
        if let Some(checkpoint) = amparo
            .checkpoint(&key)
            .await
            .filter(|c| acked.receipts.iter().all(|r| r.index < c.size))
        {
            break checkpoint;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Every checkpoint published before any kill is a prefix of today's tree.
    for earlier in checkpoints.iter().filter(|c| c.size < latest.size) {
        let proof: serde_json::Value = amparo
            .client
            .get(amparo.url(&format!(
                "/log/proof/consistency?old={}&size={}",
                earlier.size, latest.size
            )))
            .send()
            .await
            .expect("consistency")
            .json()
            .await
            .expect("json");
        tlog_tiles::check_tree(
            &common::proof_hashes(&proof),
            latest.size,
            latest.root,
            earlier.size,
            earlier.root,
        )
        .expect("the log never forked across a kill");
    }
    // Every receipt ever given names a leaf in the tree.
    for receipt in acked.receipts.iter().step_by(7) {
        let proof: serde_json::Value = amparo
            .client
            .get(amparo.url(&format!(
                "/log/proof/inclusion?index={}&size={}",
                receipt.index, latest.size
            )))
            .send()
            .await
            .expect("inclusion")
            .json()
            .await
            .expect("json");
        tlog_tiles::check_record(
            &common::proof_hashes(&proof),
            latest.size,
            latest.root,
            receipt.index,
            receipt.leaf_hash,
        )
        .expect("a receipted chunk is in the log");
    }
    // Every acknowledged byte is there, in order, and the bundle verifies.
    let out = tempfile::tempdir().expect("bundle dir");
    for (i, uploader) in uploaders.iter().enumerate() {
        let path = out.path().join(format!("bundle-{i}.zip"));
        let (valid, report) = amparo
            .export_and_verify(&uploader.token, &uploader.encounter, &path)
            .await;
        assert!(valid, "{report}");
        let media = common::bundle_media(&path);
        let expected = acked.bytes.get(&i).cloned().unwrap_or_default();
        let pending = acked.in_flight.get(&i).cloned().unwrap_or_default();
        let exact = media == expected;
        let with_last_unanswered =
            media.len() == expected.len() + pending.len() && media[..expected.len()] == expected[..];
        assert!(
            exact || with_last_unanswered,
            "upload {i} kept every acknowledged byte and nothing else"
        );
    }
}
