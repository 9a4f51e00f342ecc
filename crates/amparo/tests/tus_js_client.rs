//! A real third-party tus client (tus-js-client, from npm) uploads to the real binary, once with
//! a known length and once deferred, through a proxy that cuts the connection mid-upload.

mod common;

use amparo_core::receipt::Receipt;
use common::Amparo;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn client_dir() -> PathBuf {
    common::npm_dir("tus-client")
}

fn ensure_node_modules() {
    common::ensure_npm_packages(&client_dir(), "tus-js-client");
}

/// Forwards loopback TCP to `upstream`, and once, after `cut_after` bytes from the client, drops
/// the connection in the middle of whatever request it was carrying.
async fn cutting_proxy(upstream: String, cut_after: u64) -> (String, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let sent = Arc::new(AtomicU64::new(0));
    let cut = Arc::new(AtomicBool::new(false));
    let cut_flag = cut.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let mut server = TcpStream::connect(&upstream).await.expect("upstream");
            let (sent, cut) = (sent.clone(), cut.clone());
            tokio::spawn(async move {
                let (mut client_read, mut client_write) = client.split();
                let (mut server_read, mut server_write) = server.split();
                let upward = async {
                    let mut buffer = vec![0u8; 16 * 1024];
                    loop {
                        let n = client_read.read(&mut buffer).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        let total = sent.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
                        if total > cut_after && !cut.swap(true, Ordering::SeqCst) {
                            // Forward part of this read, then vanish, like a phone losing signal.
                            let _ = server_write.write_all(&buffer[..n / 2]).await;
                            return;
                        }
                        if server_write.write_all(&buffer[..n]).await.is_err() {
                            return;
                        }
                    }
                };
                let downward = async {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                };
                tokio::select! { () = upward => {}, () = downward => {} }
            });
        }
    });
    (address, cut_flag)
}

async fn upload_with_tus_js(amparo: &Amparo, mode: &str, size: usize) {
    ensure_node_modules();
    let dir = tempfile::tempdir().expect("temp dir");
    let token = amparo.member().await;
    let encounter = amparo.encounter(&token).await;
    let media: Vec<u8> = (0..size).map(|i| (i * 7 % 253) as u8).collect();
    let file = dir.path().join("recording.webm");
    std::fs::write(&file, &media).expect("write media");

    let upstream = amparo.base.trim_start_matches("http://").to_owned();
    let (proxy, was_cut) = cutting_proxy(upstream, (size / 2) as u64).await;
    let output = tokio::process::Command::new("node")
        .arg(client_dir().join("upload.mjs"))
        .args([format!("{proxy}/api/v1/uploads"), token.clone(), encounter.clone()])
        .arg(&file)
        .args(["65536", mode])
        .output()
        .await
        .expect("node runs");
    assert!(
        output.status.success(),
        "tus-js-client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        was_cut.load(Ordering::SeqCst),
        "the proxy cut the connection mid-upload"
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).expect("client printed JSON");
    assert!(
        result["retries"].as_u64().unwrap_or(0) >= 1,
        "the client had to resume: {result}"
    );

    // Every receipt the client saw is signed by the log's key.
    let key = amparo.verifier_key().await;
    let receipts = result["receipts"].as_array().expect("receipts");
    assert!(
        receipts.len() >= size / 65536,
        "a receipt per chunk: {}",
        receipts.len()
    );
    for receipt in receipts {
        Receipt::from_header(receipt.as_str().expect("text"))
            .expect("parses")
            .verify(&key)
            .expect("signed by the log");
    }
    // What the server holds is exactly the file, and the bundle verifies.
    let bundle = dir.path().join("bundle.zip");
    let (valid, report) = amparo.export_and_verify(&token, &encounter, &bundle).await;
    assert!(valid, "{report}");
    assert_eq!(
        common::bundle_media(&bundle),
        media,
        "no gap, no duplicate, byte for byte"
    );
}

#[tokio::test]
async fn tus_js_client_uploads_and_resumes_after_a_cut_with_known_length() {
    let data = tempfile::tempdir().expect("data dir");
    let amparo = Amparo::spawn(data.path());
    upload_with_tus_js(&amparo, "known", 1_000_000).await;
}

#[tokio::test]
async fn tus_js_client_uploads_and_resumes_after_a_cut_with_deferred_length() {
    let data = tempfile::tempdir().expect("data dir");
    let amparo = Amparo::spawn(data.path());
    upload_with_tus_js(&amparo, "deferred", 700_000).await;
}
