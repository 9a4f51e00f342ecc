//! A deployment of several `amparo serve` processes for `scale-out`, set up as docs/scale-out.md
//! tells an operator to: one PostgreSQL database, one S3 bucket (s3s-fs, a strict S3 server that
//! checks every signature), NATS for the live events when one answers, and the first node's key
//! files copied to the others. Every node listens on its own loopback port; nothing is shared
//! in-process.
//!
//! What it needs, each found the way the tests find it:
//! - PostgreSQL where the user may `CREATE DATABASE`: `AMPARO_BENCH_POSTGRES_URL`, else
//!   `AMPARO_TEST_POSTGRES_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`. Each
//!   deployment gets a fresh database, dropped when it stops.
//! - s3s-fs: `AMPARO_TEST_S3FS`, else `.ci/cache/bin/s3s-fs`, else on the PATH (`.ci/run`
//!   installs it; the message says how to by hand).
//! - NATS: `AMPARO_TEST_NATS_URL`, else `nats://127.0.0.1:4222`; the nodes run without a bus
//!   (each its own in-process one) if nothing listens there, and the run says so. Uploads and the
//!   log do not use the bus.
//! - The `amparo` binary: built beside this one (`cargo build -p amparo`, same profile) unless
//!   `AMPARO_BENCH_AMPARO` names one.

use amparo_core::keys::LogKey;
use amparo_server::log::SEQUENCER_LEASE;
use amparo_store::Store;
use amparo_store_postgres::PostgresStore;
use anyhow::{Context, Result, bail, ensure};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[allow(dead_code)] // The tests' helpers; the benchmark uses only part of each.
#[path = "../../store-postgres/tests/common/mod.rs"]
mod postgres;
#[allow(dead_code)]
#[path = "../../server/tests/support/s3fs.rs"]
mod s3fs;

pub use s3fs::S3Fs;

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_NATS: &str = "nats://127.0.0.1:4222";
/// The key files every node of a deployment shares (docs/scale-out.md).
const SHARED_KEYS: [&str; 3] = ["log.key", "messages.key", "push.key"];
/// How long a node may take to say where it listens, and the deployment to elect a sequencer.
const START_WITHIN: Duration = Duration::from_secs(60);

/// The servers every deployment of a run shares: s3s-fs (one bucket; each deployment a prefix of
/// its own), and where PostgreSQL and NATS are.
pub struct Backing {
    postgres: String,
    pub s3: S3Fs,
    pub nats: Option<String>,
    amparo: PathBuf,
}

impl Backing {
    pub async fn start() -> Result<Self> {
        let postgres = std::env::var("AMPARO_BENCH_POSTGRES_URL")
            .or_else(|_| std::env::var("AMPARO_TEST_POSTGRES_URL"))
            .unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
        PgConnection::connect(&postgres).await.with_context(|| {
            format!(
                "PostgreSQL is not reachable at {} (set AMPARO_BENCH_POSTGRES_URL to a server where the user may \
                 CREATE DATABASE)",
                redacted(&postgres)
            )
        })?;
        let nats = std::env::var("AMPARO_TEST_NATS_URL").unwrap_or_else(|_| DEFAULT_NATS.to_owned());
        let nats = listening(&nats).then_some(nats);
        let amparo = amparo_binary()?;
        let s3 = tokio::task::spawn_blocking(S3Fs::start).await?;
        Ok(Self {
            postgres,
            s3,
            nats,
            amparo,
        })
    }

    /// What the deployments run on, in one line.
    pub fn describe(&self) -> String {
        format!(
            "PostgreSQL at {}, s3s-fs at {}, {}",
            redacted(&self.postgres),
            self.s3.endpoint,
            self.nats.as_deref().map_or_else(
                || "no NATS answering (each node its own in-process bus)".to_owned(),
                |url| format!("NATS at {url}")
            )
        )
    }
}

/// One running deployment.
pub struct Deployment {
    nodes: Nodes,
    /// Each node's `http://127.0.0.1:<port>`, in start order.
    pub bases: Vec<String>,
    /// The deployment's database, for the lease.
    pub store: PostgresStore,
    /// The log's key, as every node holds it: the benchmark forwards appends as a node does.
    pub key: LogKey,
    database: String,
    postgres: String,
    _dirs: Vec<tempfile::TempDir>,
}

impl Deployment {
    /// `n` nodes on a fresh database and bucket prefix, once one of them sequences the log.
    pub async fn start(backing: &Backing, n: usize, name: &str) -> Result<Self> {
        let database = format!("amparo_bench_{name}_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&backing.postgres).await?;
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .execute(&mut admin)
            .await
            .with_context(|| format!("CREATE DATABASE {database}"))?;
        let url = postgres::with_database(&backing.postgres, &database);
        let store = PostgresStore::connect(&url).await?;
        let cluster = format!("bench{}", uuid::Uuid::new_v4().simple());
        // Short: s3s-fs keeps an object's metadata in a file named after its whole key, and a
        // chunk's key is already 120 characters.
        let blob_prefix = format!("{name}-{}", &cluster[5..13]);
        // Killed if a later node fails to start.
        let mut nodes = Nodes(Vec::new());
        let (mut bases, mut dirs) = (Vec::new(), Vec::<tempfile::TempDir>::new());
        for i in 0..n {
            let dir = crate::server::temp_dir(&format!("node{i}"))?;
            if let Some(first) = dirs.first() {
                for file in SHARED_KEYS {
                    std::fs::copy(first.path().join(file), dir.path().join(file))
                        .with_context(|| format!("copying {file} to node {i}"))?;
                }
            }
            let (child, base) = spawn_node(backing, &url, &blob_prefix, &cluster, dir.path())?;
            nodes.0.push(child);
            bases.push(base);
            dirs.push(dir);
        }
        // The first node made the deployment's key; the others run on copies of it.
        let key_file = dirs[0].path().join("log.key");
        let key = LogKey::from_private_string(&std::fs::read_to_string(&key_file)?)?;
        let deployment = Self {
            nodes,
            bases,
            store,
            key,
            database,
            postgres: backing.postgres.clone(),
            _dirs: dirs,
        };
        deployment.sequencer().await?;
        Ok(deployment)
    }

    /// The node that sequences the log (the lease's holder), once there is one.
    pub async fn sequencer(&self) -> Result<String> {
        let deadline = Instant::now() + START_WITHIN;
        // Bounded by the deadline.
        loop {
            if let Some(holder) = self.store.lease_holder(SEQUENCER_LEASE).await?
                && self.bases.contains(&holder)
            {
                return Ok(holder);
            }
            ensure!(
                Instant::now() < deadline,
                "no node took the sequencer's lease within {START_WITHIN:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Each node's process id, in start order.
    pub fn pids(&self) -> Vec<u32> {
        self.nodes.0.iter().map(Child::id).collect()
    }

    /// Stops every node (SIGKILL: nothing of theirs is kept) and drops the database.
    pub async fn stop(mut self) -> Result<()> {
        self.nodes.kill();
        self.store.close().await;
        let mut admin = PgConnection::connect(&self.postgres).await?;
        sqlx::query(AssertSqlSafe(format!("DROP DATABASE {} WITH (FORCE)", self.database)))
            .execute(&mut admin)
            .await?;
        Ok(())
    }
}

/// A deployment's node processes. A benchmark that fails half-way leaves no server running (the
/// database stays: its name starts `amparo_bench_`).
struct Nodes(Vec<Child>);

impl Nodes {
    /// SIGKILL: nothing of theirs is kept.
    fn kill(&mut self) {
        for node in &mut self.0 {
            let _ = node.kill();
            let _ = node.wait();
        }
        self.0.clear();
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A node of the deployment whose media go under `blob_prefix` and whose live events under
/// `cluster` on the bus.
fn spawn_node(
    backing: &Backing,
    database_url: &str,
    blob_prefix: &str,
    cluster: &str,
    dir: &Path,
) -> Result<(Child, String)> {
    let s3 = backing.s3.settings();
    let mut command = Command::new(&backing.amparo);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .env("AMPARO_DATABASE_URL", database_url)
        .env("AMPARO_BLOB_URL", backing.s3.blob_url(blob_prefix))
        .env("AMPARO_S3__ENDPOINT", &s3.endpoint)
        .env("AMPARO_S3__REGION", &s3.region)
        .env("AMPARO_S3__ACCESS_KEY_ID", &s3.access_key_id)
        .env("AMPARO_S3__SECRET_ACCESS_KEY", s3.secret_access_key.expose())
        .env("AMPARO_S3__ALLOW_HTTP", "true")
        .env("AMPARO_BUS_CLUSTER", cluster)
        // The load is many phones from one address, each its own account: the limits would
        // measure the limiter, not the deployment (as `server::unthrottled` in-process).
        .env("AMPARO_LIMITS__ACCOUNT_REQUESTS_PER_SECOND", "1000000")
        .env("AMPARO_LIMITS__ACCOUNT_BURST", "1000000")
        .env("AMPARO_LIMITS__ANONYMOUS_REQUESTS_PER_MINUTE", "1000000")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(nats) = &backing.nats {
        command.env("AMPARO_BUS_URL", nats);
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("running {}", backing.amparo.display()))?;
    let stdout = child.stdout.take().context("the node's stdout")?;
    // Its address is the line it prints once it listens; its stdout is drained for as long as it
    // runs, so a full pipe never blocks it.
    let (found, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut found = Some(found);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(address) = line.strip_prefix("amparo listening on ")
                && let Some(found) = found.take()
            {
                let _ = found.send(address.trim().to_owned());
            }
        }
    });
    match address.recv_timeout(START_WITHIN) {
        Ok(base) => Ok((child, base)),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            bail!("a node did not say where it listens within {START_WITHIN:?} (its errors are above)")
        }
    }
}

/// The `amparo` binary the nodes run: `AMPARO_BENCH_AMPARO`, else built now beside this one, in
/// the same profile, so a node never runs older code than the benchmark was built from (cargo
/// takes a moment when nothing changed).
fn amparo_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("AMPARO_BENCH_AMPARO") {
        return Ok(PathBuf::from(path));
    }
    let this = std::env::current_exe()?;
    let release = this
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir == "release");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "-p", "amparo"]).current_dir(workspace);
    if release {
        build.arg("--release");
    }
    println!(
        "  building the amparo binary the nodes run ({})",
        if release { "release" } else { "debug" }
    );
    let status = build.status().context("running cargo to build amparo")?;
    ensure!(status.success(), "building amparo failed ({status})");
    let binary = this.with_file_name("amparo");
    ensure!(
        binary.exists(),
        "cargo built amparo, but not at {} (set AMPARO_BENCH_AMPARO to its path)",
        binary.display()
    );
    Ok(binary)
}

/// Whether something accepts TCP connections at the URL's host and port.
fn listening(url: &str) -> bool {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let authority = authority.split('/').next().unwrap_or(authority);
    use std::net::ToSocketAddrs;
    authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .is_some_and(|address| std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok())
}

/// The URL without a password, for messages.
fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://…@{host}"),
        _ => url.to_owned(),
    }
}
