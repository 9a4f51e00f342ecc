//! `amparo migrate-store` with real parts: a single node on SQLite and local files makes real data
//! through the API, is stopped, and is copied into a throwaway PostgreSQL database and an S3 bucket
//! on s3s-fs; a node started on the copy with the same key files serves the same people and the
//! same log. Also: a run killed as it copies the rows and run again, the refusals (a node still
//! serving, a target holding other data), a second run over a finished copy, a chunk missing from
//! the bucket sent again and one damaged there found by the checks.

mod common;
#[allow(dead_code)]
#[path = "../../store-postgres/tests/common/mod.rs"]
mod postgres;
#[allow(dead_code)]
#[path = "../../server/tests/support/s3fs.rs"]
mod s3fs;

use common::{Amparo, bundle_media};
use object_store::ObjectStoreExt;
use reqwest::{Method, StatusCode};
use s3fs::S3Fs;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

const KEY_FILES: [&str; 3] = ["log.key", "messages.key", "push.key"];

#[tokio::test(flavor = "multi_thread")]
async fn a_single_node_moves_to_postgres_and_s3_and_its_evidence_still_verifies() {
    postgres::with_fresh_database(|database_url| async move {
        let s3 = S3Fs::start();
        let old_dir = tempfile::tempdir().expect("data dir");
        let node = Amparo::spawn(old_dir.path());
        let made = make_data(&node, old_dir.path()).await;
        let key = node.verifier_key().await;
        let checkpoint = wait_for_checkpoint(&node, &key, made.media.len() as u64 / CHUNK as u64).await;

        let refused = migrate_store(old_dir.path(), &database_url, &s3, "city");
        assert!(!refused.status.success(), "a node still serving is refused");
        assert!(said(&refused).contains("stop `amparo serve`"), "{}", said(&refused));

        node.kill_hard();
        let copied = migrate_store(old_dir.path(), &database_url, &s3, "city");
        assert!(copied.status.success(), "{}", said(&copied));
        let report = said(&copied);
        for file in KEY_FILES {
            assert!(report.contains(file), "the output names {file}:\n{report}");
        }
        assert!(report.contains("matches the copied tree"), "{report}");

        let new_dir = tempfile::tempdir().expect("new data dir");
        for file in KEY_FILES {
            std::fs::copy(old_dir.path().join(file), new_dir.path().join(file)).expect("carry the key file over");
        }
        let node = spawn_on_copy(new_dir.path(), &database_url, &s3, "city");
        assert!(!new_dir.path().join("amparo.db").exists() && !new_dir.path().join("media").exists());
        check_copy(&node, &made, &key, &checkpoint).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_holding_other_data_is_refused_and_a_finished_copy_is_checked_again() {
    postgres::with_fresh_database(|database_url| async move {
        let s3 = S3Fs::start();
        let (first, second) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
        for dir in [&first, &second] {
            let node = Amparo::spawn(dir.path());
            let token = node.member().await;
            let encounter = node.encounter(&token).await;
            let upload = node.create_upload(&token, &encounter).await;
            node.send_chunk(&token, &upload, 0, noise(3_000, 9)).await;
            node.kill_hard();
        }
        // Killed as it starts on the rows: the rows are one transaction, so the target holds all
        // or nothing of them, and the next run finishes the copy.
        kill_at_rows(first.path(), &database_url, &s3, "shared");
        let copied = migrate_store(first.path(), &database_url, &s3, "shared");
        assert!(copied.status.success(), "{}", said(&copied));

        let refused = migrate_store(second.path(), &database_url, &s3, "shared");
        assert!(!refused.status.success(), "another node's data into a used target");
        assert!(said(&refused).contains("already holds data"), "{}", said(&refused));

        let again = migrate_store(first.path(), &database_url, &s3, "shared");
        assert!(again.status.success(), "{}", said(&again));
        let report = said(&again);
        assert!(report.contains("copied by an earlier run"), "{report}");
        assert!(
            report.contains("0 sent"),
            "the media already there is not sent again:\n{report}"
        );

        // A chunk missing from the bucket is sent again; one damaged there (same size, other
        // bytes) is found by reading it back.
        let bucket = s3.open("shared");
        let chunk: object_store::path::Path = s3
            .stored_keys("shared")
            .into_iter()
            .find(|key| key.starts_with("recordings/"))
            .expect("a chunk in the bucket")
            .as_str()
            .into();
        bucket.delete(&chunk).await.expect("delete the chunk");
        let resent = migrate_store(first.path(), &database_url, &s3, "shared");
        assert!(resent.status.success(), "{}", said(&resent));
        assert!(said(&resent).contains("1 sent"), "{}", said(&resent));
        bucket
            .put(&chunk, noise(3_000, 10).into())
            .await
            .expect("overwrite the chunk");
        let damaged = migrate_store(first.path(), &database_url, &s3, "shared");
        assert!(!damaged.status.success(), "a damaged chunk fails the check");
        assert!(
            said(&damaged).contains("do not hash to the SHA-256 in the log"),
            "{}",
            said(&damaged)
        );

        let to_sqlite = migrate_store_to(first.path(), "sqlite:///tmp/x.db", &s3.blob_url("x"), &s3);
        assert!(!to_sqlite.status.success());
        assert!(
            said(&to_sqlite).contains("--database-url postgres://"),
            "{}",
            said(&to_sqlite)
        );
    })
    .await;
}

/// Bytes per chunk the test sends.
const CHUNK: usize = 7_000;

struct Made {
    username: String,
    token: String,
    encounter: String,
    upload: String,
    media: Vec<u8>,
    photo: String,
    photo_bytes: Vec<u8>,
    /// The organization's roster, as its admin (the member) reads it.
    roster_path: String,
    roster: Value,
}

/// An account with an encounter recorded in four chunks (upload left open), a household, an
/// emergency contact with a prepared message, a report with a photo, and an organization it
/// administers with a vetted attorney (lists, flags).
async fn make_data(node: &Amparo, data_dir: &Path) -> Made {
    let username = format!("m{}", rand::random::<u32>());
    node.sign_up(&username).await;
    let token = node.log_in(&username).await;
    let encounter = node.encounter(&token).await;
    let upload = node.create_upload(&token, &encounter).await;
    let mut media = Vec::new();
    for i in 0..4u32 {
        let chunk = noise(CHUNK, i);
        node.send_chunk(&token, &upload, media.len(), chunk.clone()).await;
        media.extend(chunk);
    }
    // An export writes the chain of custody (an identity column): after the copy, the next one
    // must not collide with it.
    let out = tempfile::tempdir().expect("out");
    let (valid, report) = node
        .export_and_verify(&token, &encounter, &out.path().join("before.zip"))
        .await;
    assert!(valid, "{report}");
    post(node, &token, "/api/v1/households", json!({})).await;
    post(
        node,
        &token,
        "/api/v1/contacts",
        json!({"name": "Lucía", "email": "lucia@example.org", "language": "es", "prepared_message": "Call Ana."}),
    )
    .await;
    let report = post(
        node,
        &token,
        "/api/v1/reports",
        json!({"kind": "checkpoint", "place": {"latitude": 41.85712, "longitude": -87.6563}, "description": "Checkpoint on Ashland"}),
    )
    .await;
    let report = report["id"].as_str().expect("report id");
    let sent = node
        .request(Method::POST, &format!("/api/v1/reports/{report}/photos"), &token)
        .header("Content-Type", "image/png")
        .body(png())
        .send()
        .await
        .expect("photo");
    assert_eq!(sent.status(), StatusCode::CREATED);
    let photo: Value = sent.json().await.expect("photo json");
    let photo = photo["url"].as_str().expect("photo url").to_owned();
    let photo_bytes = get_bytes(node, &token, &photo).await;

    let created = common::admin(
        data_dir,
        &["create-org", "Legal Aid", "--seats", "3", "--seat-covers-household"],
    );
    let org = created
        .split_whitespace()
        .nth(1)
        .expect("create-org prints the organization's id")
        .to_owned();
    common::admin(data_dir, &["add-org-admin", &org, &username]);
    let lawyer = format!("a{}", rand::random::<u32>());
    node.sign_up(&lawyer).await;
    common::admin(data_dir, &["grant-role", &lawyer, "attorney"]);
    let vet = json!({"display_name": "Ana Ruiz", "bar_admissions": ["CA", "TX"], "languages": ["es", "en"],
        "specialties": ["immigration"], "capacity": 2, "vetted": true});
    let vetted = node
        .request(
            Method::PUT,
            &format!("/api/v1/organizations/{org}/attorneys/{lawyer}"),
            &token,
        )
        .json(&vet)
        .send()
        .await
        .expect("vet");
    assert_eq!(vetted.status(), StatusCode::OK, "{:?}", vetted.text().await);
    let roster_path = format!("/api/v1/organizations/{org}/attorneys");
    let roster: Value = serde_json::from_slice(&get_bytes(node, &token, &roster_path).await).expect("roster");
    assert!(roster.to_string().contains("Ana Ruiz"), "{roster}");
    Made {
        username,
        token,
        encounter,
        upload,
        media,
        photo,
        photo_bytes,
        roster_path,
        roster,
    }
}

/// What the node on PostgreSQL and S3 must do with the copied deployment.
async fn check_copy(node: &Amparo, made: &Made, key: &amparo_core::keys::PublicKey, checkpoint: &str) {
    assert_eq!(
        node.verifier_key().await.verifier_key(),
        key.verifier_key(),
        "the same log key"
    );
    let published = node.checkpoint(key).await.expect("a checkpoint");
    assert_eq!(published.note, checkpoint, "the same signed checkpoint");

    let token = node.log_in(&made.username).await;
    assert!(!token.is_empty());
    let read = node
        .request(
            Method::GET,
            &format!("/api/v1/encounters/{}", made.encounter),
            &made.token,
        )
        .send()
        .await
        .expect("read");
    assert_eq!(read.status(), StatusCode::OK, "the session from before still holds");
    let household = node
        .request(Method::GET, "/api/v1/households/current", &token)
        .send()
        .await
        .expect("household");
    assert_eq!(household.status(), StatusCode::OK);
    assert_eq!(
        get_bytes(node, &token, &made.photo).await,
        made.photo_bytes,
        "the photo"
    );
    let roster: Value = serde_json::from_slice(&get_bytes(node, &token, &made.roster_path).await).expect("roster");
    assert_eq!(roster, made.roster, "the organization's attorneys");

    let out = tempfile::tempdir().expect("out");
    let bundle = out.path().join("bundle.zip");
    let (valid, report) = node.export_and_verify(&token, &made.encounter, &bundle).await;
    assert!(valid, "{report}");
    assert_eq!(bundle_media(&bundle), made.media);

    let offset = node
        .request(Method::HEAD, &made.upload, &token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    assert_eq!(offset.headers()["upload-offset"], made.media.len().to_string().as_str());
    let more = noise(CHUNK, 99);
    node.send_chunk(&token, &made.upload, made.media.len(), more.clone())
        .await;
    wait_for_checkpoint(node, key, 5).await;
    let (valid, report) = node.export_and_verify(&token, &made.encounter, &bundle).await;
    assert!(valid, "after the upload continued: {report}");
    assert_eq!(bundle_media(&bundle), [made.media.as_slice(), &more].concat());
}

async fn post(node: &Amparo, token: &str, path: &str, body: Value) -> Value {
    let response = node
        .request(Method::POST, path, token)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert!(response.status().is_success(), "{path}: {:?}", response.text().await);
    response.json().await.expect("json")
}

async fn get_bytes(node: &Amparo, token: &str, path: &str) -> Vec<u8> {
    let response = node.request(Method::GET, path, token).send().await.expect("get");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.bytes().await.expect("bytes").to_vec()
}

/// The published checkpoint once it covers `size` entries.
async fn wait_for_checkpoint(node: &Amparo, key: &amparo_core::keys::PublicKey, size: u64) -> String {
    for _ in 0..100 {
        if let Some(checkpoint) = node.checkpoint(key).await
            && checkpoint.size >= size
        {
            return checkpoint.note;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no checkpoint of {size} entries within 10 s");
}

fn spawn_on_copy(data_dir: &Path, database_url: &str, s3: &S3Fs, prefix: &str) -> Amparo {
    let blob_url = s3.blob_url(prefix);
    let mut settings = s3_env(s3);
    settings.push(("AMPARO_DATABASE_URL".into(), database_url.to_owned()));
    settings.push(("AMPARO_BLOB_URL".into(), blob_url));
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Amparo::spawn_with(data_dir, &settings)
}

fn migrate_store(data_dir: &Path, database_url: &str, s3: &S3Fs, prefix: &str) -> Output {
    migrate_store_to(data_dir, database_url, &s3.blob_url(prefix), s3)
}

fn migrate_store_to(data_dir: &Path, database_url: &str, blob_url: &str, s3: &S3Fs) -> Output {
    let output = command(data_dir, database_url, blob_url, s3)
        .output()
        .expect("amparo migrate-store runs");
    println!("{}", said(&output));
    output
}

/// `amparo migrate-store` from `data_dir` into `database_url` and `blob_url` on `s3`.
fn command(data_dir: &Path, database_url: &str, blob_url: &str, s3: &S3Fs) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_amparo"));
    command
        .arg("migrate-store")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--database-url", database_url, "--blob-url", blob_url])
        .envs(s3_env(s3))
        .env("RUST_LOG", "warn");
    command
}

/// Runs migrate-store and kills it (SIGKILL) as soon as it says it is copying the rows.
fn kill_at_rows(data_dir: &Path, database_url: &str, s3: &S3Fs, prefix: &str) {
    use std::io::{BufRead, BufReader};
    let mut child = command(data_dir, database_url, &s3.blob_url(prefix), s3)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("amparo migrate-store runs");
    let stdout = child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        if line.expect("a line").starts_with("4/5") {
            break;
        }
    }
    let _ = child.kill();
    child.wait().expect("reaped");
}

fn s3_env(s3: &S3Fs) -> Vec<(String, String)> {
    let settings = s3.settings();
    vec![
        ("AMPARO_S3__ENDPOINT".into(), settings.endpoint),
        ("AMPARO_S3__REGION".into(), settings.region),
        ("AMPARO_S3__ACCESS_KEY_ID".into(), settings.access_key_id),
        (
            "AMPARO_S3__SECRET_ACCESS_KEY".into(),
            settings.secret_access_key.expose().to_owned(),
        ),
        ("AMPARO_S3__ALLOW_HTTP".into(), "true".into()),
    ]
}

/// Everything the command printed, both streams.
fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn noise(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed.wrapping_mul(97)) >> 13) as u8)
        .collect()
}

/// A small real image for the report's photo (the server re-encodes it as a JPEG).
fn png() -> Vec<u8> {
    use image::ImageEncoder;
    let pixels = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([(x * 8) as u8, (y * 10) as u8, 90]));
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(pixels.as_raw(), 32, 24, image::ExtendedColorType::Rgb8)
        .expect("encode png");
    png
}
