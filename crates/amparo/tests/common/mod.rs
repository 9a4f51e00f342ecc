//! Runs the real `amparo` binary for a test, and the HTTP calls tests share.
#![allow(dead_code)]

pub mod webm;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Set in the network namespace's run of a browser test (see [`in_network_namespace`]).
pub const NETNS_VAR: &str = "AMPARO_IN_NETNS";

/// The password of every account the tests make.
pub const PASSWORD: &str = "a long test password";

/// A tus PATCH of `chunk` at `offset` to the upload at `url`, ready to send.
pub fn tus_patch(client: &Client, url: &str, token: &str, offset: u64, chunk: Vec<u8>) -> reqwest::RequestBuilder {
    client
        .patch(url)
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", offset.to_string())
        .body(chunk)
}

/// A running `amparo serve` process.
pub struct Amparo {
    pub child: Child,
    pub base: String,
    pub client: Client,
}

impl Amparo {
    /// Starts `amparo serve` on a free port over `data_dir` and waits for its address line.
    pub fn spawn(data_dir: &Path) -> Self {
        Self::spawn_with(data_dir, &[])
    }

    /// [`Amparo::spawn`] with more settings, as `AMPARO_*` environment variables.
    pub fn spawn_with(data_dir: &Path, settings: &[(&str, &str)]) -> Self {
        let mut child = serve_command(data_dir, settings)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("amparo starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines.next().expect("amparo printed its address").expect("stdout line");
            if let Some(address) = line.strip_prefix("amparo listening on ") {
                break address.trim().to_owned();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Amparo {
            child,
            base,
            client: Client::new(),
        }
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill_hard(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn request(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(token)
    }

    /// A new account, logged in: its token.
    pub async fn member(&self) -> String {
        let username = format!("m{}", rand::random::<u64>());
        self.sign_up(&username).await;
        self.log_in(&username).await
    }

    /// Signs up `username` with [`PASSWORD`]; returns the account's id.
    pub async fn sign_up(&self, username: &str) -> String {
        let created = self
            .client
            .post(self.url("/api/v1/accounts"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .expect("sign up");
        assert_eq!(created.status(), StatusCode::CREATED);
        let account: Value = created.json().await.expect("json");
        account["id"].as_str().expect("account id").to_owned()
    }

    /// Logs `username` in with [`PASSWORD`]; returns the session's token.
    pub async fn log_in(&self, username: &str) -> String {
        let session: Value = self
            .client
            .post(self.url("/api/v1/sessions"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .expect("log in")
            .json()
            .await
            .expect("json");
        session["token"].as_str().expect("token").to_owned()
    }

    pub async fn encounter(&self, token: &str) -> String {
        let response = self
            .request(Method::POST, "/api/v1/encounters", token)
            .json(&json!({"us_state": "TX", "language": "es"}))
            .send()
            .await
            .expect("start encounter");
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().await.expect("json")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// Creates a deferred-length tus upload for `encounter`; returns its path.
    pub async fn create_upload(&self, token: &str, encounter: &str) -> String {
        use base64::Engine;
        let metadata = format!(
            "encounter_id {}",
            base64::engine::general_purpose::STANDARD.encode(encounter)
        );
        let created = self
            .request(Method::POST, "/api/v1/uploads", token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Defer-Length", "1")
            .header("Upload-Metadata", metadata)
            .send()
            .await
            .expect("create");
        created.headers()["location"].to_str().expect("location").to_owned()
    }

    /// Sends one chunk at `offset`; panics unless it was acknowledged.
    pub async fn send_chunk(&self, token: &str, upload: &str, offset: usize, chunk: Vec<u8>) {
        let response = self
            .request(Method::PATCH, upload, token)
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(chunk)
            .send()
            .await
            .expect("patch");
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }

    pub async fn verifier_key(&self) -> amparo_core::keys::PublicKey {
        let text = self
            .client
            .get(self.url("/log/key"))
            .send()
            .await
            .expect("key")
            .text()
            .await
            .expect("text");
        amparo_core::keys::PublicKey::from_verifier_key(&text).expect("verifier key")
    }

    pub async fn checkpoint(
        &self,
        key: &amparo_core::keys::PublicKey,
    ) -> Option<amparo_core::checkpoint::SignedCheckpoint> {
        let response = self.client.get(self.url("/log/checkpoint")).send().await.ok()?;
        if response.status() != StatusCode::OK {
            return None;
        }
        Some(amparo_core::checkpoint::verify(key, &response.text().await.ok()?).expect("published checkpoints verify"))
    }

    /// Exports a bundle to `path` and runs `amparo verify` on it, as a court would.
    pub async fn export_and_verify(&self, token: &str, encounter: &str, path: &Path) -> (bool, String) {
        let response = self
            .request(Method::GET, &format!("/api/v1/encounters/{encounter}/bundle"), token)
            .send()
            .await
            .expect("export");
        assert_eq!(response.status(), StatusCode::OK);
        std::fs::write(path, response.bytes().await.expect("bundle")).expect("write bundle");
        let output = Command::new(env!("CARGO_BIN_EXE_amparo"))
            .arg("verify")
            .arg(path)
            .output()
            .expect("amparo verify runs");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }
}

/// `amparo serve` on a free port over `data_dir`, with more settings as `AMPARO_*` variables.
fn serve_command(data_dir: &Path, settings: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_amparo"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        // Tests drive many chunks per second from one account; the defaults suit people.
        .env("AMPARO_LIMITS__ACCOUNT_REQUESTS_PER_SECOND", "100000")
        .env("AMPARO_LIMITS__ACCOUNT_BURST", "100000")
        .env("AMPARO_LIMITS__ANONYMOUS_REQUESTS_PER_MINUTE", "100000")
        .envs(settings.iter().copied());
    command
}

/// Runs `amparo serve` as [`Amparo::spawn_with`] would, for a start that must be refused: waits
/// (at most `within`) for it to exit, and returns what it wrote to standard error. Panics if it
/// exits successfully, starts listening, or is still running after `within`.
pub fn refused_start(data_dir: &Path, settings: &[(&str, &str)], within: std::time::Duration) -> String {
    use std::io::Read;
    let mut child = serve_command(data_dir, settings)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("amparo starts");
    let deadline = std::time::Instant::now() + within;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for amparo") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("amparo serve was still running after {within:?}: it was meant to refuse to start");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("stdout");
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    assert!(!status.success(), "amparo serve exited successfully; stderr:\n{stderr}");
    assert!(
        !stdout.contains("amparo listening on"),
        "amparo serve listened before refusing: {stdout}\n{stderr}"
    );
    stderr
}

impl Drop for Amparo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the media file out of a bundle.
pub fn bundle_media(path: &Path) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).expect("bundle")).expect("zip");
    let name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.starts_with("media/"))
        .expect("media entry")
        .into_owned();
    let mut media = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name(&name).expect("media"), &mut media).expect("read media");
    media
}

pub fn status_ok(status: StatusCode) -> bool {
    status.is_success()
}

/// Audit-path hashes from a proof endpoint's JSON.
pub fn proof_hashes(value: &Value) -> Vec<amparo_core::Hash> {
    value["hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .map(|h| {
            amparo_core::Hash(
                hex::decode(h.as_str().expect("hex"))
                    .expect("hex")
                    .try_into()
                    .expect("32 bytes"),
            )
        })
        .collect()
}

/// `amparo verify` on a bundle file, as a court would run it.
pub fn verify_file(path: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_amparo"))
        .arg("verify")
        .arg(path)
        .output()
        .expect("amparo verify runs");
    assert!(
        output.status.success(),
        "{} verifies:\n{}",
        path.display(),
        String::from_utf8_lossy(&output.stdout)
    );
}

/// The browser scenarios' folder (tests/e2e).
pub fn e2e_dir() -> PathBuf {
    npm_dir("e2e")
}

/// Debian's chromium and the pinned playwright-core, which the browser tests drive.
pub fn ensure_browser_tools() {
    let chromium = std::env::var("AMPARO_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: these tests need Debian's chromium (apt-get install chromium); .ci/run installs it"
    );
    ensure_npm_packages(&e2e_dir(), "playwright-core");
}

/// A fresh folder for a browser scenario's files, under the target's tmp dir.
pub fn e2e_out(name: &str) -> PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e").join(name);
    let _ = std::fs::remove_dir_all(&out);
    out
}

/// Runs `node tests/e2e/<script> ARGS…`; returns the JSON line it printed last.
pub fn run_e2e(script: &str, args: &[&std::ffi::OsStr]) -> Value {
    let output = Command::new("node")
        .arg(e2e_dir().join(script))
        .args(args)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script} {args:?} failed:\n{stderr}\n{stdout}");
    let line = stdout.lines().last().expect("the scenario printed its result");
    serde_json::from_str(line).expect("result is JSON")
}

/// The accessibility audit (touch targets, labels, contrast) found nothing on the screens it saw.
pub fn assert_no_audit_problems(details: &Value) {
    let problems: Vec<&str> = details["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        problems.is_empty(),
        "touch targets, labels and contrast:\n{}",
        problems.join("\n")
    );
}

/// A folder of npm test tools under the repository's `tests/` (package-lock.json committed).
pub fn npm_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests").join(name)
}

/// Installs the pinned npm packages of `dir` once, if `package` is not installed yet.
pub fn ensure_npm_packages(dir: &Path, package: &str) {
    if dir.join("node_modules").join(package).exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .expect("npm is needed for this test (Debian: apt-get install nodejs npm); .ci/run installs it");
    assert!(status.success(), "npm ci failed in {}", dir.display());
}

/// Runs the test again in a new network namespace with only loopback up, unless this is that run.
/// Returns true in the namespace (do the work), false outside (the namespace's run passed).
pub fn in_network_namespace(test: &str) -> bool {
    if std::env::var_os(NETNS_VAR).is_some() {
        return true;
    }
    // What needs the network happens out here: npm installs the pinned test packages.
    ensure_browser_tools();
    let exe = std::env::current_exe().expect("the test binary");
    let output = Command::new("unshare")
        .args(["-n", "--", "sh", "-c", r#"ip link set lo up && exec "$@""#, "sh"])
        .arg(&exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(NETNS_VAR, "1")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "`unshare` could not run ({e}): these tests run in a network namespace with only loopback; they need \
                 util-linux's unshare and ip (iproute2), as root or with CAP_SYS_ADMIN"
            )
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        !stderr.contains("unshare failed") && !stderr.contains("Operation not permitted"),
        "could not make a network namespace (unshare -n): run as root or with CAP_SYS_ADMIN; this test does not skip"
    );
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{test} failed in its network namespace"
    );
    false
}

/// `amparo admin …` on the running server's store, as an operator would.
pub fn admin(data_dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_amparo"))
        .arg("admin")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("amparo admin runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "amparo admin {args:?}:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
