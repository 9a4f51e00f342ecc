//! The load client: one "phone" per uploader, each with its own account, encounter, tus upload
//! and HTTP client (so its own connection, as a real phone has), going through the public API
//! exactly as the app does.

use anyhow::{Context, Result, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use futures::StreamExt;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// How many phones sign up at once. Sign-up and log-in each hash a password with Argon2id on
/// the server's blocking pool; more at once only queues on the two cores.
const ENROLL_AT_ONCE: usize = 8;

/// One uploader: a logged-in account with an open, deferred-length upload.
#[derive(Clone, Debug)]
pub struct Phone {
    pub client: Client,
    pub token: String,
    pub encounter: String,
    /// `/api/v1/uploads/<id>`.
    pub upload: String,
}

/// What a PATCH came back with.
#[derive(Debug)]
pub struct Patched {
    pub status: StatusCode,
    pub offset: Option<u64>,
    pub receipt: Option<String>,
}

fn client() -> Result<Client> {
    // A generous bound on any one request: a benchmark must end even if the server stalls.
    Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .context("building an HTTP client")
}

/// Signs up, logs in, starts an encounter and opens an upload for `n` phones.
pub async fn enroll(base: &str, n: usize) -> Result<Vec<Phone>> {
    futures::stream::iter(0..n)
        .map(|_| enroll_one(base))
        .buffer_unordered(ENROLL_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

async fn enroll_one(base: &str) -> Result<Phone> {
    let client = client()?;
    let token = log_in(&client, base).await?;
    let encounter = start_encounter(&client, base, &token).await?;
    let upload = create_upload(&client, base, &token, &encounter).await?;
    Ok(Phone {
        client,
        token,
        encounter,
        upload,
    })
}

async fn log_in(client: &Client, base: &str) -> Result<String> {
    let credentials = json!({
        "username": format!("bench{}", uuid::Uuid::new_v4().simple()),
        "password": "correct horse battery staple",
    });
    let created = client
        .post(format!("{base}/api/v1/accounts"))
        .json(&credentials)
        .send()
        .await?;
    ensure!(
        created.status() == StatusCode::CREATED,
        "sign-up answered {}",
        created.status()
    );
    let session = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&credentials)
        .send()
        .await?;
    ensure!(session.status().is_success(), "log-in answered {}", session.status());
    let session: Value = session.json().await?;
    Ok(session["token"]
        .as_str()
        .context("the session has no token")?
        .to_owned())
}

async fn start_encounter(client: &Client, base: &str, token: &str) -> Result<String> {
    let response = client
        .post(format!("{base}/api/v1/encounters"))
        .bearer_auth(token)
        .json(&json!({"us_state": "CA", "language": "es", "wants_attorney": true}))
        .send()
        .await?;
    ensure!(
        response.status() == StatusCode::CREATED,
        "starting an encounter answered {}",
        response.status()
    );
    let body: Value = response.json().await?;
    Ok(body["id"].as_str().context("the encounter has no id")?.to_owned())
}

/// Opens a deferred-length tus upload (a live recording does not know its length).
pub async fn create_upload(client: &Client, base: &str, token: &str, encounter: &str) -> Result<String> {
    let response = client
        .post(format!("{base}/api/v1/uploads"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Defer-Length", "1")
        .header(
            "Upload-Metadata",
            format!(
                "encounter_id {},filetype {}",
                B64.encode(encounter),
                B64.encode("video/webm")
            ),
        )
        .send()
        .await?;
    ensure!(
        response.status() == StatusCode::CREATED,
        "creating an upload answered {}",
        response.status()
    );
    let location = response
        .headers()
        .get("location")
        .context("the new upload has no Location")?;
    Ok(location.to_str()?.to_owned())
}

impl Phone {
    /// Sends one chunk at `offset` to `base` (the server, or the HTTP floor).
    pub async fn patch(&self, base: &str, offset: u64, chunk: Bytes) -> Result<Patched> {
        self.patch_upload(base, &self.upload, offset, chunk).await
    }

    pub async fn patch_upload(&self, base: &str, upload: &str, offset: u64, chunk: Bytes) -> Result<Patched> {
        let response = self
            .client
            .request(Method::PATCH, format!("{base}{upload}"))
            .bearer_auth(&self.token)
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(chunk)
            .send()
            .await?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let patched = Patched {
            status: response.status(),
            offset: header("upload-offset").and_then(|v| v.parse().ok()),
            receipt: header("amparo-receipt"),
        };
        if !patched.status.is_success() {
            let detail = response.text().await.unwrap_or_default();
            bail!("PATCH {upload} at {offset} answered {}: {detail}", patched.status);
        }
        Ok(patched)
    }
}

/// The log's public key, from `GET /log/key`.
pub async fn log_key(base: &str) -> Result<amparo_core::keys::PublicKey> {
    let text = client()?
        .get(format!("{base}/log/key"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    Ok(amparo_core::keys::PublicKey::from_verifier_key(text.trim())?)
}

/// `n` bytes of noise: media does not compress, and neither should the benchmark's.
pub fn noise(n: usize, seed: u64) -> Bytes {
    use rand::{RngCore, SeedableRng};
    let mut bytes = vec![0u8; n];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
    Bytes::from(bytes)
}
