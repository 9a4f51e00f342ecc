//! `ingest`: phones sending 1 MiB chunks back to back, each answered only once durable and
//! logged, in decimal MB/s of acknowledged chunks.
//!
//! Ceiling, measured in the same run on the same disk (the server's own temp dir): as many
//! threads as phones hashing the same 1 MiB buffers with SHA-256 and writing each to a new file
//! with fsync of the file and its directory (see `disk`). It runs for half the time just before
//! the server's run and half just after, and the two are pooled, so a machine that gets busier
//! or quieter during the run moves both sides alike. Ratio: server MB/s / ceiling MB/s.

use crate::cpu;
use crate::disk::{self, Written};
use crate::outcome::Outcome;
use crate::phone::{self, Phone, noise};
use crate::server::BenchServer;
use crate::stats::{Latencies, mb_per_s};
use anyhow::{Context, Result};
use bytes::Bytes;
use std::path::Path;
use std::time::{Duration, Instant};

pub const CHUNK_BYTES: usize = 1024 * 1024;
pub const TARGET_RATIO: f64 = 0.7;

pub async fn run(uploaders: usize, seconds: u64) -> Result<Vec<Outcome>> {
    let duration = Duration::from_secs(seconds);
    let server = BenchServer::start("ingest").await?;
    let phones = phone::enroll(&server.base, uploaders).await?;
    let buffers: Vec<Bytes> = (0..uploaders).map(|i| noise(CHUNK_BYTES, 1_000 + i as u64)).collect();

    let before = ceiling(server.dir.path(), &buffers, duration / 2).await?;
    server.timings(); // Forget the setup's writes.
    let cpu = cpu::process_cpu();
    let start = Instant::now();
    let tasks: Vec<_> = phones
        .iter()
        .zip(&buffers)
        .map(|(p, b)| tokio::spawn(back_to_back(p.clone(), server.base.clone(), b.clone(), duration)))
        .collect();
    let (mut bytes, mut latencies) = (0, Vec::new());
    for task in tasks {
        let (sent, times) = task.await??;
        bytes += sent;
        latencies.extend(times);
    }
    let elapsed = start.elapsed();
    let cpu = cpu::describe(cpu, cpu::process_cpu(), elapsed);
    let (batches, puts) = server.timings();
    let after = ceiling(server.dir.path(), &buffers, duration / 2).await?;

    let rate = mb_per_s(bytes, elapsed);
    let latencies = Latencies::new(latencies);
    let ceiling_rate = mb_per_s(before.bytes + after.bytes, before.elapsed + after.elapsed);
    println!(
        "  disk ceiling: {ceiling_rate:.1} MB/s (before {:.1}, after {:.1}); process CPU {}",
        mb_per_s(before.bytes, before.elapsed),
        mb_per_s(after.bytes, after.elapsed),
        cpu::describe(
            Some(Duration::ZERO),
            Some(before.cpu + after.cpu),
            before.elapsed + after.elapsed
        )
    );
    println!(
        "  server: {rate:.1} MB/s ({} MiB in {:.1} s); process CPU {cpu}",
        bytes >> 20,
        elapsed.as_secs_f64()
    );
    println!("  PATCH: {}", latencies.describe());
    println!("  blobs: {}", puts.describe_puts());
    println!("  sequencer: {}", batches.describe_batches(elapsed));
    drop(phones);
    server.stop().await?;

    let ratio = rate / ceiling_rate.max(1e-9);
    Ok(vec![Outcome {
        name: "ingest",
        measured: format!("{rate:.1} MB/s ({uploaders} phones, 1 MiB chunks)"),
        baseline: format!("fsync+SHA-256 ceiling {ceiling_rate:.1} MB/s"),
        ratio,
        ratio_is: "server / ceiling",
        target: "ratio >= 0.7",
        pass: ratio >= TARGET_RATIO,
    }])
}

/// What one stretch of the ceiling wrote, and the process's CPU time meanwhile.
struct Ceiling {
    bytes: u64,
    elapsed: Duration,
    cpu: Duration,
}

/// The disk ceiling for `duration`, in a directory of its own that is removed afterwards (so its
/// files neither take the server's space nor slow its directory lookups).
async fn ceiling(dir: &Path, buffers: &[Bytes], duration: Duration) -> Result<Ceiling> {
    let dir = dir.join("ceiling");
    std::fs::create_dir(&dir)?;
    let (inner, buffers) = (dir.clone(), buffers.to_vec());
    let cpu = cpu::process_cpu();
    let Written { bytes, elapsed } =
        tokio::task::spawn_blocking(move || disk::fsync_ceiling(&inner, &buffers, duration)).await??;
    let cpu = cpu
        .zip(cpu::process_cpu())
        .map_or(Duration::ZERO, |(before, after)| after.saturating_sub(before));
    std::fs::remove_dir_all(&dir)?;
    Ok(Ceiling { bytes, elapsed, cpu })
}

/// Sends chunks one after another until `duration` has passed; returns bytes acknowledged and
/// each PATCH's latency.
async fn back_to_back(phone: Phone, base: String, chunk: Bytes, duration: Duration) -> Result<(u64, Vec<Duration>)> {
    let start = Instant::now();
    let (mut offset, mut latencies) = (0u64, Vec::new());
    // Bounded by time; each request by the client's timeout.
    while start.elapsed() < duration {
        let sent = Instant::now();
        let patched = phone.patch(&base, offset, chunk.clone()).await?;
        latencies.push(sent.elapsed());
        offset += chunk.len() as u64;
        anyhow::ensure!(
            patched.offset == Some(offset),
            "the server says offset {:?}, expected {offset}",
            patched.offset
        );
        patched.receipt.context("no receipt")?;
    }
    Ok((offset, latencies))
}
