//! `amparo serve` with its media on S3 (s3s-fs, which checks every signature), configured the way
//! an operator does it: `AMPARO_BLOB_URL` and `AMPARO_S3__*`. And a `blob_url` it does not know,
//! refused at start.

mod common;
#[allow(dead_code)]
#[path = "../../server/tests/support/s3fs.rs"]
mod s3fs;

use common::{Amparo, bundle_media};
use s3fs::S3Fs;
use std::process::Command;

#[tokio::test]
async fn the_binary_keeps_media_on_s3_and_the_bundle_verifies() {
    let s3 = S3Fs::start();
    let s3_settings = s3.settings();
    let data = tempfile::tempdir().expect("data dir");
    let url = s3.blob_url("node-a");
    let server = Amparo::spawn_with(
        data.path(),
        &[
            ("AMPARO_BLOB_URL", url.as_str()),
            ("AMPARO_S3__ENDPOINT", s3_settings.endpoint.as_str()),
            ("AMPARO_S3__REGION", "us-east-1"),
            ("AMPARO_S3__ACCESS_KEY_ID", s3_settings.access_key_id.as_str()),
            ("AMPARO_S3__SECRET_ACCESS_KEY", s3_settings.secret_access_key.expose()),
            ("AMPARO_S3__ALLOW_HTTP", "true"),
        ],
    );
    let token = server.member().await;
    let encounter = server.encounter(&token).await;
    let upload = server.create_upload(&token, &encounter).await;
    let mut media = Vec::new();
    for i in 0..3u8 {
        let chunk: Vec<u8> = (0..6_000u32).map(|b| (b % 251) as u8 ^ i).collect();
        server.send_chunk(&token, &upload, media.len(), chunk.clone()).await;
        media.extend(chunk);
    }
    assert_eq!(s3.stored_keys("node-a").len(), 3, "one object per chunk, in the bucket");
    assert!(!data.path().join("media").exists(), "nothing on the node's own disk");

    let out = tempfile::tempdir().expect("out");
    let bundle = out.path().join("bundle.zip");
    let (valid, report) = server.export_and_verify(&token, &encounter, &bundle).await;
    assert!(valid, "{report}");
    assert_eq!(bundle_media(&bundle), media);
}

#[test]
fn an_unknown_blob_url_is_refused_at_start() {
    let data = tempfile::tempdir().expect("data dir");
    let output = Command::new(env!("CARGO_BIN_EXE_amparo"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--blob-url",
            "ftp://user:hunter2@host/x",
            "--data-dir",
        ])
        .arg(data.path())
        .output()
        .expect("amparo runs");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("s3://bucket/prefix") && !said.contains("hunter2"),
        "{said}"
    );
}
