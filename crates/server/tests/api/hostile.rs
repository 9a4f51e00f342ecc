//! Input nobody should send: the server answers with a problem, keeps running, and keeps what it
//! acknowledged.

use crate::harness::TestServer;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn garbage_never_panics_the_server_or_changes_acknowledged_data() {
    let server = TestServer::start_unthrottled().await;
    let (token, _) = server.member().await;
    let encounter = server.start_encounter(&token).await;
    let upload = server.create_upload(&token, &encounter).await;
    assert_eq!(
        server.patch(&token, &upload, 0, vec![1; 500]).await.status(),
        StatusCode::NO_CONTENT
    );

    let nasty_values = [
        "-1",
        "18446744073709551616",
        "1e3",
        " 1",
        "0x10",
        "\u{7f}",
        "😀",
        "",
        "sha256",
        "sha256 ",
        "sha256 ====",
        "encounter_id",
        "a b c",
        ",,,",
        "encounter_id =",
        "v=1, index=",
    ];
    let headers = [
        "upload-offset",
        "upload-length",
        "upload-defer-length",
        "upload-checksum",
        "upload-metadata",
        "tus-resumable",
    ];
    for header in headers {
        for value in nasty_values {
            let Ok(value) = reqwest::header::HeaderValue::from_bytes(value.as_bytes()) else {
                continue;
            };
            for (method, path) in [
                (Method::PATCH, upload.as_str()),
                (Method::POST, "/api/v1/uploads"),
                (Method::HEAD, upload.as_str()),
            ] {
                let response = server
                    .request(method.clone(), path, Some(&token))
                    .header("Tus-Resumable", "1.0.0")
                    .header("Content-Type", "application/offset+octet-stream")
                    .header(header, value.clone())
                    .body(vec![2u8; 10])
                    .send()
                    .await
                    .expect("the server still answers");
                assert!(
                    !response.status().is_server_error(),
                    "{method} {header}: {value:?} -> {}",
                    response.status()
                );
            }
        }
    }
    for body in [
        &b"\xff\xfe"[..],
        b"[]",
        b"null",
        b"{\"location\": {\"latitude\": \"NaN\", \"longitude\": 1e400}}",
        b"{\"note\": 5}",
    ] {
        let response = server
            .request(Method::POST, "/api/v1/encounters", Some(&token))
            .header("Content-Type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .expect("send");
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    for path in [
        "/log/tile/../../etc/passwd",
        "/log/tile/0/x999/x999/x999/x999/x999/x999/x999",
        "/log/proof/inclusion?index=-1&size=x",
        "/api/v1/uploads/%00",
        "/api/v1/encounters/🙂/bundle",
    ] {
        let response = server
            .request(Method::GET, path, Some(&token))
            .send()
            .await
            .expect("send");
        assert!(response.status().is_client_error(), "{path} -> {}", response.status());
    }
    let head = server
        .request(Method::HEAD, &upload, Some(&token))
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.headers()["upload-offset"],
        "500",
        "what was acknowledged is untouched"
    );
}
