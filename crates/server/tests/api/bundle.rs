use crate::harness::{TestServer, bundle_media, problem};
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
    server.end_encounter(&token, &encounter).await;

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
    assert_eq!(bundle_media(&mut archive), media);
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

#[tokio::test]
async fn assigned_attorneys_and_admins_may_export_and_are_in_the_custody_log() {
    use amparo_core::roles::Role;
    let server = TestServer::start().await;
    let (owner, _) = server.member().await;
    let encounter = server.start_encounter(&owner).await;
    let upload = server.create_upload(&owner, &encounter).await;
    assert_eq!(
        server.patch(&owner, &upload, 0, vec![5; 2_000]).await.status(),
        StatusCode::NO_CONTENT
    );

    let (admin, admin_id) = server.member().await;
    server
        .store
        .grant_role(admin_id.parse().expect("id"), Role::Admin)
        .await
        .expect("grant admin");
    let (attorney, attorney_id) = server.member().await;
    let (other_attorney, other_id) = server.member().await;
    for id in [&attorney_id, &other_id] {
        server
            .store
            .grant_role(id.parse().expect("id"), Role::Attorney)
            .await
            .expect("grant attorney");
    }
    let path = format!("/api/v1/encounters/{encounter}");
    // Not assigned yet: refused.
    problem(
        server
            .request(Method::GET, &format!("{path}/bundle"), Some(&attorney))
            .send()
            .await
            .expect("send"),
        403,
    )
    .await;
    // Only an admin assigns, and only attorneys can be assigned.
    let assign = |token: &str, id: &str| {
        server
            .request(Method::POST, &format!("{path}/attorneys"), Some(token))
            .json(&serde_json::json!({"attorney_id": id}))
    };
    problem(assign(&owner, &attorney_id).send().await.expect("send"), 403).await;
    let (_, plain_member) = server.member().await;
    assert_eq!(
        problem(assign(&admin, &plain_member).send().await.expect("send"), 400).await["field"],
        "attorney_id"
    );
    assert_eq!(
        assign(&admin, &attorney_id).send().await.expect("send").status(),
        StatusCode::NO_CONTENT
    );

    assert_eq!(
        server
            .request(Method::GET, &path, Some(&attorney))
            .send()
            .await
            .expect("send")
            .status(),
        StatusCode::OK
    );
    let by_attorney = server
        .request(Method::GET, &format!("{path}/bundle"), Some(&attorney))
        .send()
        .await
        .expect("send");
    assert_eq!(by_attorney.status(), StatusCode::OK);
    problem(
        server
            .request(Method::GET, &format!("{path}/bundle"), Some(&other_attorney))
            .send()
            .await
            .expect("send"),
        403,
    )
    .await;
    let by_admin = server
        .request(Method::GET, &format!("{path}/bundle"), Some(&admin))
        .send()
        .await
        .expect("send");
    assert_eq!(by_admin.status(), StatusCode::OK);

    let bundle = by_admin.bytes().await.expect("bytes");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bundle.to_vec())).expect("zip");
    let mut custody = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("custody.json").expect("custody"), &mut custody).expect("read");
    let entries: Vec<serde_json::Value> = serde_json::from_str(&custody).expect("custody json");
    let seen: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["account"].as_str().unwrap_or_default().to_owned(),
                e["role"].as_str().unwrap_or_default().to_owned(),
                e["action"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (attorney_id.clone(), "attorney".to_owned(), "view encounter".to_owned()),
            (attorney_id, "attorney".to_owned(), "export bundle".to_owned()),
            (admin_id, "admin".to_owned(), "export bundle".to_owned()),
        ],
        "every read by someone other than the owner, in order, including the export that made this bundle"
    );
}
