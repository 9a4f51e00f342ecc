//! Media on a real S3 server (s3s-fs, which checks every signature): the upload path end to end,
//! chunks that a racing node cannot overwrite, older keys still read.

use crate::postgres;
#[path = "../support/s3fs.rs"]
pub(crate) mod s3fs;

use crate::harness::{TestServer, bundle_media, test_services};
use amparo_core::ids::RecordingId;
use amparo_server::blobs::{put_chunk, read_chunk};
use amparo_server::limits::Limits;
use amparo_store::{Chunk, Store, chunk_blob_key, legacy_chunk_blob_key};
use object_store::{ObjectStoreExt, PutPayload};
use reqwest::{Method, StatusCode};
use s3fs::S3Fs;
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

pub(crate) fn noise(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|b| (b.wrapping_mul(2_654_435_761) ^ seed) as u8)
        .collect()
}

/// A server over SQLite whose media is on `s3` under `prefix`.
pub(crate) async fn server_on(s3: &S3Fs, prefix: &str) -> TestServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(
        amparo_store_sqlite::SqliteStore::open(&dir.path().join("amparo.db"))
            .await
            .expect("sqlite store"),
    );
    server_over(store, s3, prefix, dir).await
}

async fn server_over(store: Arc<dyn Store>, s3: &S3Fs, prefix: &str, dir: tempfile::TempDir) -> TestServer {
    let limits = Limits {
        account_requests_per_second: 100_000,
        account_burst: 100_000,
        ..Limits::default()
    };
    TestServer::start_on(store, s3.open(prefix), dir, limits, test_services()).await
}

pub(crate) fn recording_of(upload: &str) -> RecordingId {
    upload
        .rsplit('/')
        .next()
        .expect("an id")
        .parse()
        .expect("a recording id")
}

/// One answer of the recording's media from byte `from`, as a follower reads it.
pub(crate) async fn media_from(
    server: &TestServer,
    token: &str,
    encounter: &str,
    recording: RecordingId,
    from: usize,
) -> bytes::Bytes {
    let path = format!("/api/v1/encounters/{encounter}/recordings/{recording}/media?from={from}");
    let response = server
        .request(Method::GET, &path, Some(token))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.expect("media")
}

pub(crate) async fn bundle_verifies(server: &TestServer, token: &str, encounter: &str) -> Vec<u8> {
    let response = server
        .request(
            Method::GET,
            &format!("/api/v1/encounters/{encounter}/bundle"),
            Some(token),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let bundle = response.bytes().await.expect("bundle bytes");
    let path = server.dir.path().join("bundle.zip");
    std::fs::write(&path, &bundle).expect("write bundle");
    let report = amparo_verify::verify_bundle(&path);
    assert!(report.is_valid(), "{report}");
    bundle.to_vec()
}

#[tokio::test]
async fn uploads_stream_and_export_from_s3() {
    let s3 = S3Fs::start();
    let server = server_on(&s3, "city-a").await;
    let (token, _) = server.member().await;
    let encounter = server.start_encounter(&token).await;
    let upload = server.create_upload(&token, &encounter).await;
    let recording = recording_of(&upload);
    let mut media = Vec::new();
    let mut expected_keys = Vec::new();
    for i in 0..8u32 {
        let chunk = noise(40_000 + i as usize * 1_000, i);
        let offset = media.len() as u64;
        let response = server.patch(&token, &upload, offset, chunk.clone()).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert!(response.headers().contains_key("amparo-receipt"));
        expected_keys.push(chunk_blob_key(recording, offset, &sha256(&chunk)));
        media.extend(chunk);
    }
    // Each chunk is one object in the bucket, under the prefix, named by its SHA-256.
    expected_keys.sort();
    assert_eq!(s3.stored_keys("city-a"), expected_keys);

    // Following: the bytes as they arrived, read back from S3, from an offset too.
    for from in [0, 100_000] {
        let followed = media_from(&server, &token, &encounter, recording, from).await;
        assert_eq!(followed.to_vec(), media[from..]);
    }

    server.end_encounter(&token, &encounter).await;
    let bundle = bundle_verifies(&server, &token, &encounter).await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bundle)).expect("zip");
    assert_eq!(bundle_media(&mut archive), media);
}

#[tokio::test]
async fn a_losing_put_never_replaces_committed_bytes_and_old_keys_still_read() {
    let s3 = S3Fs::start();
    let blobs = s3.open("race");
    let recording = RecordingId::new();
    let (winner, loser) = (noise(10_000, 1), noise(10_000, 2));
    let row = |bytes: &[u8]| Chunk {
        recording,
        offset: 0,
        length: bytes.len() as u64,
        sha256: sha256(bytes),
        chain: [0; 32],
        received_at_us: 0,
        leaf_index: 0,
    };
    // The winner's bytes are committed (their row names their SHA-256); the loser's PUT for the
    // same offset lands afterwards, as it can when S3 ignores If-None-Match.
    put_chunk(&blobs, recording, 0, &sha256(&winner), winner.clone().into())
        .await
        .expect("winner's put");
    put_chunk(&blobs, recording, 0, &sha256(&loser), loser.clone().into())
        .await
        .expect("loser's put");
    let read = read_chunk(blobs.as_ref(), &row(&winner)).await.expect("read");
    // Compared by hash: a failure prints two lines, not 20,000 bytes.
    assert_eq!(
        sha256(&read),
        sha256(&winner),
        "the committed bytes must still be the committed bytes"
    );

    // A deployment's chunks written under the key without the hash are still read.
    let old = RecordingId::new();
    let bytes = noise(5_000, 3);
    blobs
        .put(&legacy_chunk_blob_key(old, 0).into(), PutPayload::from(bytes.clone()))
        .await
        .expect("an old put");
    let read = read_chunk(
        blobs.as_ref(),
        &Chunk {
            recording: old,
            ..row(&bytes)
        },
    )
    .await
    .expect("read");
    assert_eq!(sha256(&read), sha256(&bytes));
}

/// Two nodes over one PostgreSQL database and one bucket, as a deployment of several runs.
#[tokio::test]
async fn two_nodes_racing_on_one_offset_serve_only_the_committed_bytes() {
    postgres::with_fresh_database(|url| async move {
        let store: Arc<dyn Store> = Arc::new(
            amparo_store_postgres::PostgresStore::connect(&url)
                .await
                .expect("postgres store"),
        );
        let s3 = S3Fs::start();
        let a = server_over(store, &s3, "two-nodes", tempfile::tempdir().expect("temp dir")).await;
        race(a).await;
    })
    .await;
}

async fn race(a: TestServer) {
    let b = a.second_node().await;
    let (token, _) = a.member().await;
    let encounter = a.start_encounter(&token).await;
    let mut committed = 0;
    for round in 0..12u32 {
        let upload = a.create_upload(&token, &encounter).await;
        let recording = recording_of(&upload);
        let (from_a, from_b) = (noise(30_000, round * 2), noise(30_000, round * 2 + 1));
        let (sent_a, sent_b) = tokio::join!(
            a.patch(&token, &upload, 0, from_a.clone()),
            b.patch(&token, &upload, 0, from_b.clone())
        );
        let accepted = [sent_a.status(), sent_b.status()]
            .iter()
            .filter(|s| s.is_success())
            .count();
        assert!(accepted <= 1, "round {round}: both nodes acknowledged offset 0");
        let rows = a.store.chunks_of(recording).await.expect("chunks");
        assert!(rows.len() <= 1, "round {round}: {rows:?}");
        let Some(row) = rows.first() else { continue };
        committed += 1;
        assert!(row.sha256 == sha256(&from_a) || row.sha256 == sha256(&from_b));
        // Whichever node serves it, the bytes are the ones the log committed to.
        for node in [&a, &b] {
            let media = node
                .request(
                    Method::GET,
                    &format!("/api/v1/encounters/{encounter}/recordings/{recording}/media?from=0"),
                    Some(&token),
                )
                .send()
                .await
                .expect("send");
            assert_eq!(media.status(), StatusCode::OK);
            assert_eq!(
                sha256(&media.bytes().await.expect("media")),
                row.sha256,
                "round {round}"
            );
        }
    }
    assert!(committed > 0, "no round committed a chunk: the race was never decided");
    b.end_encounter(&token, &encounter).await;
    bundle_verifies(&b, &token, &encounter).await;
}
