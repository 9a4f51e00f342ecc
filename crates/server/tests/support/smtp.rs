//! A real SMTP server for tests: Python's aiosmtpd running `smtp_sink.py`, which writes each
//! message it receives as JSON. Shared by the alert channel tests and the API tests.

use amparo_server::alerts::Secret;
use amparo_server::alerts::email::{EmailChannel, EmailSettings, SmtpTls};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The SMTP server, killed when dropped.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs (and has aiosmtpd: python3 -m pip install aiosmtpd)");
        // The script prints its port once it accepts connections: no sleeping, no guessing.
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout).read_line(&mut line).expect("read the port");
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("the SMTP sink did not start (is aiosmtpd installed?); it said {line:?}")
        });
        Self { child, port, dir }
    }

    pub fn settings(&self) -> EmailSettings {
        EmailSettings {
            host: "127.0.0.1".to_owned(),
            port: Some(self.port),
            tls: SmtpTls::None,
            username: String::new(),
            password: Secret::default(),
            from: "Amparo <alertas@amparo.example>".to_owned(),
        }
    }

    #[allow(dead_code)]
    pub fn channel(&self) -> EmailChannel {
        EmailChannel::new(&self.settings()).expect("valid settings")
    }

    /// The `n`th message received (from 1), as the sink decoded it.
    /// The `n`th message, waiting up to `wait` for it (alerts are sent on their own tasks).
    #[allow(dead_code)]
    pub async fn wait_for(&self, n: usize, wait: std::time::Duration) -> serde_json::Value {
        let path = self.dir.path().join(format!("{n}.json"));
        let deadline = std::time::Instant::now() + wait;
        while !path.exists() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // The sink writes to a temporary name and renames, or the read below may race the write.
        self.message(n)
    }

    /// How many messages have arrived.
    #[allow(dead_code)]
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.dir.path()).map_or(0, |d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .count()
        })
    }

    pub fn message(&self, n: usize) -> serde_json::Value {
        let path: PathBuf = self.dir.path().join(format!("{n}.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("message {n} not received: {e}"));
        serde_json::from_str(&text).expect("the sink writes JSON")
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
