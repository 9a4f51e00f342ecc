//! The binary's own commands, as an operator or a court runs them.

mod common;

use common::Amparo;
use reqwest::{Method, StatusCode};
use std::process::Command;

fn amparo(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_amparo"))
        .args(args)
        .output()
        .expect("amparo runs")
}

#[test]
fn config_prints_the_documented_defaults() {
    let output = amparo(&["config"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        text.contains("listen = \"127.0.0.1:8080\"") && text.contains("data_dir = \"./amparo-data\""),
        "{text}"
    );
}

#[tokio::test]
async fn verify_passes_an_exported_bundle_and_names_a_tampered_chunk() {
    use base64::Engine;
    let data = tempfile::tempdir().expect("data dir");
    let server = Amparo::spawn(data.path());
    let token = server.member().await;
    let encounter = server.encounter(&token).await;
    let metadata = format!(
        "encounter_id {}",
        base64::engine::general_purpose::STANDARD.encode(&encounter)
    );
    let created = server
        .request(Method::POST, "/api/v1/uploads", &token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Defer-Length", "1")
        .header("Upload-Metadata", metadata)
        .send()
        .await
        .expect("create");
    let upload = created.headers()["location"].to_str().expect("location").to_owned();
    // Three chunks of distinct, recognisable bytes.
    let chunks: Vec<Vec<u8>> = (0..3u8)
        .map(|i| (0..4_000u32).map(|b| (b % 200) as u8 ^ (0x40 + i)).collect())
        .collect();
    let mut offset = 0;
    for chunk in &chunks {
        let response = server
            .request(Method::PATCH, &upload, &token)
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(chunk.clone())
            .send()
            .await
            .expect("patch");
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        offset += chunk.len();
    }
    let out = tempfile::tempdir().expect("out");
    let bundle = out.path().join("bundle.zip");
    let (valid, report) = server.export_and_verify(&token, &encounter, &bundle).await;
    assert!(valid, "{report}");
    let bundle_arg = bundle.to_str().expect("utf-8 path");

    // The key as the organization publishes it is trusted; another is not.
    let key = server
        .client
        .get(server.url("/log/key"))
        .send()
        .await
        .expect("key")
        .text()
        .await
        .expect("text");
    assert!(
        amparo(&["verify", "--trusted-key", key.trim(), bundle_arg])
            .status
            .success()
    );
    let key_file = out.path().join("published.key");
    std::fs::write(&key_file, &key).expect("write key");
    assert!(
        amparo(&["verify", "--trusted-key", key_file.to_str().expect("path"), bundle_arg])
            .status
            .success()
    );
    let stranger = amparo_core::keys::LogKey::generate("amparo.localhost/log")
        .expect("key")
        .verifier_key();
    assert_eq!(
        amparo(&["verify", "--trusted-key", &stranger, bundle_arg])
            .status
            .code(),
        Some(1)
    );

    // Entries are stored uncompressed, so the second chunk's bytes sit in the file as sent:
    // flip one of them and the verifier must name that chunk.
    let mut bytes = std::fs::read(&bundle).expect("read bundle");
    let at = bytes
        .windows(64)
        .position(|w| w == &chunks[1][..64])
        .expect("the second chunk is in the zip")
        + 10;
    bytes[at] ^= 0x01;
    let tampered = out.path().join("tampered.zip");
    std::fs::write(&tampered, &bytes).expect("write");
    let output = amparo(&["verify", tampered.to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(1), "a tampered bundle fails");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("NOT VALID") && text.contains("offset 4000"),
        "the report names the chunk: {text}"
    );
}
