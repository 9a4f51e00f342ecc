//! Web Push end to end: the real `amparo serve`, a local push service that speaks Mozilla's push
//! protocol (tests/e2e/push-service.mjs, as strict as a real one about VAPID and encryption), and
//! Debian's Firefox, headless, driven by puppeteer-core (tests/e2e/push.mjs). The person turns on
//! "Alerts on this device" in Settings; another member of their household starts an encounter;
//! the test passes only when the page's service worker has shown the notification, which Firefox
//! shows only after decrypting the message with the subscription's keys.
//!
//! Chromium cannot be used here: it subscribes only through Google's push service.

mod common;

use common::Amparo;
use reqwest::Method;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

fn firefox() -> String {
    let firefox = std::env::var("AMPARO_FIREFOX").unwrap_or_else(|_| "/usr/bin/firefox-esr".into());
    assert!(
        Path::new(&firefox).exists(),
        "{firefox} is missing: this test needs Debian's firefox-esr (apt-get install firefox-esr); .ci/run installs it"
    );
    firefox
}

/// A child process killed when the test ends, passed or failed, and its stdout as lines.
struct Running {
    child: Child,
    lines: Receiver<String>,
    what: &'static str,
}

impl Running {
    fn start(what: &'static str, command: &mut Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{what} starts: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        Self {
            child,
            lines: lines_of(stdout),
            what,
        }
    }

    /// The first line that `pick` accepts, within `within`.
    fn wait_for<T>(&self, within: Duration, mut pick: impl FnMut(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(found) = pick(&line) {
                        return found;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!("{}: nothing expected within {within:?}", self.what),
                Err(RecvTimeoutError::Disconnected) => panic!("{} ended early (its stderr is above)", self.what),
            }
        }
    }
}

impl Drop for Running {
    /// SIGTERM first, so that puppeteer closes the Firefox it started (SIGKILL would leave it
    /// running), then SIGKILL whatever is left after a few seconds.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill").arg(self.child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines_of(stdout: ChildStdout) -> Receiver<String> {
    let (send, receive) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

fn json_line(line: &str) -> Option<Value> {
    serde_json::from_str(line).ok()
}

/// Makes the server alert the account whose session `token` is, the way it happens for real:
/// that account makes a household, another member joins it and starts an encounter. Returns the
/// notification title the alert must show.
async fn trigger_alert(amparo: &Amparo, token: &str) -> String {
    let send = |method: Method, path: &str, token: &str, body: Value| {
        let request = amparo.request(method, path, token).json(&body);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert!(status.is_success(), "{status}: {body}");
            body
        }
    };
    send(Method::POST, "/api/v1/households", token, json!({})).await;
    let invitation = send(Method::POST, "/api/v1/households/current/invitations", token, json!({})).await;
    let sister = amparo.member().await;
    send(
        Method::POST,
        "/api/v1/households/join",
        &sister,
        json!({"code": invitation["code"]}),
    )
    .await;
    let me = send(Method::GET, "/api/v1/accounts/me", &sister, Value::Null).await;
    amparo.encounter(&sister).await;
    format!(
        "{} is recording an encounter",
        me["username"].as_str().expect("username")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_reaches_firefox_decrypted_and_shown() {
    let firefox = firefox();
    let e2e = common::npm_dir("e2e");
    common::ensure_npm_packages(&e2e, "puppeteer-core");
    common::ensure_npm_packages(&e2e, "ws");
    let out: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e").join("push");
    let _ = std::fs::remove_dir_all(&out);

    let push = Running::start(
        "the push service",
        Command::new("node").arg(e2e.join("push-service.mjs")).arg("0"),
    );
    let push_port: u16 = push.wait_for(Duration::from_secs(20), |line| {
        line.strip_prefix("push service listening on port ")
            .and_then(|port| port.trim().parse().ok())
    });

    let data = tempfile::tempdir().expect("temp dir");
    let amparo = Amparo::spawn_with(
        data.path(),
        &[("AMPARO_ALERTS__PUSH__ALLOW_LOOPBACK_ENDPOINTS", "true")],
    );

    let browser = Running::start(
        "Firefox (tests/e2e/push.mjs)",
        Command::new("node")
            .arg(e2e.join("push.mjs"))
            .args([&amparo.base, &push_port.to_string()])
            .arg(&out)
            .env("AMPARO_FIREFOX", &firefox),
    );
    let ready = browser.wait_for(Duration::from_secs(60), |line| {
        json_line(line).filter(|v| v["ready"] == true)
    });
    let token = ready["token"].as_str().expect("token");
    let endpoint = ready["endpoint"].as_str().expect("endpoint");
    assert!(
        endpoint.starts_with(&format!("http://127.0.0.1:{push_port}/wpush/")),
        "Firefox subscribed through the local push service: {ready}"
    );
    assert_eq!(ready["status"], "Alerts will reach this device.", "{ready}");

    let title = trigger_alert(&amparo, token).await;

    // What the push service received: one message, accepted after its strict checks.
    let received = push.wait_for(Duration::from_secs(20), |line| {
        json_line(line).filter(|v| v["event"] == "push")
    });
    assert_eq!(
        received["status"], 201,
        "the push service accepted the message: {received}"
    );
    assert_eq!(received["urgency"], "high", "{received}");
    assert_eq!(received["encoding"], "aes128gcm", "{received}");
    assert_eq!(
        received["claims"]["aud"],
        format!("http://127.0.0.1:{push_port}"),
        "VAPID aud is the origin with its port: {received}"
    );

    let shown = browser.wait_for(Duration::from_secs(60), |line| {
        json_line(line).filter(|v| v["notifications"].is_array())
    });
    let notifications = shown["notifications"].as_array().expect("notifications");
    assert_eq!(notifications.len(), 1, "{shown}");
    assert_eq!(notifications[0]["title"], title.as_str(), "{shown}");
    assert!(
        notifications[0]["body"].as_str().is_some_and(|b| !b.is_empty()),
        "the body was decrypted too: {shown}"
    );
    let messages = shown["messages"].as_array().expect("messages");
    assert!(
        messages
            .iter()
            .any(|m| m["title"] == title.as_str() && m["message"]["title"] == title.as_str()),
        "the worker posted the decrypted payload to the page: {shown}"
    );
}
