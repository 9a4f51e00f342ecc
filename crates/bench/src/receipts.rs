//! `receipts` (and the combined run that also samples `checkpoint-latency`): a population of
//! phones on loopback, each sending a 64 KiB chunk every second, and the time each PATCH takes to
//! come back with its signed receipt.
//!
//! Baseline: the same phones sending the same requests (same headers, same bodies, same pacing) to
//! the HTTP floor in the same process, just before the real run. Ratio: p99 / floor p99.
//! Between the two, a diagnostic: the same pace of chunk writes straight into the blob store
//! (`blob_floor`), to tell the disk's tail from the server's.

use crate::blob_floor;
use crate::checkpoints;
use crate::cpu;
use crate::floor::Floor;
use crate::outcome::Outcome;
use crate::paced::{self, Expect, Pace, PacedRun};
use crate::phone;
use crate::server::BenchServer;
use crate::stats::ms;
use anyhow::Result;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const CHUNK_BYTES: usize = 64 * 1024;
pub const TARGET_P99: Duration = Duration::from_millis(50);

/// Which figures a run produces.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Measure {
    Receipts,
    Checkpoints,
    Both,
}

pub async fn run(uploaders: usize, seconds: u64, measure: Measure) -> Result<Vec<Outcome>> {
    let pace = Pace {
        chunks: seconds,
        chunk_bytes: CHUNK_BYTES,
        period: Duration::from_secs(1),
    };
    let server = BenchServer::start("receipts").await?;
    let enrolled = Instant::now();
    let phones = phone::enroll(&server.base, uploaders).await?;
    println!(
        "  {uploaders} phones signed up, logged in and opened uploads in {:.1} s",
        enrolled.elapsed().as_secs_f64()
    );

    let floor = if measure == Measure::Checkpoints {
        None
    } else {
        let floor = Floor::start().await?;
        let run = paced::run(&phones, &floor.base, pace, Expect::Floor).await?;
        floor.stop().await?;
        println!("  HTTP floor: {}", run.describe());
        let blobs = blob_floor::run(server.dir.path(), phones.len(), pace).await?;
        println!(
            "  blob floor: {} (LocalFileSystem puts alone, same pace; a diagnostic)",
            blobs.describe()
        );
        Some(run)
    };

    let key = phone::log_key(&server.base).await?;
    let (sampled, sampler) = if measure == Measure::Receipts {
        (None, None)
    } else {
        let (tx, task) = checkpoints::spawn(&server.base, key.clone());
        (Some(tx), Some(task))
    };
    server.timings(); // Forget the setup's writes.
    let expect = Expect::Receipts {
        key: Arc::new(key),
        sampled,
    };
    let (started, cpu) = (Instant::now(), cpu::process_cpu());
    let real = paced::run(&phones, &server.base, pace, expect).await?;
    let elapsed = started.elapsed();
    let cpu = cpu::describe(cpu, cpu::process_cpu(), elapsed);
    let (batches, puts) = server.timings();
    println!("  server:     {}; process CPU {cpu}", real.describe());
    println!("  blobs:      {}", puts.describe_puts());
    println!("  sequencer:  {}", batches.describe_batches(elapsed));
    let samples = match sampler {
        Some(task) => Some(task.await??),
        None => None,
    };
    let interval = server.checkpoint_interval;
    drop(phones); // Close the phones' connections so the server can stop at once.
    server.stop().await?;

    let mut outcomes = Vec::new();
    if let Some(floor) = floor {
        outcomes.push(outcome(&real, &floor));
    }
    if let Some(samples) = samples {
        println!("  checkpoint sampler: {} polls of GET /log/checkpoint", samples.polls);
        outcomes.push(checkpoints::outcome(&samples, interval));
    }
    Ok(outcomes)
}

fn outcome(real: &PacedRun, floor: &PacedRun) -> Outcome {
    let (p99, floor_p99) = (real.latencies.p99(), floor.latencies.p99());
    let mut measured = format!(
        "p50 {}, p99 {} (n {})",
        ms(real.latencies.p50()),
        ms(p99),
        real.latencies.len()
    );
    if real.errors > 0 {
        measured += &format!(", {} phones failed", real.errors);
    }
    Outcome {
        name: "receipts",
        measured,
        baseline: format!("HTTP floor p50 {}, p99 {}", ms(floor.latencies.p50()), ms(floor_p99)),
        ratio: p99.as_secs_f64() / floor_p99.as_secs_f64().max(1e-9),
        ratio_is: "p99 / floor p99",
        target: "p99 < 50 ms",
        pass: real.errors == 0 && floor.errors == 0 && p99 < TARGET_P99,
    }
}
