//! A paced population: every phone sends one chunk per period, phones staggered evenly across the
//! first period so they do not all fire at the same instant (a real population doesn't).
//!
//! Latency is measured from the start of a PATCH to its response headers, which carry the
//! receipt. The body is 64 KiB on loopback, so its transfer is well under a millisecond: this is
//! the "end of the request to receipt" time within noise.
//!
//! A phone never has two PATCHes in flight (tus forbids it): if one takes longer than the period,
//! the next is sent as soon as it returns and counted as late, so a stall shows in the figures
//! rather than quietly lowering the load.

use crate::phone::{Phone, noise};
use crate::stats::Latencies;
use amparo_core::keys::PublicKey;
use amparo_core::receipt::Receipt;
use anyhow::{Result, ensure};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::{Instant, MissedTickBehavior};

/// How a run checks answers: against the HTTP floor (nothing to check) or the real server.
#[derive(Clone, Debug)]
pub enum Expect {
    Floor,
    /// Every answer must carry a receipt that verifies with this key; each one's arrival time and
    /// log index go to the sender (the checkpoint sampler), if any.
    Receipts {
        key: Arc<PublicKey>,
        sampled: Option<UnboundedSender<(Instant, u64)>>,
    },
}

/// The load: `chunks` chunks per phone, of `chunk_bytes`, one per `period`.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    pub chunks: u64,
    pub chunk_bytes: usize,
    pub period: Duration,
}

/// What a run measured.
#[derive(Debug)]
pub struct PacedRun {
    pub latencies: Latencies,
    /// Chunks sent more than a tenth of a period after their slot.
    pub late: u64,
    pub errors: usize,
    pub first_error: Option<String>,
}

impl PacedRun {
    /// One line: latencies, and lateness and errors if any.
    pub fn describe(&self) -> String {
        let mut text = self.latencies.describe();
        if self.late > 0 {
            text += &format!(", {} sent late", self.late);
        }
        if let Some(error) = &self.first_error {
            text += &format!(", {} errors (first: {error})", self.errors);
        }
        text
    }
}

struct PhoneRun {
    latencies: Vec<Duration>,
    late: u64,
    error: Option<String>,
}

/// Runs the paced load against `base` and waits for every phone to finish.
pub async fn run(phones: &[Phone], base: &str, pace: Pace, expect: Expect) -> Result<PacedRun> {
    run_across(phones, &[base.to_owned()], pace, expect).await
}

/// The same load over several nodes of one deployment, as a load balancer without stickiness
/// spreads it: each phone sends its chunks to the nodes in turn, starting at a node of its own.
pub async fn run_across(phones: &[Phone], bases: &[String], pace: Pace, expect: Expect) -> Result<PacedRun> {
    ensure!(!phones.is_empty(), "no phones to run");
    ensure!(!bases.is_empty(), "no server to run against");
    let bases: Arc<[String]> = bases.into();
    // A moment for every task to be spawned before the first slot.
    let t0 = Instant::now() + Duration::from_millis(100);
    let count = u32::try_from(phones.len())?;
    let tasks: Vec<_> = phones
        .iter()
        .enumerate()
        .map(|(i, phone)| {
            let slot = t0 + pace.period * u32::try_from(i).unwrap_or(u32::MAX) / count;
            let chunk = noise(pace.chunk_bytes, i as u64);
            tokio::spawn(pace_one(
                phone.clone(),
                Rotation {
                    bases: bases.clone(),
                    first: i,
                },
                slot,
                pace,
                chunk,
                expect.clone(),
            ))
        })
        .collect();
    drop(expect); // The sampler ends when the last phone's sender is gone.
    let mut all = Vec::with_capacity(phones.len() * pace.chunks as usize);
    let (mut late, mut errors, mut first_error) = (0, 0, None);
    for task in tasks {
        let run = task.await?;
        all.extend(run.latencies);
        late += run.late;
        if let Some(error) = run.error {
            errors += 1;
            first_error.get_or_insert(error);
        }
    }
    Ok(PacedRun {
        latencies: Latencies::new(all),
        late,
        errors,
        first_error,
    })
}

/// The nodes a phone sends to, in turn.
struct Rotation {
    bases: Arc<[String]>,
    first: usize,
}

impl Rotation {
    fn base(&self, chunk: u64) -> &str {
        &self.bases[(self.first + chunk as usize) % self.bases.len()]
    }
}

async fn pace_one(
    phone: Phone,
    rotation: Rotation,
    slot: Instant,
    pace: Pace,
    chunk: bytes::Bytes,
    expect: Expect,
) -> PhoneRun {
    let mut ticks = tokio::time::interval_at(slot, pace.period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut run = PhoneRun {
        latencies: Vec::with_capacity(pace.chunks as usize),
        late: 0,
        error: None,
    };
    let mut offset = 0u64;
    // Bounded by count; each request is bounded by the client's timeout.
    for n in 0..pace.chunks {
        let scheduled = ticks.tick().await;
        if scheduled.elapsed() > pace.period / 10 {
            run.late += 1;
        }
        let start = Instant::now();
        let answer = phone.patch(rotation.base(n), offset, chunk.clone()).await;
        let arrived = Instant::now();
        let next = offset + chunk.len() as u64;
        match answer.and_then(|patched| check(&expect, &patched, next, arrived)) {
            Ok(()) => run.latencies.push(arrived - start),
            Err(error) => {
                // The upload's offset is now unknown: this phone stops rather than pile up 409s.
                run.error = Some(format!("{error:#}"));
                break;
            }
        }
        offset = next;
    }
    run
}

fn check(expect: &Expect, patched: &crate::phone::Patched, next: u64, arrived: Instant) -> Result<()> {
    let Expect::Receipts { key, sampled } = expect else {
        return Ok(());
    };
    ensure!(
        patched.offset == Some(next),
        "the server says offset {:?}, expected {next}",
        patched.offset
    );
    let header = patched
        .receipt
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("no Amparo-Receipt header"))?;
    let receipt = Receipt::from_header(header)?;
    receipt.verify(key)?;
    if let Some(sampled) = sampled {
        // The sampler may have given up already; the receipt itself was fine.
        let _ = sampled.send((arrived, receipt.index));
    }
    Ok(())
}
