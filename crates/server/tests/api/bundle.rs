use crate::harness::{TestServer, problem};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn exported_bundles_verify_and_record_their_custody() {
    let server = TestServer::start().await;
    let (token, _) = server.member().await;
    let encounter = server.start_encounter(&token).await;
    let upload = server.create_upload(&token, &encounter).await;
    let mut offset = 0;
    let mut media = Vec::new();
    for i in 0..20u32 {
        let chunk: Vec<u8> = (0..5_000u32).map(|b| (b.wrapping_mul(31) ^ i) as u8).collect();
        assert_eq!(
            server.patch(&token, &upload, offset, chunk.clone()).await.status(),
            StatusCode::NO_CONTENT
        );
        offset += chunk.len() as u64;
        media.extend(chunk);
    }
    let ended = server
        .request(
            Method::POST,
            &format!("/api/v1/encounters/{encounter}/end"),
            Some(&token),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(ended.status(), StatusCode::OK);

    let response = server
        .request(
            Method::GET,
            &format!("/api/v1/encounters/{encounter}/bundle"),
            Some(&token),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bundle = response.bytes().await.expect("bundle bytes");
    let path = server.dir.path().join("bundle.zip");
    std::fs::write(&path, &bundle).expect("write bundle");
    let report = amparo_verify::verify_bundle(&path);
    assert!(report.is_valid(), "{report}");

    // The media in the bundle is byte for byte what was sent.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bundle.to_vec())).expect("zip");
    let name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.starts_with("media/"))
        .expect("a media file")
        .into_owned();
    let mut stored = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name(&name).expect("media"), &mut stored).expect("read");
    assert_eq!(stored, media);
    let mut custody = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("custody.json").expect("custody"), &mut custody).expect("read");
    assert!(
        custody.contains("export bundle") && custody.contains("owner"),
        "{custody}"
    );

    // A stranger may not export it.
    let (stranger, _) = server.member().await;
    problem(
        server
            .request(
                Method::GET,
                &format!("/api/v1/encounters/{encounter}/bundle"),
                Some(&stranger),
            )
            .send()
            .await
            .expect("send"),
        403,
    )
    .await;
}
