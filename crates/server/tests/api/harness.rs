//! Starts a server for a test and talks to it.

use amparo_core::keys::LogKey;
use amparo_server::limits::Limits;
use amparo_server::log::Log;
use amparo_server::plans::PlanSettings;
use amparo_server::routes::billing::BillingSettings;
use amparo_server::{AppState, serve};
use amparo_store::Store;
use object_store::local::LocalFileSystem;
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct TestServer {
    pub base: String,
    pub client: Client,
    pub store: Arc<dyn Store>,
    pub key_vkey: String,
    pub dir: tempfile::TempDir,
    stop_http: CancellationToken,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(Limits::default()).await
    }

    /// A server whose per-account limit will not slow a test that sends hundreds of chunks.
    pub async fn start_unthrottled() -> Self {
        Self::start_with(Limits {
            account_requests_per_second: 100_000,
            account_burst: 100_000,
            ..Limits::default()
        })
        .await
    }

    pub async fn start_with(limits: Limits) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> = Arc::new(
            amparo_store_sqlite::SqliteStore::open(&dir.path().join("amparo.db"))
                .await
                .expect("sqlite store"),
        );
        Self::start_on(store, dir, limits).await
    }

    pub async fn start_on(store: Arc<dyn Store>, dir: tempfile::TempDir, limits: Limits) -> Self {
        Self::start_on_with_plans(store, dir, limits, PlanSettings::default(), BillingSettings::default()).await
    }

    /// A server over SQLite with these `[plans]` and `[billing]` settings.
    pub async fn start_with_plans(limits: Limits, plans: PlanSettings, billing: BillingSettings) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> = Arc::new(
            amparo_store_sqlite::SqliteStore::open(&dir.path().join("amparo.db"))
                .await
                .expect("sqlite store"),
        );
        Self::start_on_with_plans(store, dir, limits, plans, billing).await
    }

    pub async fn start_on_with_plans(
        store: Arc<dyn Store>,
        dir: tempfile::TempDir,
        limits: Limits,
        plans: PlanSettings,
        billing: BillingSettings,
    ) -> Self {
        let media = dir.path().join("media");
        let scratch = dir.path().join("tmp");
        std::fs::create_dir_all(&media).expect("media dir");
        std::fs::create_dir_all(&scratch).expect("scratch dir");
        let blobs = Arc::new(
            LocalFileSystem::new_with_prefix(&media)
                .expect("blob dir")
                .with_fsync(true),
        );
        let key = Arc::new(LogKey::generate("test.amparo.local/log").expect("key"));
        let key_vkey = key.verifier_key();
        let stop_log = CancellationToken::new();
        let (log, _tasks) = Log::start(store.clone(), key, Duration::from_millis(100), stop_log)
            .await
            .expect("log starts");
        let state = AppState::with_plans(store.clone(), blobs, log, limits, scratch, plans, &billing);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let stop_http = CancellationToken::new();
        let stop = stop_http.clone();
        tokio::spawn(async move { serve(listener, state, async move { stop.cancelled().await }).await });
        TestServer {
            base,
            client: Client::new(),
            store,
            key_vkey,
            dir,
            stop_http,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let request = self.client.request(method, self.url(path));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Signs up and logs in a fresh member; returns (token, account id).
    pub async fn member(&self) -> (String, String) {
        let username = format!("m{}", uuid::Uuid::new_v4().simple());
        let password = "correct horse battery staple";
        let created = self
            .request(Method::POST, "/api/v1/accounts", None)
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("sign up");
        assert_eq!(created.status(), StatusCode::CREATED);
        let session: Value = self
            .request(Method::POST, "/api/v1/sessions", None)
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("log in")
            .json()
            .await
            .expect("session json");
        (
            session["token"].as_str().expect("token").to_owned(),
            session["account"]["id"].as_str().expect("id").to_owned(),
        )
    }

    pub async fn start_encounter(&self, token: &str) -> String {
        let response = self
            .request(Method::POST, "/api/v1/encounters", Some(token))
            .json(&json!({"us_state": "CA", "language": "es", "wants_attorney": true, "note": "traffic stop <b>"}))
            .send()
            .await
            .expect("start encounter");
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        body["id"].as_str().expect("id").to_owned()
    }

    /// Creates a deferred-length tus upload; returns its path.
    pub async fn create_upload(&self, token: &str, encounter: &str) -> String {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let response = self
            .request(Method::POST, "/api/v1/uploads", Some(token))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Defer-Length", "1")
            .header(
                "Upload-Metadata",
                format!("encounter_id {},filetype {}", b64(encounter), b64("video/webm")),
            )
            .send()
            .await
            .expect("create upload");
        assert_eq!(response.status(), StatusCode::CREATED, "{:?}", response.text().await);
        response.headers()["location"].to_str().expect("location").to_owned()
    }

    pub async fn patch(&self, token: &str, upload: &str, offset: u64, bytes: Vec<u8>) -> reqwest::Response {
        self.patch_with(token, upload, &[("Upload-Offset", &offset.to_string())], bytes)
            .await
    }

    /// A tus PATCH with exactly these headers besides `Tus-Resumable` and the tus content type.
    pub async fn patch_with(
        &self,
        token: &str,
        upload: &str,
        headers: &[(&str, &str)],
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let mut request = self
            .request(Method::PATCH, upload, Some(token))
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(bytes).send().await.expect("patch")
    }

    /// POSTs JSON.
    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        self.request(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .expect("post")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop_http.cancel();
    }
}

/// Asserts an RFC 9457 problem response and returns its body.
pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["status"], status);
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "a detail a person can act on"
    );
    body
}
