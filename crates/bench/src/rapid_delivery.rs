//! `rapid-delivery`: one verified incident delivered to every subscriber watching its cell, each
//! on a live WebSocket to one node (issue 6: 20,000 subscribers, p99 < 2 s). Measured from the
//! responder's verify request leaving the client to each subscriber's socket receiving the
//! incident, for [`ROUNDS`] incidents, pooled.
//!
//! The subscribers' sockets live in child processes ([`crate::subscriber_process`]), so this
//! process spends its open-files limit on the server's ends only: on a machine whose hard limit
//! is 20,000 (as here, and not raisable without privilege), the run holds as many subscribers as
//! the limit leaves room for and says how many.
//!
//! Baseline: the same verify request, in the same run, for an incident in a cell nobody watches
//! (the verification's own commit and round trip, no fan-out). Ratio: p99 of delivery / p99 of
//! that.

use crate::household_seed;
use crate::open_files;
use crate::outcome::Outcome;
use crate::server::{self, BenchServer};
use crate::stats::{Latencies, ms};
use crate::subscriber_process::unix_us;
use amparo_core::geo::Precision;
use amparo_core::ids::WatchAreaId;
use amparo_core::roles::Role;
use amparo_server::clock::now_us;
use amparo_server::state::Services;
use amparo_store::{Store, WatchArea};
use anyhow::{Context, Result, anyhow, ensure};
use futures::StreamExt;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

pub const TARGET_P99: Duration = Duration::from_secs(2);
/// Incidents delivered, each to every subscriber.
pub const ROUNDS: usize = 5;
/// Child processes holding the subscribers' sockets.
const CHILDREN: usize = 2;
/// Descriptors this process keeps back beside the server's ends of the sockets.
const RESERVE: u64 = 1_500;
const READY_WITHIN: Duration = Duration::from_secs(300);
const DELIVERED_WITHIN: Duration = Duration::from_secs(60);
/// The watched place: central Chicago.
const PLACE: (f64, f64) = (41.8781, -87.6298);
/// A place nobody watches, for the baseline.
const NOWHERE: (f64, f64) = (41.7100, -87.8900);
/// Store calls in flight while seeding.
const AT_ONCE: usize = 16;

pub async fn run(requested: usize) -> Result<Outcome> {
    let files = open_files::raise_to_hard_limit();
    let room = usize::try_from(files.soft.saturating_sub(files.in_use).saturating_sub(RESERVE))?;
    let subscribers = requested.min(room);
    println!("  {}", files.describe());
    if subscribers < requested {
        println!(
            "  the open-files limit leaves room for {subscribers} server-side sockets in this process: \
             measuring {subscribers} subscribers, not {requested}"
        );
    }
    let dir = server::temp_dir("rapid-delivery")?;
    let server = BenchServer::start_with(dir, Services::ephemeral()).await?;
    let people = seed(&*server.store, subscribers).await?;

    let url = crate::live_sockets::live_url(&server.base);
    let mut children = Vec::new();
    let (lines, mut arrivals) = mpsc::unbounded_channel::<(i64, String)>();
    for (n, share) in people
        .subscribers
        .chunks(subscribers.div_ceil(CHILDREN).max(1))
        .enumerate()
    {
        let path = server.dir.path().join(format!("tokens-{n}"));
        std::fs::write(&path, share.join("\n"))?;
        children.push(spawn_child(&url, &path, lines.clone()).await?);
    }
    drop(lines);
    println!("  {subscribers} subscribers connected over the live WebSocket, in {CHILDREN} processes");

    let client = reqwest::Client::new();
    let mut delivery = Vec::new();
    let mut alone = Vec::new();
    let mut missing = 0;
    for round in 0..ROUNDS {
        let watched = report(&client, &server.base, &people.reporters[round * 2], PLACE).await?;
        let sent = unix_us();
        verify(&client, &server.base, &people.responder, &watched).await?;
        let seen = await_arrivals(&mut arrivals, subscribers).await;
        missing += subscribers - seen.len();
        delivery.extend(
            seen.into_iter()
                .map(|at| Duration::from_micros(u64::try_from(at - sent).unwrap_or(0))),
        );

        let unwatched = report(&client, &server.base, &people.reporters[round * 2 + 1], NOWHERE).await?;
        let sent = unix_us();
        verify(&client, &server.base, &people.responder, &unwatched).await?;
        alone.push(Duration::from_micros(u64::try_from(unix_us() - sent).unwrap_or(0)));
    }
    for mut child in children {
        drop(child.stdin.take());
        let _ = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
    }
    server.stop().await?;

    let delivery = Latencies::new(delivery);
    let alone = Latencies::new(alone);
    println!(
        "  delivery: p50 {}, p95 {}, p99 {}, max {} (n {}, {missing} not delivered)",
        ms(delivery.p50()),
        ms(delivery.percentile(95.0)),
        ms(delivery.p99()),
        ms(delivery.max()),
        delivery.len()
    );
    Ok(Outcome {
        name: "rapid-delivery",
        measured: format!(
            "{subscribers} subscribers: verify to socket p50 {}, p99 {}, {missing} missing",
            ms(delivery.p50()),
            ms(delivery.p99())
        ),
        baseline: format!("verify alone p99 {}", ms(alone.p99())),
        ratio: delivery.p99().as_secs_f64() / alone.p99().as_secs_f64().max(1e-9),
        ratio_is: "p99 / verify-alone p99",
        target: "p99 < 2 s to 20,000 subscribers, none missing",
        pass: delivery.p99() < TARGET_P99 && missing == 0 && subscribers >= requested,
    })
}

struct People {
    responder: String,
    reporters: Vec<String>,
    subscribers: Vec<String>,
}

/// The responder, a reporter for each report, and the subscribers, each with one watch area on
/// the watched place's cell; written through the `Store` trait (not part of any figure).
async fn seed(store: &dyn Store, subscribers: usize) -> Result<People> {
    let started = std::time::Instant::now();
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
    let responder = household_seed::account(store, hash, "responder".into()).await?;
    store.grant_role(responder, Role::Responder).await?;
    let responder = household_seed::session(store, responder).await?;
    let mut reporters = Vec::new();
    for n in 0..ROUNDS * 2 {
        let id = household_seed::account(store, hash, format!("reporter{n}")).await?;
        reporters.push(household_seed::session(store, id).await?);
    }
    let cell = Precision::default().cell_of(PLACE.0, PLACE.1)?;
    let subscribers: Vec<String> = futures::stream::iter(0..subscribers)
        .map(|n| async move {
            let account = household_seed::account(store, hash, format!("sub{n:06}")).await?;
            let area = WatchArea {
                id: WatchAreaId::new(),
                account,
                label: "home".into(),
                cells: vec![cell],
                created_at_us: now_us(),
            };
            store.save_watch_area(&area, 10).await?;
            household_seed::session(store, account).await
        })
        .buffered(AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    println!(
        "  seeded {} subscribers watching one cell in {:.1} s (not part of any figure)",
        subscribers.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(People {
        responder,
        reporters,
        subscribers,
    })
}

/// Starts a child holding the sockets of the tokens in `path`, and waits until they are ready;
/// its arrival lines go to `lines`.
async fn spawn_child(url: &str, path: &std::path::Path, lines: mpsc::UnboundedSender<(i64, String)>) -> Result<Child> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("subscribers")
        .arg("--url")
        .arg(url)
        .arg("--tokens")
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting a subscribers process")?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut reader = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(READY_WITHIN, reader.next_line())
        .await
        .context("the subscribers process was not ready in time")??
        .unwrap_or_default();
    ensure!(ready.starts_with("ready "), "the subscribers process said {ready:?}");
    tokio::spawn(async move {
        while let Ok(Some(line)) = reader.next_line().await {
            let mut parts = line.split(' ');
            let (_, at, id) = (parts.next(), parts.next(), parts.next());
            if let (Some(Ok(at)), Some(id)) = (at.map(str::parse::<i64>), id)
                && lines.send((at, id.to_owned())).is_err()
            {
                return;
            }
        }
    });
    Ok(child)
}

/// The arrival times of one incident, one per socket, until all `expected` came or time ran
/// out. Arrivals of other incidents (there are none in flight) are ignored.
async fn await_arrivals(arrivals: &mut mpsc::UnboundedReceiver<(i64, String)>, expected: usize) -> Vec<i64> {
    let deadline = tokio::time::Instant::now() + DELIVERED_WITHIN;
    let mut seen = Vec::with_capacity(expected);
    let mut incident: Option<String> = None;
    while seen.len() < expected {
        match tokio::time::timeout_at(deadline, arrivals.recv()).await {
            Ok(Some((at, id))) => {
                if incident.get_or_insert_with(|| id.clone()) == &id {
                    seen.push(at);
                }
            }
            Ok(None) | Err(_) => break,
        }
    }
    seen
}

async fn report(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    (latitude, longitude): (f64, f64),
) -> Result<String> {
    let body = json!({
        "kind": "checkpoint",
        "place": {"latitude": latitude, "longitude": longitude},
        "description": "Checkpoint on the avenue, two vehicles",
    });
    let answer: Value = client
        .post(format!("{base}/api/v1/reports"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    answer["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("a report without an id: {answer}"))
}

async fn verify(client: &reqwest::Client, base: &str, token: &str, report: &str) -> Result<()> {
    client
        .post(format!("{base}/api/v1/reports/{report}/verify"))
        .bearer_auth(token)
        .json(&json!({"how": "in_person"}))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}
