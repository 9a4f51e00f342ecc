//! A NATS server of a test's own: `/usr/sbin/nats-server` (or `AMPARO_TEST_NATS_SERVER`) on a free
//! loopback port, with the options the test gives it (a user and password, a token...), killed
//! when dropped. For what the shared server at `AMPARO_TEST_NATS_URL` cannot be: configured.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct NatsServer {
    child: Child,
    /// `127.0.0.1:PORT`
    pub address: String,
}

impl NatsServer {
    /// Starts the server with `options` (e.g. `["--user", "amparo", "--pass", "..."]`) and waits
    /// until it accepts connections.
    pub fn start(options: &[&str]) -> Self {
        let binary = std::env::var("AMPARO_TEST_NATS_SERVER").unwrap_or_else(|_| "/usr/sbin/nats-server".to_owned());
        // Port -1: the server picks a free one, and says which.
        let mut child = Command::new(&binary)
            .args(["-a", "127.0.0.1", "-p", "-1"])
            .args(options)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("could not run {binary}: {e} (install nats-server, or set AMPARO_TEST_NATS_SERVER)")
            });
        // It logs where it listens, then that it is ready: read that rather than sleep. Its log is
        // drained for as long as it runs, so a full pipe never blocks it.
        let stderr = child.stderr.take().expect("piped stderr");
        let (found, ready) = mpsc::channel();
        std::thread::spawn(move || {
            let mut address = None;
            let mut found = Some(found);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("Listening for client connections on ") {
                    address = Some(
                        line[at + "Listening for client connections on ".len()..]
                            .trim()
                            .to_owned(),
                    );
                }
                if line.contains("Server is ready")
                    && let (Some(found), Some(address)) = (found.take(), address.clone())
                {
                    let _ = found.send(address);
                }
            }
        });
        let address = match ready.recv_timeout(Duration::from_secs(30)) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                panic!("{binary} did not say it was ready within 30 s")
            }
        };
        Self { child, address }
    }

    /// `nats://<userinfo>@127.0.0.1:PORT`, or without `@` when `userinfo` is empty.
    pub fn url(&self, userinfo: &str) -> String {
        match userinfo {
            "" => format!("nats://{}", self.address),
            _ => format!("nats://{userinfo}@{}", self.address),
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
