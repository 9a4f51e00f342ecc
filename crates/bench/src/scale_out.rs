//! `scale-out`: ingest and log appends through 1, 2 and 3 `amparo serve` processes sharing one
//! PostgreSQL database and one S3 bucket ([`cluster`](crate::cluster)), each phone sending its
//! chunks to the nodes in turn, as a load balancer without stickiness would. Only the node that
//! holds the sequencer's lease appends; the others forward each leaf to it over HTTP.
//!
//! For each node count, on a fresh deployment:
//! - **receipts at a steady load**: phones sending one 64 KiB chunk a second (the `receipts`
//!   population), PATCH to signed receipt, p50/p99;
//! - **saturated ingest**: phones sending 64 KiB chunks back to back: appends per second (each
//!   one a chunk stored in S3, committed and receipted), and the receipt latency under it, split
//!   into chunks the sequencing node took itself and chunks forwarded to it;
//! - **the sequencer's own ceiling**: many tasks sending leaves straight to the sequencing node's
//!   `POST /internal/v1/log/append` with the node token, as forwarding nodes do, with no chunk
//!   bytes behind them: appends per second the sequencer commits when nothing else is asked of
//!   the deployment.
//!
//! Every node runs on the same two cores, so more nodes do not add capacity here: what the run
//! shows is that spreading the load over nodes costs only the forward hop, and that the
//! sequencer has room to spare. Targets (BENCHMARKS.md): the 3-node rate at least half the
//! 1-node rate (ratio 3 nodes / 1 node), the sequencer's ceiling at least twice the best rate the
//! deployment reached (ratio ceiling / best), and receipt p99 under 50 ms at the steady load on
//! every node count (the `receipts` target; ratio worst p99 / 1-node p99).

use crate::cluster::{Backing, Deployment};
use crate::cpu;
use crate::outcome::Outcome;
use crate::paced::{self, Expect, Pace};
use crate::phone::{self, Phone, noise};
use crate::stats::{Latencies, ms};
use amparo_core::ids::{EncounterId, RecordingId};
use amparo_core::keys::PublicKey;
use amparo_core::leaf::{CHAIN_START, EvidenceLeaf, chain_next, sha256};
use amparo_core::receipt::Receipt;
use amparo_server::clock::now_us;
use amparo_server::log::forward::{FORWARD_PATH, ForwardedAppend, ForwardedPlace, node_token};
use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const CHUNK_BYTES: usize = 64 * 1024;
pub const MAX_NODES: usize = 3;
/// The 3-node rate over the 1-node rate, at least: the forward hop may cost, nothing may
/// serialize.
pub const TARGET_SCALING: f64 = 0.5;
/// The sequencer's ceiling over the best rate the deployment reached, at least.
pub const TARGET_HEADROOM: f64 = 2.0;
pub const TARGET_P99: Duration = Duration::from_millis(50);
/// Tasks sending leaves to the sequencer in its ceiling run: far more than a batch needs.
const CEILING_TASKS: usize = 256;
const DAY_US: i64 = 86_400_000_000;

/// The load, from the command line.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// Phones at the steady pace of one chunk a second.
    pub paced_phones: usize,
    /// Phones sending back to back.
    pub saturating_phones: usize,
    pub seconds: u64,
}

/// What one node count measured.
struct Row {
    nodes: usize,
    paced: Latencies,
    paced_errors: usize,
    appends_per_s: f64,
    saturated: Latencies,
    at_sequencer: Latencies,
    forwarded: Latencies,
    saturated_errors: usize,
    first_error: Option<String>,
    ceiling_per_s: f64,
    ceiling: Latencies,
    node_cpu: String,
}

pub async fn run(load: Load) -> Result<Vec<Outcome>> {
    let backing = Backing::start().await?;
    println!("  on {}", backing.describe());
    let mut rows = Vec::new();
    for nodes in 1..=MAX_NODES {
        let deployment = Deployment::start(&backing, nodes, &format!("n{nodes}")).await?;
        let row = measure(&deployment, load).await;
        deployment.stop().await?;
        let row = row?;
        print_row(&row);
        rows.push(row);
    }
    Ok(outcomes(&rows))
}

async fn measure(deployment: &Deployment, load: Load) -> Result<Row> {
    let nodes = deployment.bases.len();
    let phones = enroll(&deployment.bases, load.paced_phones.max(load.saturating_phones)).await?;
    let key = Arc::new(phone::log_key(&deployment.bases[0]).await?);

    let pace = Pace {
        chunks: load.seconds,
        chunk_bytes: CHUNK_BYTES,
        period: Duration::from_secs(1),
    };
    let expect = Expect::Receipts {
        key: key.clone(),
        sampled: None,
    };
    // The previous deployment's writes (hundreds of MB of chunks) must not be flushed during
    // this one's steady run.
    crate::server::settle_disk().await;
    let paced = paced::run_across(&phones[..load.paced_phones], &deployment.bases, pace, expect).await?;

    // Fresh uploads: the steady run moved the first ones on.
    let saturating = fresh_uploads(&phones[..load.saturating_phones], &deployment.bases[0]).await?;
    let sequencer = deployment.sequencer().await?;
    let cpu_before = read_cpu(deployment);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(load.seconds);
    let tasks: Vec<_> = saturating
        .into_iter()
        .enumerate()
        .map(|(i, phone)| {
            let chunk = noise(CHUNK_BYTES, 7_000 + i as u64);
            tokio::spawn(back_to_back(
                phone,
                deployment.bases.clone(),
                i,
                chunk,
                key.clone(),
                deadline,
            ))
        })
        .collect();
    let (mut all, mut at_sequencer, mut forwarded) = (Vec::new(), Vec::new(), Vec::new());
    let (mut errors, mut first_error) = (0, None);
    for task in tasks {
        let run = task.await?;
        for (base, latency) in run.receipts {
            all.push(latency);
            if deployment.bases[base] == sequencer {
                at_sequencer.push(latency);
            } else {
                forwarded.push(latency);
            }
        }
        if let Some(error) = run.error {
            errors += 1;
            first_error.get_or_insert(error);
        }
    }
    let elapsed = started.elapsed();
    let node_cpu = describe_cpu(deployment, &sequencer, &cpu_before, &read_cpu(deployment), elapsed);
    let appends_per_s = all.len() as f64 / elapsed.as_secs_f64();

    let (ceiling_per_s, ceiling) = sequencer_ceiling(deployment, &sequencer, &phones, load.seconds).await?;
    Ok(Row {
        nodes,
        paced: paced.latencies,
        paced_errors: paced.errors,
        appends_per_s,
        saturated: Latencies::new(all),
        at_sequencer: Latencies::new(at_sequencer),
        forwarded: Latencies::new(forwarded),
        saturated_errors: errors,
        first_error: first_error.or(paced.first_error),
        ceiling_per_s,
        ceiling: Latencies::new(ceiling),
        node_cpu,
    })
}

/// `n` phones, signed up on the nodes in turn (a person's app talks to whichever node the load
/// balancer picks).
async fn enroll(bases: &[String], n: usize) -> Result<Vec<Phone>> {
    let enrolled = Instant::now();
    let mut phones = Vec::with_capacity(n);
    for (i, base) in bases.iter().enumerate() {
        let share = n / bases.len() + usize::from(i < n % bases.len());
        phones.extend(phone::enroll(base, share).await?);
    }
    println!(
        "  {} node(s): {n} phones signed up, logged in and opened uploads in {:.1} s",
        bases.len(),
        enrolled.elapsed().as_secs_f64()
    );
    Ok(phones)
}

/// The same phones, each with a new upload in its encounter.
async fn fresh_uploads(phones: &[Phone], base: &str) -> Result<Vec<Phone>> {
    let mut fresh = Vec::with_capacity(phones.len());
    for phone in phones {
        let upload = phone::create_upload(&phone.client, base, &phone.token, &phone.encounter).await?;
        fresh.push(Phone {
            upload,
            ..phone.clone()
        });
    }
    Ok(fresh)
}

/// What one saturating phone got: for each receipt, the node that gave it and how long it took.
struct Saturated {
    receipts: Vec<(usize, Duration)>,
    error: Option<String>,
}

/// Chunks one after another until `deadline`, each to the next node; every receipt must verify.
async fn back_to_back(
    phone: Phone,
    bases: Vec<String>,
    first: usize,
    chunk: Bytes,
    key: Arc<PublicKey>,
    deadline: Instant,
) -> Saturated {
    let mut run = Saturated {
        receipts: Vec::new(),
        error: None,
    };
    let mut offset = 0u64;
    // Bounded by time; each request by the client's timeout.
    for n in 0.. {
        if Instant::now() >= deadline {
            break;
        }
        let node = (first + n) % bases.len();
        let sent = Instant::now();
        let answer = phone.patch(&bases[node], offset, chunk.clone()).await;
        let latency = sent.elapsed();
        let next = offset + chunk.len() as u64;
        match answer.and_then(|patched| {
            ensure!(
                patched.offset == Some(next),
                "offset {:?}, expected {next}",
                patched.offset
            );
            let receipt = Receipt::from_header(patched.receipt.as_deref().context("no Amparo-Receipt")?)?;
            receipt.verify(&key)?;
            Ok(())
        }) {
            Ok(()) => run.receipts.push((node, latency)),
            Err(error) => {
                // The upload's offset is unknown now: this phone stops rather than pile up 409s.
                run.error = Some(format!("{error:#}"));
                break;
            }
        }
        offset = next;
    }
    run
}

/// Appends per second the sequencing node commits when many forwarders send it leaves at once,
/// and each append's latency, over fresh uploads (one per task) with consecutive chunks.
async fn sequencer_ceiling(
    deployment: &Deployment,
    sequencer: &str,
    phones: &[Phone],
    seconds: u64,
) -> Result<(f64, Vec<Duration>)> {
    let mut uploads = Vec::with_capacity(CEILING_TASKS);
    for i in 0..CEILING_TASKS {
        let phone = &phones[i % phones.len()];
        let path = phone::create_upload(&phone.client, sequencer, &phone.token, &phone.encounter).await?;
        let recording: RecordingId = path.rsplit('/').next().unwrap_or_default().parse()?;
        let encounter: EncounterId = phone.encounter.parse()?;
        uploads.push((encounter, recording));
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CEILING_TASKS)
        .timeout(Duration::from_secs(30))
        .build()?;
    let url: Arc<str> = format!("{sequencer}{FORWARD_PATH}").into();
    let token: Arc<str> = node_token(&deployment.key).into();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = uploads
        .into_iter()
        .map(|(encounter, recording)| {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            tokio::spawn(async move { forward_until(&client, &url, &token, encounter, recording, deadline).await })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    Ok((rate, latencies))
}

/// One upload's leaves, forwarded one after another until `deadline`, as a node forwards them.
async fn forward_until(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    encounter: EncounterId,
    recording: RecordingId,
    deadline: Instant,
) -> Result<Vec<Duration>> {
    let (mut offset, mut chain, mut latencies) = (0u64, CHAIN_START, Vec::new());
    // Bounded by time; each request by the client's timeout.
    while Instant::now() < deadline {
        let chunk_sha256 = sha256(&[recording.as_bytes().as_slice(), &offset.to_be_bytes()].concat());
        chain = chain_next(&chain, &chunk_sha256);
        let received_at_us = now_us();
        let leaf = EvidenceLeaf {
            encounter_id: encounter,
            recording_id: recording,
            offset,
            length: CHUNK_BYTES as u64,
            chunk_sha256,
            chain_sha256: chain,
            received_at_us,
        };
        let body = ForwardedAppend {
            leaf: hex::encode(leaf.encode()),
            upload_expires_at_us: received_at_us + DAY_US,
        };
        let sent = Instant::now();
        let response = client.post(url).bearer_auth(token).json(&body).send().await?;
        let status = response.status();
        ensure!(
            status.is_success(),
            "the sequencer answered a forwarded append with {status}: {}",
            response.text().await.unwrap_or_default()
        );
        let _: ForwardedPlace = response.json().await?;
        latencies.push(sent.elapsed());
        offset += CHUNK_BYTES as u64;
    }
    Ok(latencies)
}

/// CPU time so far: each node's, this process's (the phones), and the whole machine's.
struct CpuReading {
    nodes: Vec<Option<Duration>>,
    phones: Option<Duration>,
    machine: Option<Duration>,
}

fn read_cpu(deployment: &Deployment) -> CpuReading {
    CpuReading {
        nodes: deployment.pids().into_iter().map(cpu::pid_cpu).collect(),
        phones: cpu::process_cpu(),
        machine: cpu::machine_busy(),
    }
}

/// Where the two cores went over the saturated run: each node (the sequencer marked), the phones
/// (this process), and the rest (PostgreSQL, s3s-fs, NATS), in shares of one core.
fn describe_cpu(
    deployment: &Deployment,
    sequencer: &str,
    before: &CpuReading,
    after: &CpuReading,
    elapsed: Duration,
) -> String {
    let share = |before: Option<Duration>, after: Option<Duration>| {
        before
            .zip(after)
            .map(|(b, a)| 100.0 * a.saturating_sub(b).as_secs_f64() / elapsed.as_secs_f64())
    };
    let mut parts = Vec::new();
    let mut nodes_total = Some(0.0);
    for (base, (b, a)) in deployment.bases.iter().zip(before.nodes.iter().zip(&after.nodes)) {
        let role = if base == sequencer { "sequencer" } else { "node" };
        let node = share(*b, *a);
        nodes_total = nodes_total.zip(node).map(|(sum, n)| sum + n);
        parts.push(node.map_or_else(|| format!("{role} ?"), |n| format!("{role} {n:.0}%")));
    }
    let phones = share(before.phones, after.phones);
    if let Some(p) = phones {
        parts.push(format!("phones {p:.0}%"));
    }
    let machine = share(before.machine, after.machine);
    if let (Some(m), Some(n), Some(p)) = (machine, nodes_total, phones) {
        parts.push(format!("the rest {:.0}%; machine busy {m:.0}%", (m - n - p).max(0.0)));
    }
    parts.join(", ")
}

fn print_row(row: &Row) {
    println!("  {} node(s):", row.nodes);
    println!(
        "    steady (1 chunk/s per phone): {}{}",
        row.paced.describe(),
        errors(row.paced_errors)
    );
    println!(
        "    saturated: {:.0} appends/s, {}{}",
        row.appends_per_s,
        row.saturated.describe(),
        errors(row.saturated_errors)
    );
    if row.forwarded.len() > 0 {
        println!(
            "      taken by the sequencer: p50 {}, p99 {}; forwarded: p50 {}, p99 {}",
            ms(row.at_sequencer.p50()),
            ms(row.at_sequencer.p99()),
            ms(row.forwarded.p50()),
            ms(row.forwarded.p99())
        );
    }
    println!("      CPU (shares of one core): {}", row.node_cpu);
    println!(
        "    sequencer ceiling ({CEILING_TASKS} forwarders): {:.0} appends/s, {}",
        row.ceiling_per_s,
        row.ceiling.describe()
    );
    if let Some(error) = &row.first_error {
        println!("    first error: {error}");
    }
}

fn errors(count: usize) -> String {
    match count {
        0 => String::new(),
        n => format!(", {n} phones stopped on an error"),
    }
}

fn outcomes(rows: &[Row]) -> Vec<Outcome> {
    let (Some(one), Some(most)) = (rows.first(), rows.last()) else {
        return Vec::new();
    };
    let clean = rows.iter().all(|r| r.paced_errors == 0 && r.saturated_errors == 0);
    let rates: Vec<String> = rows
        .iter()
        .map(|r| format!("{}: {:.0}/s", r.nodes, r.appends_per_s))
        .collect();
    let scaling = most.appends_per_s / one.appends_per_s.max(1e-9);
    let best = rows.iter().map(|r| r.appends_per_s).fold(0.0, f64::max);
    let ceiling = most.ceiling_per_s;
    let p99s: Vec<String> = rows
        .iter()
        .map(|r| format!("{}: {}", r.nodes, ms(r.paced.p99())))
        .collect();
    let worst = rows.iter().map(|r| r.paced.p99()).max().unwrap_or_default();
    vec![
        Outcome {
            name: "scale-out appends",
            measured: format!("appends/s by nodes {}", rates.join(", ")),
            baseline: format!("1 node {:.0} appends/s", one.appends_per_s),
            ratio: scaling,
            ratio_is: "3 nodes / 1 node",
            target: "ratio >= 0.5 on 2 shared cores",
            pass: clean && scaling >= TARGET_SCALING,
        },
        Outcome {
            name: "scale-out sequencer",
            measured: format!("ceiling {ceiling:.0} appends/s ({} nodes up)", most.nodes),
            baseline: format!("best deployment rate {best:.0} appends/s"),
            ratio: ceiling / best.max(1e-9),
            ratio_is: "ceiling / best rate",
            target: "ratio >= 2",
            pass: ceiling >= TARGET_HEADROOM * best,
        },
        Outcome {
            name: "scale-out receipts",
            measured: format!("steady p99 by nodes {}", p99s.join(", ")),
            baseline: format!("1 node p99 {}", ms(one.paced.p99())),
            ratio: worst.as_secs_f64() / one.paced.p99().as_secs_f64().max(1e-9),
            ratio_is: "worst p99 / 1-node p99",
            target: "p99 < 50 ms on every node count",
            pass: clean && worst < TARGET_P99,
        },
    ]
}
