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
    let data = tempfile::tempdir().expect("data dir");
    let server = Amparo::spawn(data.path());
    let token = server.member().await;
    let encounter = server.encounter(&token).await;
    let upload = server.create_upload(&token, &encounter).await;
    // Three chunks of distinct, recognisable bytes.
    let chunks: Vec<Vec<u8>> = (0..3u8)
        .map(|i| (0..4_000u32).map(|b| (b % 200) as u8 ^ (0x40 + i)).collect())
        .collect();
    let mut offset = 0;
    for chunk in &chunks {
        server.send_chunk(&token, &upload, offset, chunk.clone()).await;
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

/// `amparo admin` for plans: create an organization, name its admin, set its plan and a
/// household's period, on the store a running server shares; bad values refused with a message.
#[tokio::test]
async fn operators_create_organizations_and_set_plans() {
    let data = tempfile::tempdir().expect("data dir");
    let dir = data.path().to_str().expect("utf-8 path");
    let admin = |args: &[&str]| {
        let mut all = vec!["admin", "--data-dir", dir];
        all.extend_from_slice(args);
        let output = amparo(&all);
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        (output.status.success(), text(&output.stdout), text(&output.stderr))
    };
    let (ok, out, err) = admin(&[
        "create-org",
        "Legal Aid of the Valley",
        "--seats",
        "3",
        "--seat-covers-household",
        "--backup-line",
        "+1 555 010 0100",
        "--ends",
        "2099-01-01T00:00:00Z",
        "--grace-days",
        "7",
    ]);
    assert!(ok, "{out}{err}");
    let org = out
        .strip_prefix("organization ")
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the id is printed")
        .to_owned();
    for (bad, says) in [
        (vec!["create-org", " ", "--seats", "3"], "name"),
        (
            vec!["create-org", "Org", "--seats", "3", "--backup-line", "call Ana"],
            "backup line",
        ),
        (
            vec!["create-org", "Org", "--seats", "3", "--ends", "1999-01-01T00:00:00Z"],
            "ends_at",
        ),
        (
            vec!["set-org-plan", "not-a-uuid", "--seats", "1"],
            "not an organization id",
        ),
    ] {
        let (ok, _, err) = admin(&bad);
        assert!(!ok && err.contains(says), "{bad:?}: {err}");
    }

    let server = Amparo::spawn(data.path());
    let token = server.member().await;
    let me: serde_json::Value = server
        .request(Method::GET, "/api/v1/accounts/me", &token)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    let username = me["username"].as_str().expect("username");
    let mine = |token: String| {
        let request = server.request(Method::GET, "/api/v1/organizations/mine", &token);
        async move {
            request
                .send()
                .await
                .expect("mine")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    assert_eq!(mine(token.clone()).await, serde_json::json!([]));
    let (ok, out, err) = admin(&["add-org-admin", &org, username]);
    assert!(ok && out.contains(username), "{out}{err}");
    let (ok, _, err) = admin(&["add-org-admin", &org, "nobody_by_that_name"]);
    assert!(!ok && err.contains("no account named"), "{err}");
    let listed = mine(token.clone()).await;
    assert_eq!(listed[0]["id"], org.as_str());
    assert_eq!(listed[0]["seats"]["total"], 3);
    assert_eq!(listed[0]["policy"]["seat_covers_household"], true);
    assert_eq!(listed[0]["period"]["ends_at"], "2099-01-01T00:00:00Z");

    let (ok, out, err) = admin(&["set-org-plan", &org, "--seats", "1", "--starts", "2025-01-01T00:00:00Z"]);
    assert!(ok, "{out}{err}");
    let listed = mine(token.clone()).await;
    assert_eq!(
        (&listed[0]["seats"]["total"], &listed[0]["period"]["ends_at"]),
        (&1.into(), &serde_json::Value::Null)
    );

    let created = server
        .request(Method::POST, "/api/v1/households", &token)
        .send()
        .await
        .expect("household");
    assert_eq!(created.status(), StatusCode::CREATED);
    let (ok, out, err) = admin(&[
        "set-household-period",
        username,
        "--starts",
        "2025-01-01T00:00:00Z",
        "--ends",
        "2030-01-01T00:00:00Z",
        "--grace-days",
        "3",
    ]);
    assert!(ok, "{out}{err}");
    let household: serde_json::Value = server
        .request(Method::GET, "/api/v1/households/current", &token)
        .send()
        .await
        .expect("current")
        .json()
        .await
        .expect("json");
    assert_eq!(household["period"]["grace_days"], 3);
    assert_eq!(household["period"]["ends_at"], "2030-01-01T00:00:00Z");
    let (ok, _, err) = admin(&["set-household-period", "nobody_by_that_name"]);
    assert!(!ok && err.contains("neither a household id nor a username"), "{err}");
}

#[test]
fn serve_refuses_to_start_alone_when_its_bus_does_not_answer() {
    // A port nothing listens on: bound, then closed again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let data = tempfile::tempdir().expect("data dir");
    let bus = format!("nats://127.0.0.1:{port}");
    let data_dir = data.path().to_str().expect("utf-8 path");
    let output = amparo(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data_dir,
        "--bus-url",
        &bus,
    ]);
    assert!(
        !output.status.success(),
        "a node that cannot reach the others does not serve"
    );
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("bus_url") && said.contains("NATS"), "{said}");
}
