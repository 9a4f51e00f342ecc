use crate::harness::{TestServer, problem};
use amparo_core::checkpoint;
use amparo_core::keys::PublicKey;
use amparo_core::receipt::Receipt;
use amparo_core::{Hash, merkle::Frontier};
use reqwest::{Method, StatusCode};
use std::time::{Duration, Instant};

async fn latest(server: &TestServer, key: &PublicKey) -> Option<checkpoint::SignedCheckpoint> {
    let response = server
        .request(Method::GET, "/log/checkpoint", None)
        .send()
        .await
        .expect("send");
    if response.status() == StatusCode::NOT_FOUND {
        return None;
    }
    Some(checkpoint::verify(key, &response.text().await.expect("text")).expect("checkpoint verifies"))
}

fn hashes(value: &serde_json::Value) -> Vec<Hash> {
    value["hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .map(|h| {
            Hash(
                hex::decode(h.as_str().expect("hex"))
                    .expect("hex")
                    .try_into()
                    .expect("32 bytes"),
            )
        })
        .collect()
}

#[tokio::test]
async fn receipts_are_sealed_in_a_checkpoint_within_a_second_and_proofs_verify() {
    let server = TestServer::start_unthrottled().await;
    let key_text = server
        .request(Method::GET, "/log/key", None)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("text");
    assert_eq!(key_text.trim(), server.key_vkey);
    let key = PublicKey::from_verifier_key(&key_text).expect("verifier key");
    assert!(latest(&server, &key).await.is_none(), "an empty log has no checkpoint");

    let (token, _) = server.member().await;
    let encounter = server.start_encounter(&token).await;
    let upload = server.create_upload(&token, &encounter).await;
    let mut receipts = Vec::new();
    let mut checkpoints = Vec::new();
    let mut offset = 0;
    for i in 0..300u64 {
        let chunk = vec![(i % 251) as u8; 64];
        let response = server.patch(&token, &upload, offset, chunk).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let receipt =
            Receipt::from_header(response.headers()["amparo-receipt"].to_str().expect("ascii")).expect("receipt");
        offset += 64;
        if i % 100 == 0 || i == 299 {
            let given = Instant::now();
            let sealed = loop {
                if let Some(cp) = latest(&server, &key).await.filter(|cp| cp.size > receipt.index) {
                    break cp;
                }
                assert!(
                    given.elapsed() < Duration::from_secs(1),
                    "checkpoint within a second of the receipt"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            checkpoints.push(sealed);
        }
        receipts.push(receipt);
    }
    let last = checkpoints.last().expect("checkpoints").clone();
    for receipt in receipts.iter().step_by(37) {
        let proof: serde_json::Value = server
            .request(
                Method::GET,
                &format!("/log/proof/inclusion?index={}&size={}", receipt.index, last.size),
                None,
            )
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        tlog_tiles::check_record(&hashes(&proof), last.size, last.root, receipt.index, receipt.leaf_hash)
            .expect("inclusion verifies");
    }
    for earlier in &checkpoints[..checkpoints.len() - 1] {
        let proof: serde_json::Value = server
            .request(
                Method::GET,
                &format!("/log/proof/consistency?old={}&size={}", earlier.size, last.size),
                None,
            )
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        tlog_tiles::check_tree(&hashes(&proof), last.size, last.root, earlier.size, earlier.root)
            .expect("consistency verifies");
    }
    problem(
        server
            .request(
                Method::GET,
                &format!("/log/proof/inclusion?index={}&size={}", last.size, last.size),
                None,
            )
            .send()
            .await
            .expect("send"),
        400,
    )
    .await;
    problem(
        server
            .request(Method::GET, "/log/proof/consistency?old=0&size=1", None)
            .send()
            .await
            .expect("send"),
        400,
    )
    .await;
}

#[tokio::test]
async fn tiles_rebuild_the_checkpoint_root() {
    let server = TestServer::start_unthrottled().await;
    let key = PublicKey::from_verifier_key(&server.key_vkey).expect("key");
    let (token, _) = server.member().await;
    let encounter = server.start_encounter(&token).await;
    let upload = server.create_upload(&token, &encounter).await;
    let mut offset = 0;
    for i in 0..300u32 {
        assert_eq!(
            server
                .patch(&token, &upload, offset, i.to_be_bytes().to_vec())
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
        offset += 4;
    }
    let checkpoint = loop {
        if let Some(cp) = latest(&server, &key).await.filter(|cp| cp.size == 300) {
            break cp;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let get = |path: String| {
        let request = server.request(Method::GET, &path, None);
        async move { request.send().await.expect("send") }
    };
    let full = get("/log/tile/0/000".to_owned()).await;
    assert_eq!(full.status(), StatusCode::OK);
    assert!(
        full.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("immutable")
    );
    let mut leaf_hashes: Vec<u8> = full.bytes().await.expect("bytes").to_vec();
    leaf_hashes.extend(
        get("/log/tile/0/001.p/44".to_owned())
            .await
            .bytes()
            .await
            .expect("bytes"),
    );
    assert_eq!(leaf_hashes.len(), 300 * 32);
    let mut frontier = Frontier::empty();
    for hash in leaf_hashes.chunks(32) {
        frontier.append(Hash(hash.try_into().expect("32 bytes")));
    }
    assert_eq!(
        frontier.root(),
        checkpoint.root,
        "level-0 tiles hash to the checkpoint's root"
    );

    // Entry bundles: 2-byte big-endian length, then the 121-byte leaf; their hashes are the tile's.
    let entries = get("/log/tile/entries/001.p/44".to_owned())
        .await
        .bytes()
        .await
        .expect("bytes");
    let mut rest = &entries[..];
    let mut count = 0;
    while !rest.is_empty() {
        let length = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let leaf = amparo_core::leaf::EvidenceLeaf::decode(&rest[2..2 + length]).expect("a leaf");
        assert_eq!(
            leaf.leaf_hash().0[..],
            leaf_hashes[(256 + count) * 32..(257 + count) * 32]
        );
        rest = &rest[2 + length..];
        count += 1;
    }
    assert_eq!(count, 44);
    problem(get("/log/tile/0/002".to_owned()).await, 404).await;
    problem(get("/log/tile/0/001.p/45".to_owned()).await, 404).await;
    problem(get("/log/tile/0/1".to_owned()).await, 404).await;
    assert_eq!(
        get("/log/tile/entries/001.p/10".to_owned()).await.status(),
        StatusCode::OK,
        "an older partial tile is a prefix"
    );
}
