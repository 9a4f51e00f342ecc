//! `checkpoint-latency`: how long after a receipt arrives a client can fetch a signed checkpoint
//! that covers it. A sampler task polls `GET /log/checkpoint` every 10 ms (verifying each
//! checkpoint's signature, as a client would) while receipts are outstanding; a receipt is covered
//! once a checkpoint's size exceeds its index. Polling adds up to 10 ms to every figure.
//!
//! Baseline: the configured checkpoint interval, the wait the design itself implies (a receipt
//! lands somewhere within an interval, so about half of it at p50 and all of it at p99).

use crate::outcome::Outcome;
use crate::stats::{Latencies, ms};
use amparo_core::keys::PublicKey;
use anyhow::{Context, Result};
use reqwest::StatusCode;
use std::time::Duration;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender, error::TryRecvError};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

const POLL: Duration = Duration::from_millis(10);
/// After the load ends, how long to wait for the last receipts to be covered. Receipts promise a
/// second; anything still uncovered after this counts against the target.
const GIVE_UP: Duration = Duration::from_secs(5);
pub const TARGET: Duration = Duration::from_secs(1);

/// What the sampler saw.
#[derive(Debug)]
pub struct Samples {
    pub latencies: Latencies,
    /// Receipts no checkpoint covered before the sampler gave up.
    pub uncovered: usize,
    pub polls: u64,
}

/// Starts the sampler; send it `(arrival, log index)` for each receipt, and drop every sender
/// when the load is over.
pub fn spawn(base: &str, key: PublicKey) -> (UnboundedSender<(Instant, u64)>, JoinHandle<Result<Samples>>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let url = format!("{base}/log/checkpoint");
    (tx, tokio::spawn(sample(url, key, rx)))
}

async fn sample(url: String, key: PublicKey, mut receipts: UnboundedReceiver<(Instant, u64)>) -> Result<Samples> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let mut ticks = tokio::time::interval(POLL);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (mut pending, mut covered) = (Vec::new(), Vec::new());
    let mut load_over: Option<Instant> = None;
    let mut polls = 0;
    loop {
        ticks.tick().await;
        loop {
            match receipts.try_recv() {
                Ok(receipt) => pending.push(receipt),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    load_over.get_or_insert_with(Instant::now);
                    break;
                }
            }
        }
        let gave_up = load_over.is_some_and(|t| t.elapsed() > GIVE_UP);
        if (load_over.is_some() && pending.is_empty()) || gave_up {
            break;
        }
        if pending.is_empty() {
            continue;
        }
        let size = checkpoint_size(&client, &url, &key).await?;
        polls += 1;
        let seen = Instant::now();
        pending.retain(|&(arrived, index): &(Instant, u64)| {
            let done = index < size;
            if done {
                covered.push(seen - arrived);
            }
            !done
        });
    }
    Ok(Samples {
        latencies: Latencies::new(covered),
        uncovered: pending.len(),
        polls,
    })
}

/// The size of the published checkpoint, after checking its signature; 0 before the first.
async fn checkpoint_size(client: &reqwest::Client, url: &str, key: &PublicKey) -> Result<u64> {
    let response = client.get(url).send().await?;
    if response.status() == StatusCode::NOT_FOUND {
        return Ok(0);
    }
    let text = response.error_for_status()?.text().await?;
    let checkpoint = amparo_core::checkpoint::verify(key, &text).context("GET /log/checkpoint")?;
    Ok(checkpoint.size)
}

pub fn outcome(samples: &Samples, interval: Duration) -> Outcome {
    let l = &samples.latencies;
    let mut measured = format!(
        "p50 {}, p99 {}, max {} (n {})",
        ms(l.p50()),
        ms(l.p99()),
        ms(l.max()),
        l.len()
    );
    if samples.uncovered > 0 {
        measured += &format!(", {} never covered", samples.uncovered);
    }
    Outcome {
        name: "checkpoint-latency",
        measured,
        baseline: format!("checkpoint interval {}", ms(interval)),
        ratio: l.p99().as_secs_f64() / interval.as_secs_f64(),
        ratio_is: "p99 / interval",
        target: "p99 <= 1 s",
        pass: l.len() > 0 && samples.uncovered == 0 && l.p99() <= TARGET,
    }
}
