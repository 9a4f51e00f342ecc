//! The attorney line in real browsers (docs/attorney-line.md): an organization, its admin, a vetted
//! attorney and a member holding one of its seats; the attorney on duty in the console, their
//! connection cut and back on duty by itself; the member's button with "call an attorney too", the
//! ring, the call, media both ways, the recording uploading throughout, a note, and the
//! encounter's bundle with that note. Once directly over loopback, once forced through Debian's
//! coturn with the credentials the server issues. tests/e2e/call.mjs drives the pages; this file
//! sets up, checks what the server holds, and runs both inside a network namespace with only `lo`,
//! so no packet of a test leaves the machine.

mod common;

use common::{Amparo, PASSWORD, admin, assert_no_audit_problems, verify_file};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One browser scenario at a time: two cores cannot encode several fake cameras and keep time.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread")]
async fn a_member_and_an_attorney_talk_while_the_recording_uploads() {
    let _one = BROWSER.lock().await;
    if !in_network_namespace("a_member_and_an_attorney_talk_while_the_recording_uploads") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let amparo = Amparo::spawn(dir.path());
    let (result, out) = call_scenario(&amparo, dir.path(), "call-direct", false).await;
    check_call(&amparo, &result, &out).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_forced_through_turn_relays_with_the_servers_credentials() {
    let _one = BROWSER.lock().await;
    if !in_network_namespace("a_call_forced_through_turn_relays_with_the_servers_credentials") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = format!("turn-secret-{}", rand::random::<u64>());
    let turn = Coturn::start(dir.path(), &secret);
    let config = dir.path().join("amparo.toml");
    std::fs::write(
        &config,
        format!(
            "[turn]\nurls = [\"turn:127.0.0.1:{}?transport=udp\"]\nsecret = \"{secret}\"\nttl_secs = 600\n",
            turn.port
        ),
    )
    .expect("config");
    let config = config.to_str().expect("utf-8 path").to_owned();
    let amparo = Amparo::spawn_with(dir.path(), &[("AMPARO_CONFIG", config.as_str())]);
    let (result, out) = call_scenario(&amparo, dir.path(), "call-relay", true).await;
    check_call(&amparo, &result, &out).await;
    let details = &result["details"];
    for side in ["member", "attorney"] {
        let stats = &details["after"][side];
        assert_eq!(
            stats["iceTransportPolicy"], "relay",
            "{side} asked for relay only: {stats}"
        );
        assert_eq!(
            stats["pair"]["local"]["candidateType"], "relay",
            "{side}'s selected candidate pair goes through the relay: {stats}"
        );
    }
    drop(turn);
}

/// [`common::in_network_namespace`], with coturn checked first (outside the namespace).
fn in_network_namespace(test: &str) -> bool {
    if std::env::var_os(common::NETNS_VAR).is_none() {
        ensure_tools();
    }
    common::in_network_namespace(test)
}

fn ensure_tools() {
    common::ensure_browser_tools();
    assert!(
        Path::new("/usr/bin/turnserver").exists(),
        "/usr/bin/turnserver is missing: the TURN test needs Debian's coturn (apt-get install coturn); .ci/run installs it"
    );
}

/// The organization, its admin, the attorney (role only: the admin vets them in the browser) and
/// the member with a seat; then the browsers.
async fn call_scenario(amparo: &Amparo, data_dir: &Path, name: &str, relay: bool) -> (Value, PathBuf) {
    let name_of = |role: &str| format!("{role}{}", rand::random::<u32>());
    let (org_admin, attorney, member) = (name_of("orgadmin"), name_of("attorney"), name_of("member"));
    amparo.sign_up(&org_admin).await;
    let attorney_id = amparo.sign_up(&attorney).await;
    amparo.sign_up(&member).await;
    let created = admin(
        data_dir,
        &[
            "create-org",
            "Legal Aid of the Valley",
            "--seats",
            "5",
            "--backup-line",
            "+1 555 010 0100",
        ],
    );
    let org = created
        .strip_prefix("organization ")
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the id is printed")
        .to_owned();
    admin(data_dir, &["add-org-admin", &org, &org_admin]);
    admin(data_dir, &["grant-role", &attorney, "attorney"]);
    let seat = amparo
        .request(
            Method::POST,
            &format!("/api/v1/organizations/{org}/seats"),
            &amparo.log_in(&org_admin).await,
        )
        .json(&json!({"username": member}))
        .send()
        .await
        .expect("give a seat");
    assert_eq!(seat.status(), StatusCode::CREATED, "the member gets a seat");

    let out = common::e2e_out(name);
    std::fs::create_dir_all(&out).expect("out dir");
    let setup = out.join("setup.json");
    let credentials = |username: &str| json!({"username": username, "password": PASSWORD});
    let mut attorney_setup = credentials(&attorney);
    attorney_setup["id"] = json!(attorney_id);
    let setup_json = json!({
        "orgAdmin": credentials(&org_admin),
        "attorney": attorney_setup,
        "member": credentials(&member),
        "relay": relay,
    });
    std::fs::write(&setup, setup_json.to_string()).expect("setup");
    let result = common::run_e2e("call.mjs", &[amparo.base.as_ref(), out.as_ref(), setup.as_ref()]);
    (result, out)
}

/// What both tests check: the ring, media both ways, the recording uploading during the call and
/// after it, and the bundle (as the member exports it and as the attorney downloaded it) verifies
/// and carries the attorney's note.
async fn check_call(amparo: &Amparo, result: &Value, out: &Path) {
    let details = &result["details"];
    println!(
        "ring latency, button press to the attorney's ring: {} ms; selected pairs: member {} / attorney {}",
        details["ringLatencyMs"], details["after"]["member"]["pair"], details["after"]["attorney"]["pair"]
    );
    assert_eq!(
        details["askChecked"], true,
        "a seat with an attorney line offers the choice, on: {details}"
    );
    assert_eq!(
        details["ring"]["role"], "alert",
        "screen readers announce the ring: {details}"
    );
    let reconnected = &details["dutyAfterReconnect"];
    assert!(
        reconnected["sockets"].as_u64() >= Some(2) && reconnected["state"] == "on",
        "after a dropped connection the console was on duty again, and the ring still came: {reconnected}"
    );
    assert!(
        details["memberStatus"]
            .as_str()
            .is_some_and(|s| s.contains(details["attorneyName"].as_str().expect("name"))),
        "the member sees who is on the line: {details}"
    );
    for side in ["member", "attorney"] {
        let (before, after) = (&details["before"][side], &details["after"][side]);
        assert_eq!(after["connectionState"], "connected", "{side}: {after}");
        let grew = after["bytesReceived"].as_u64().expect("bytes") - before["bytesReceived"].as_u64().expect("bytes");
        assert!(
            grew > 20_000,
            "{side} received media during the call ({grew} bytes): {before} -> {after}"
        );
        for kind in ["audio", "video"] {
            assert!(
                after["inbound"][kind].as_u64() > before["inbound"][kind].as_u64(),
                "{side} received {kind}: {before} -> {after}"
            );
        }
    }
    let safe = &details["safe"];
    let seconds = |key: &str| safe[key].as_f64().expect("seconds");
    assert!(
        seconds("during") - seconds("before") >= 1.5,
        "the recording kept reaching the server during the call: {safe}"
    );
    assert!(
        seconds("afterHangup") > seconds("atHangup"),
        "and after the attorney hung up: {safe}"
    );
    assert_no_audit_problems(details);

    let encounter = result["encounter"]["id"].as_str().expect("encounter id");
    let token = result["token"].as_str().expect("token");
    let path = out.join("bundle.zip");
    let (ok, report) = amparo.export_and_verify(token, encounter, &path).await;
    assert!(ok, "the bundle verifies:\n{report}");
    let note = details["note"].as_str().expect("note");
    for bundle in [
        path.clone(),
        PathBuf::from(result["attorneyBundle"].as_str().expect("path")),
    ] {
        let notes = bundle_file(&bundle, "notes.json");
        assert!(
            notes.contains(note),
            "{} carries the attorney's note: {notes}",
            bundle.display()
        );
    }
    verify_file(Path::new(result["attorneyBundle"].as_str().expect("path")));
    let listed = amparo
        .request(
            Method::GET,
            &format!("/api/v1/encounters/{encounter}/notes"),
            result["attorneyToken"].as_str().expect("attorney token"),
        )
        .send()
        .await
        .expect("notes");
    assert_eq!(listed.status(), StatusCode::OK);
    assert!(listed.text().await.expect("text").contains(note), "the notes list it");
}

/// A file of a bundle (zip) as text, found by the end of its name.
fn bundle_file(path: &Path, name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).expect("bundle")).expect("zip");
    let entry = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.ends_with(name))
        .unwrap_or_else(|| panic!("{} has {name}", path.display()))
        .into_owned();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name(&entry).expect("entry"), &mut text).expect("UTF-8");
    text
}

/// Debian's coturn on loopback, checking credentials in the REST scheme against `secret`.
struct Coturn {
    child: Child,
    port: u16,
}

impl Coturn {
    fn start(dir: &Path, secret: &str) -> Self {
        let port = free_udp_port();
        let child = Command::new("/usr/bin/turnserver")
            .args([
                "-n",
                "--listening-ip=127.0.0.1",
                "--relay-ip=127.0.0.1",
                &format!("--listening-port={port}"),
                "--use-auth-secret",
                &format!("--static-auth-secret={secret}"),
                "--realm=amparo.test",
                "--no-tls",
                "--no-dtls",
                "--allow-loopback-peers",
                "--no-cli",
                "--fingerprint",
                "--no-software-attribute",
                "--simple-log",
                "--no-stdout-log",
            ])
            .arg(format!("--log-file={}", dir.join("turn.log").display()))
            .arg(format!("--pidfile={}", dir.join("turn.pid").display()))
            .arg(format!("--userdb={}", dir.join("turndb").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("turnserver starts");
        let turn = Coturn { child, port };
        turn.wait_ready();
        turn
    }

    /// Ready when it answers a STUN binding request (RFC 5389): no sleeping on a guess.
    fn wait_ready(&self) {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("udp");
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        let mut request = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42];
        request.extend_from_slice(&rand::random::<[u8; 12]>());
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut answer = [0u8; 512];
        while Instant::now() < deadline {
            socket.send_to(&request, ("127.0.0.1", self.port)).expect("send");
            if let Ok((n, _)) = socket.recv_from(&mut answer)
                && n >= 20
                && answer[..2] == [0x01, 0x01]
                && answer[8..20] == request[8..20]
            {
                return;
            }
        }
        panic!("coturn did not answer on 127.0.0.1:{}", self.port);
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    // Inside the test's own network namespace nothing else takes the port in between.
    UdpSocket::bind("127.0.0.1:0")
        .expect("udp")
        .local_addr()
        .expect("address")
        .port()
}
