//! `amparo serve` against a NATS server that asks for a user and password (docs/scale-out.md,
//! "Authentication"): with the right ones in `bus_url` it starts; with a wrong password it exits
//! at once, saying authentication failed and naming bus_url, and shows the password nowhere.

mod common;
#[allow(dead_code)]
#[path = "../../server/tests/support/nats_server.rs"]
mod nats_server;

use common::{Amparo, refused_start};
use nats_server::NatsServer;
use std::time::Duration;

const PASSWORD: &str = "right-s3cret";

#[test]
fn serve_starts_with_the_right_nats_password_and_refuses_a_wrong_one() {
    let nats = NatsServer::start(&["--user", "amparo", "--pass", PASSWORD]);
    let data = tempfile::tempdir().expect("data dir");

    let wrong = nats.url("amparo:wrong-s3cret");
    let stderr = refused_start(
        data.path(),
        &[("AMPARO_BUS_URL", wrong.as_str())],
        Duration::from_secs(30),
    );
    assert!(stderr.contains("bus_url"), "{stderr}");
    assert!(stderr.contains("authentication"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "a password is shown: {stderr}");

    let right = nats.url(&format!("amparo:{PASSWORD}"));
    let node = Amparo::spawn_with(data.path(), &[("AMPARO_BUS_URL", right.as_str())]);
    drop(node);
}
