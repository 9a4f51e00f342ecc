//! A real S3 server for tests: `s3s-fs` from crates.io, a strict S3 implementation that checks
//! every request's SigV4 signature, on a free loopback port over a temporary directory, with keys
//! of its own. Killed when dropped.
//!
//! The binary is found at `AMPARO_TEST_S3FS` (CI sets it: `.ci/run` installs it once into
//! `.ci/cache/`), else at `.ci/cache/bin/s3s-fs` in the repository, else as `s3s-fs` on the PATH.
//! A test that needs it and cannot find it fails, saying how to install it.

use amparo_server::alerts::Secret;
use amparo_server::blobs::S3Settings;
use object_store::ObjectStore;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

pub const BUCKET: &str = "amparo-media";
const INSTALL: &str = "s3s-fs is needed for the S3 tests. Install it with\n  \
     cargo install s3s-fs@0.14.1 --features binary --locked --root .ci/cache\n\
     (about 3 minutes; `.ci/run` does this) or set AMPARO_TEST_S3FS to the binary's path.";

pub struct S3Fs {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// The stored objects, as files: `<root>/<bucket>/<key>`.
    pub root: tempfile::TempDir,
    access_key: String,
    secret_key: String,
}

impl S3Fs {
    pub fn start() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        // s3s-fs keeps each bucket as a directory of its root.
        std::fs::create_dir(root.path().join(BUCKET)).expect("bucket dir");
        let access_key = format!("AK{}", uuid::Uuid::new_v4().simple());
        let secret_key = format!("SK{}", uuid::Uuid::new_v4().simple());
        let binary = binary();
        let mut child = Command::new(&binary)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--access-key", &access_key, "--secret-key", &secret_key])
            .arg(root.path())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not run {}: {e}\n{INSTALL}", binary.display()));
        // It logs its address once it listens: read it rather than guess a port or sleep. Its log
        // is drained for as long as it runs, so a full pipe never blocks it.
        let stdout = child.stdout.take().expect("piped stdout");
        let (found, address) = mpsc::channel();
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("server is running at http://") {
                    let address = line[at + "server is running at ".len()..].trim().to_owned();
                    if let Some(found) = found.take() {
                        let _ = found.send(address);
                    }
                }
            }
        });
        let endpoint = match address.recv_timeout(Duration::from_secs(30)) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                panic!("s3s-fs ({}) did not say where it listens within 30 s", binary.display())
            }
        };
        Self {
            child,
            endpoint,
            root,
            access_key,
            secret_key,
        }
    }

    pub fn settings(&self) -> S3Settings {
        S3Settings {
            endpoint: self.endpoint.clone(),
            region: "us-east-1".to_owned(),
            access_key_id: self.access_key.clone(),
            secret_access_key: Secret::new(self.secret_key.clone()),
            allow_http: true,
        }
    }

    pub fn blob_url(&self, prefix: &str) -> String {
        format!("s3://{BUCKET}/{prefix}")
    }

    /// The store a server with `blob_url = s3://BUCKET/prefix` and these `[s3]` settings opens.
    pub fn open(&self, prefix: &str) -> Arc<dyn ObjectStore> {
        let unused = tempfile::tempdir().expect("temp dir");
        amparo_server::blobs::open(&self.blob_url(prefix), &self.settings(), unused.path()).expect("the S3 store opens")
    }

    /// The files s3s-fs holds under `prefix`, as keys relative to it.
    pub fn stored_keys(&self, prefix: &str) -> Vec<String> {
        let base = self.root.path().join(BUCKET).join(prefix);
        let mut keys = Vec::new();
        collect(&base, &base, &mut keys);
        keys.sort();
        keys
    }
}

fn collect(base: &Path, dir: &Path, keys: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(base, &path, keys);
        } else if let Ok(relative) = path.strip_prefix(base) {
            let key = relative.to_string_lossy().into_owned();
            // s3s-fs keeps its own metadata beside the objects.
            if !key.contains(".s3s") && !key.starts_with('.') {
                keys.push(key);
            }
        }
    }
}

fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("AMPARO_TEST_S3FS") {
        return PathBuf::from(path);
    }
    let cached = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/cache/bin/s3s-fs");
    if cached.exists() {
        return cached;
    }
    PathBuf::from("s3s-fs")
}

impl Drop for S3Fs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
