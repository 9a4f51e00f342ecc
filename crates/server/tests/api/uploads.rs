use crate::harness::{TestServer, problem};
use amparo_core::keys::PublicKey;
use amparo_core::receipt::Receipt;
use base64::Engine;
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

fn receipt_of(response: &reqwest::Response) -> Receipt {
    let header = response
        .headers()
        .get("amparo-receipt")
        .expect("a receipt on every acknowledged chunk");
    Receipt::from_header(header.to_str().expect("ascii")).expect("receipt parses")
}

#[tokio::test]
async fn options_advertise_tus_and_its_extensions() {
    let server = TestServer::start().await;
    let response = server
        .request(Method::OPTIONS, "/api/v1/uploads", None)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.headers()["tus-version"], "1.0.0");
    assert_eq!(response.headers()["tus-resumable"], "1.0.0");
    assert_eq!(response.headers()["tus-checksum-algorithm"], "sha256");
    let extensions = response.headers()["tus-extension"].to_str().expect("ascii");
    for ext in [
        "creation",
        "creation-with-upload",
        "checksum",
        "termination",
        "expiration",
    ] {
        assert!(extensions.split(',').any(|e| e == ext), "{ext}");
    }
}

#[tokio::test]
async fn chunks_get_signed_receipts_and_resume_from_the_offset() {
    let server = TestServer::start().await;
    let (token, _) = server.member().await;
    let encounter = server.start_encounter(&token).await;
    let upload = server.create_upload(&token, &encounter).await;
    let key = PublicKey::from_verifier_key(&server.key_vkey).expect("key");

    let mut offset = 0u64;
    let mut last_index = None;
    for i in 0..5u8 {
        let chunk = vec![i; 1000 + usize::from(i)];
        let response = server.patch(&token, &upload, offset, chunk.clone()).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let receipt = receipt_of(&response);
        receipt.verify(&key).expect("receipt signed by the log key");
        assert!(last_index.is_none_or(|last| receipt.index > last), "indexes grow");
        last_index = Some(receipt.index);
        offset += chunk.len() as u64;
        assert_eq!(response.headers()["upload-offset"], offset.to_string().as_str());
        assert!(response.headers().contains_key("upload-expires"));
    }
    let head = server
        .request(Method::HEAD, &upload, Some(&token))
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["upload-offset"], offset.to_string().as_str());
    assert_eq!(head.headers()["upload-defer-length"], "1");
    assert_eq!(head.headers()["cache-control"], "no-store");

    // Finish by declaring the length with an empty PATCH, as tus clients do.
    let done = server
        .patch_with(
            &token,
            &upload,
            &[
                ("Upload-Offset", &offset.to_string()),
                ("Upload-Length", &offset.to_string()),
            ],
            Vec::new(),
        )
        .await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    // Past the declared length: 413, nothing changes.
    problem(server.patch(&token, &upload, offset, vec![1]).await, 413).await;
}

#[tokio::test]
async fn bad_chunks_change_nothing_that_was_acknowledged() {
    let limits = amparo_server::limits::Limits {
        max_chunk_bytes: 4096,
        ..Default::default()
    };
    let server = TestServer::start_with(limits).await;
    let (token, _) = server.member().await;
    let encounter = server.start_encounter(&token).await;
    let upload = server.create_upload(&token, &encounter).await;
    assert_eq!(
        server.patch(&token, &upload, 0, vec![7; 100]).await.status(),
        StatusCode::NO_CONTENT
    );

    // Wrong offset: 409.
    problem(server.patch(&token, &upload, 0, vec![8; 100]).await, 409).await;
    problem(server.patch(&token, &upload, 150, vec![8; 100]).await, 409).await;
    // Checksum mismatch: 460.
    let wrong = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"other bytes"));
    let mismatch = server
        .patch_with(
            &token,
            &upload,
            &[
                ("Upload-Offset", "100"),
                ("Upload-Checksum", &format!("sha256 {wrong}")),
            ],
            vec![9u8; 100],
        )
        .await;
    problem(mismatch, 460).await;
    // A right checksum is accepted.
    let right = base64::engine::general_purpose::STANDARD.encode(Sha256::digest([9u8; 100]));
    let matched = server
        .patch_with(
            &token,
            &upload,
            &[
                ("Upload-Offset", "100"),
                ("Upload-Checksum", &format!("sha256 {right}")),
            ],
            vec![9u8; 100],
        )
        .await;
    assert_eq!(matched.status(), StatusCode::NO_CONTENT);
    // Unsupported checksum algorithm: 400.
    let md5 = server
        .patch_with(
            &token,
            &upload,
            &[("Upload-Offset", "200"), ("Upload-Checksum", "md5 AAAA")],
            vec![1u8; 10],
        )
        .await;
    problem(md5, 400).await;
    // Oversized chunk: 413.
    problem(server.patch(&token, &upload, 200, vec![1; 5000]).await, 413).await;
    // Wrong content type: 415; wrong tus version: 412.
    let plain = server
        .request(Method::PATCH, &upload, Some(&token))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "200")
        .body(vec![1u8; 10])
        .send()
        .await
        .expect("send");
    problem(plain, 415).await;
    let old = server
        .request(Method::PATCH, &upload, Some(&token))
        .header("Tus-Resumable", "0.2.2")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "200")
        .body(vec![1u8; 10])
        .send()
        .await
        .expect("send");
    let body = problem(old, 412).await;
    assert_eq!(body["status"], 412);

    // Someone else's token: 403; no token: 401; unknown upload: 404.
    let (stranger, _) = server.member().await;
    problem(server.patch(&stranger, &upload, 200, vec![1; 10]).await, 403).await;
    let anonymous = server
        .request(Method::PATCH, &upload, None)
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "200")
        .body(vec![1u8; 10])
        .send()
        .await
        .expect("send");
    problem(anonymous, 401).await;
    problem(
        server
            .patch(
                &token,
                "/api/v1/uploads/0190c1d2-0000-7000-8000-000000000000",
                0,
                vec![1],
            )
            .await,
        404,
    )
    .await;

    // After all that, exactly the two acknowledged chunks are stored.
    let id = upload.rsplit('/').next().expect("id").parse().expect("recording id");
    let chunks = server.store.chunks_of(id).await.expect("chunks");
    assert_eq!(
        chunks.iter().map(|c| (c.offset, c.length)).collect::<Vec<_>>(),
        vec![(0, 100), (100, 100)]
    );

    // Termination: 204, then 410 for anything more; what was received stays.
    let deleted = server
        .request(Method::DELETE, &upload, Some(&token))
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("send");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    problem(server.patch(&token, &upload, 200, vec![1; 10]).await, 410).await;
    assert_eq!(server.store.chunks_of(id).await.expect("chunks").len(), 2);
}

#[tokio::test]
async fn expired_uploads_are_gone_but_keep_their_bytes() {
    let limits = amparo_server::limits::Limits {
        upload_expiry_secs: 1,
        ..Default::default()
    };
    let server = TestServer::start_with(limits).await;
    let (token, _) = server.member().await;
    let encounter = server.start_encounter(&token).await;
    let upload = server.create_upload(&token, &encounter).await;
    assert_eq!(
        server.patch(&token, &upload, 0, vec![1; 10]).await.status(),
        StatusCode::NO_CONTENT
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    problem(server.patch(&token, &upload, 10, vec![1; 10]).await, 410).await;
    let id = upload.rsplit('/').next().expect("id").parse().expect("recording id");
    assert_eq!(server.store.chunks_of(id).await.expect("chunks").len(), 1);
}

#[tokio::test]
async fn creation_with_upload_and_upload_metadata_rules() {
    let server = TestServer::start().await;
    let (token, _) = server.member().await;
    let encounter = server.start_encounter(&token).await;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let response = server
        .request(Method::POST, "/api/v1/uploads", Some(&token))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "6")
        .header("Upload-Metadata", format!("encounter_id {}", b64(&encounter)))
        .header("Content-Type", "application/offset+octet-stream")
        .body(b"abc".to_vec())
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["upload-offset"], "3");
    assert!(response.headers().contains_key("amparo-receipt"));

    for (metadata, status) in [
        ("", 400),
        ("encounter_id !!!", 400),
        (&format!("encounter_id {}", b64("not-an-id")) as &str, 400),
    ] {
        let response = server
            .request(Method::POST, "/api/v1/uploads", Some(&token))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Defer-Length", "1")
            .header("Upload-Metadata", metadata)
            .send()
            .await
            .expect("send");
        problem(response, status).await;
    }
    let (stranger, _) = server.member().await;
    let response = server
        .request(Method::POST, "/api/v1/uploads", Some(&stranger))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Defer-Length", "1")
        .header("Upload-Metadata", format!("encounter_id {}", b64(&encounter)))
        .send()
        .await
        .expect("send");
    problem(response, 403).await;
    let too_big = server
        .request(Method::POST, "/api/v1/uploads", Some(&token))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", u64::MAX.to_string())
        .header("Upload-Metadata", format!("encounter_id {}", b64(&encounter)))
        .send()
        .await
        .expect("send");
    problem(too_big, 413).await;
}

/// Two nodes take a chunk for the same offset at the same moment (each under its own upload lock,
/// so both pass the offset check): the log takes one, and the other person's uploader hears 409,
/// the tus offset conflict it resumes from, never a server error. Racing chunks that land in one
/// batch do not sink each other: exactly one of them is stored every time.
#[tokio::test]
async fn a_chunk_losing_a_race_between_nodes_gets_409() {
    let a = TestServer::start_unthrottled().await;
    let b = a.second_node().await;
    let (token, _) = a.member().await;
    let encounter = a.start_encounter(&token).await;
    let mut lost_in_the_log = 0;
    for round in 0..16u8 {
        let upload = a.create_upload(&token, &encounter).await;
        let (sent_a, sent_b) = tokio::join!(
            a.patch(&token, &upload, 0, vec![round; 20_000]),
            b.patch(&token, &upload, 0, vec![round ^ 0xff; 20_000])
        );
        let (winners, losers): (Vec<_>, Vec<_>) = [sent_a, sent_b].into_iter().partition(|r| r.status().is_success());
        assert_eq!(winners.len(), 1, "round {round}: exactly one chunk is stored");
        for loser in losers {
            let body = problem(loser, 409).await;
            let detail = body["detail"].as_str().unwrap_or_default().to_owned();
            if detail.starts_with("Another request stored a chunk") {
                lost_in_the_log += 1;
            }
        }
    }
    // Most rounds race past the offset check (the blob write takes a while): the log decides.
    assert!(
        lost_in_the_log > 0,
        "no round was decided by the log: the race never happened"
    );
}
