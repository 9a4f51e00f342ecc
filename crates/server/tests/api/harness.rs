//! Starts a server for a test and talks to it.

use amparo_core::keys::LogKey;
use amparo_server::alerts::fanout::Alerts;
use amparo_server::alerts::webpush::vapid::VapidKey;
use amparo_server::alerts::webpush::{PushSettings, WebPush};
use amparo_server::limits::Limits;
use amparo_server::log::{Log, LogTasks};
use amparo_server::plans::PlanSettings;
use amparo_server::routes::billing::BillingSettings;
use amparo_server::state::Services;
use amparo_server::{AppState, serve};
use amparo_store::Store;
use futures::{SinkExt, StreamExt};
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// Web Push with a fresh key, taking endpoints on this machine (the tests' push services), and
/// quick retries.
pub fn test_web_push() -> WebPush {
    let settings = PushSettings {
        allow_loopback_endpoints: true,
        ..PushSettings::default()
    };
    WebPush::new(VapidKey::generate(), &settings)
        .expect("push settings")
        .with_retries(3, Duration::from_millis(20))
}

/// What test servers are built with: in-app and Web Push alerts (see [`test_web_push`]).
pub fn test_services() -> Services {
    Services {
        web_push: test_web_push(),
        ..Services::ephemeral()
    }
}

pub struct TestServer {
    pub base: String,
    pub client: Client,
    pub store: Arc<dyn Store>,
    pub key_vkey: String,
    pub dir: tempfile::TempDir,
    node: Node,
    stop_http: CancellationToken,
    /// What `restart` stops and waits for: the HTTP server, then the log's tasks.
    served: Option<tokio::task::JoinHandle<()>>,
    stop_log: CancellationToken,
    log_tasks: Option<LogTasks>,
}

/// What nodes of one deployment share.
#[derive(Clone)]
struct Node {
    store: Arc<dyn Store>,
    blobs: Arc<dyn ObjectStore>,
    log: Log,
    limits: Limits,
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
        Self::start_with_services(limits, test_services()).await
    }

    /// A server over SQLite with these alert settings (channels, silence).
    pub async fn start_with_alerts(limits: Limits, alerts: Alerts) -> Self {
        Self::start_with_services(
            limits,
            Services {
                alerts,
                ..test_services()
            },
        )
        .await
    }

    /// A server over SQLite with these `[plans]` and `[billing]` settings.
    pub async fn start_with_plans(limits: Limits, plans: PlanSettings, billing: BillingSettings) -> Self {
        Self::start_with_services(
            limits,
            Services {
                plans,
                billing,
                ..test_services()
            },
        )
        .await
    }

    pub async fn start_with_services(limits: Limits, services: Services) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> = Arc::new(
            amparo_store_sqlite::SqliteStore::open(&dir.path().join("amparo.db"))
                .await
                .expect("sqlite store"),
        );
        Self::start_full(store, dir, limits, services).await
    }

    pub async fn start_full(store: Arc<dyn Store>, dir: tempfile::TempDir, limits: Limits, services: Services) -> Self {
        let key = LogKey::generate("test.amparo.local/log").expect("key");
        Self::start_keyed(store, dir, limits, services, key).await
    }

    /// [`TestServer::start_full`] with the log's key given (a restart keeps its key).
    async fn start_keyed(
        store: Arc<dyn Store>,
        dir: tempfile::TempDir,
        limits: Limits,
        services: Services,
        key: LogKey,
    ) -> Self {
        let media = dir.path().join("media");
        std::fs::create_dir_all(&media).expect("media dir");
        let blobs = Arc::new(
            LocalFileSystem::new_with_prefix(&media)
                .expect("blob dir")
                .with_fsync(true),
        );
        Self::start_with_key(store, blobs, dir, limits, services, key).await
    }

    /// A server whose media goes to `blobs` (e.g. S3), with its own log over `store`.
    pub async fn start_on(
        store: Arc<dyn Store>,
        blobs: Arc<dyn ObjectStore>,
        dir: tempfile::TempDir,
        limits: Limits,
        services: Services,
    ) -> Self {
        let key = LogKey::generate("test.amparo.local/log").expect("key");
        Self::start_with_key(store, blobs, dir, limits, services, key).await
    }

    async fn start_with_key(
        store: Arc<dyn Store>,
        blobs: Arc<dyn ObjectStore>,
        dir: tempfile::TempDir,
        limits: Limits,
        services: Services,
        key: LogKey,
    ) -> Self {
        let key = Arc::new(key);
        let stop_log = CancellationToken::new();
        let (log, log_tasks) = Log::start(store.clone(), key, Duration::from_millis(100), stop_log.clone())
            .await
            .expect("log starts");
        let node = Node {
            store,
            blobs,
            log,
            limits,
        };
        Self::serve_node(node, dir, services, stop_log, Some(log_tasks)).await
    }

    /// Another node beside this one: its own listener, upload locks and live hub over the same
    /// store, media and log (as nodes behind a load balancer share them; the log's sequencer is
    /// this server's).
    pub async fn second_node(&self) -> Self {
        self.node_with(test_services()).await
    }

    /// Another node as [`second_node`](Self::second_node) does, built with `services` (its bus
    /// and lease, its settings).
    pub async fn node_with(&self, services: Services) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::serve_node(self.node.clone(), dir, services, CancellationToken::new(), None).await
    }

    async fn serve_node(
        node: Node,
        dir: tempfile::TempDir,
        services: Services,
        stop_log: CancellationToken,
        log_tasks: Option<LogTasks>,
    ) -> Self {
        let scratch = dir.path().join("tmp");
        std::fs::create_dir_all(&scratch).expect("scratch dir");
        let key_vkey = node.log.key().verifier_key();
        let state = AppState::with_services(
            node.store.clone(),
            node.blobs.clone(),
            node.log.clone(),
            node.limits.clone(),
            scratch,
            services,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let stop_http = CancellationToken::new();
        let stop = stop_http.clone();
        let served = tokio::spawn(async move {
            if let Err(e) = serve(listener, state, async move { stop.cancelled().await }).await {
                eprintln!("the test server stopped with an error: {e}");
            }
        });
        TestServer {
            base,
            client: Client::new(),
            store: node.store.clone(),
            key_vkey,
            dir,
            node,
            stop_http,
            served: Some(served),
            stop_log,
            log_tasks,
        }
    }

    /// Another node as [`node_with`](Self::node_with) does, over a store of its own (`build`
    /// makes it and the node's services), on a runtime of its own: [`KillableNode::kill`] ends it
    /// as a process dies.
    pub async fn killable_node<F, Fut>(&self, build: F) -> KillableNode
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = (Arc<dyn Store>, Services)> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("the node's runtime");
        let node = self.node.clone();
        let server = runtime
            .spawn(async move {
                let (store, services) = build().await;
                let dir = tempfile::tempdir().expect("temp dir");
                Self::serve_node(Node { store, ..node }, dir, services, CancellationToken::new(), None).await
            })
            .await
            .expect("the node starts");
        KillableNode {
            server: Some(server),
            runtime: Some(runtime),
        }
    }

    /// Stops this server as a shutdown does (live connections are told to close, the log commits
    /// what it holds) and starts a new one over the same SQLite file and media: a node restarting.
    pub async fn restart(mut self, limits: Limits, services: Services) -> Self {
        self.stop_http.cancel();
        if let Some(served) = self.served.take() {
            served.await.expect("the server task");
        }
        self.stop_log.cancel();
        if let Some(tasks) = self.log_tasks.take() {
            tasks.finish().await;
        }
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        let store: Arc<dyn Store> = Arc::new(
            amparo_store_sqlite::SqliteStore::open(&dir.path().join("amparo.db"))
                .await
                .expect("the same SQLite file, reopened"),
        );
        // The same log key, as a restarted node reads its key file again.
        let key = LogKey::from_private_string(&self.node.log.key().to_private_string()).expect("the same key");
        Self::start_keyed(store, dir, limits, services, key).await
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

    /// A fresh member given `role` as well; returns (token, account id).
    pub async fn with_role(&self, role: amparo_core::roles::Role) -> (String, String) {
        let (token, id) = self.member().await;
        self.store
            .grant_role(id.parse().expect("id"), role)
            .await
            .expect("grant role");
        (token, id)
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

    /// Ends an encounter as its owner does; panics unless it ended.
    pub async fn end_encounter(&self, token: &str, encounter: &str) {
        let ended = self
            .request(
                Method::POST,
                &format!("/api/v1/encounters/{encounter}/end"),
                Some(token),
            )
            .send()
            .await
            .expect("send");
        assert_eq!(ended.status(), StatusCode::OK);
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

    /// The live WebSocket, signed in with `token`; panics unless the server says it is ready.
    pub async fn live(&self, token: &str) -> LiveSocket {
        let url = format!("ws{}/api/v1/live", self.base.trim_start_matches("http"));
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
        let auth = json!({"type": "auth", "token": token}).to_string();
        socket.send(Message::text(auth)).await.expect("send auth");
        let mut live = LiveSocket(socket);
        let ready = live.next_json(Duration::from_secs(5)).await.expect("an answer to auth");
        assert_eq!(ready["type"], "ready", "{ready}");
        live
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
        self.stop_log.cancel();
    }
}

/// A node on a runtime of its own (see [`TestServer::killable_node`]).
pub struct KillableNode {
    server: Option<TestServer>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl KillableNode {
    /// Ends the node at once, as a killed process ends: every task of it stops where it is, with
    /// nothing it had under way finished. Its database sessions are its store's to end (see the
    /// test that kills one): a pool outlives the tasks that used it.
    pub fn kill(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
        self.server.take();
    }
}

impl std::ops::Deref for KillableNode {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        self.server.as_ref().expect("a node not killed")
    }
}

impl Drop for KillableNode {
    fn drop(&mut self) {
        // A runtime cannot be dropped from within another one: it is shut down in the background.
        self.stop();
    }
}

/// Whether `check` comes true within `wait`, asked every 50 ms: for what a server does a moment
/// after it answers (its writer's records, another node's copy of what one publishes).
pub async fn eventually<F, Fut>(wait: Duration, check: F) -> bool
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + wait;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// A signed-in live connection.
pub struct LiveSocket(pub tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>);

impl LiveSocket {
    /// The next JSON message within `wait`, skipping pings; `None` if none came or it closed.
    pub async fn next_json(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = tokio::time::timeout_at(deadline, self.0.next()).await.ok()??.ok()?;
            match message {
                Message::Text(text) => return Some(serde_json::from_str(&text).expect("JSON messages")),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The next message of `kind` within `wait`, skipping others.
    pub async fn next_of(&mut self, kind: &str, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.next_json(left).await?;
            if message["type"] == kind {
                return Some(message);
            }
        }
    }

    pub async fn send_json(&mut self, value: &Value) {
        self.0.send(Message::text(value.to_string())).await.expect("send");
    }
}

/// The media file of a bundle (the first under `media/`), as stored in it.
pub fn bundle_media(archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>) -> Vec<u8> {
    let name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.starts_with("media/"))
        .expect("a media file")
        .into_owned();
    let mut stored = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name(&name).expect("media"), &mut stored).expect("read");
    stored
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
