//! `log-appends`: appends per second through the real `amparo_server::log::Log` (its group-commit
//! sequencer over a SQLite store), driven in-process by many tasks, each with its own upload and
//! one append in flight, as many phones' PATCHes would be.
//!
//! Baseline: the store's own `append_batch` ceiling in the same run: batches of 4,096 entries,
//! planned ahead (leaf hashes, Merkle stored hashes) and written back to back by one task, with
//! only the writes timed. Ratio: log appends/s / store appends/s. The log pays for everything the
//! baseline leaves out: hashing in the sequencer, the channel and replies, and batches no larger
//! than the number of appends in flight.

use crate::cpu;
use crate::outcome::Outcome;
use crate::server::temp_dir;
use crate::timed_store::TimedStore;
use crate::timing::CallStats;
use amparo_core::ids::{AccountId, EncounterId, RecordingId};
use amparo_core::keys::LogKey;
use amparo_core::leaf::{CHAIN_START, EvidenceLeaf, chain_next, sha256};
use amparo_server::clock::now_us;
use amparo_server::limits::LogSettings;
use amparo_server::log::Log;
use amparo_store::conformance::{Planned, Sequencer};
use amparo_store::{AppendBatch, Encounter, NewAccount, Store, Upload};
use amparo_store_sqlite::SqliteStore;
use anyhow::Result;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub const TARGET: f64 = 20_000.0;
/// The baseline's batch size: the sequencer's largest.
const RAW_BATCH: usize = 4_096;
/// Batches planned before each timed stretch of writes: enough to write back to back, few
/// enough to keep memory small.
const PLAN_AHEAD: usize = 8;
/// Every chunk is nominally a second of video.
const CHUNK_LENGTH: u64 = 64 * 1024;
const DAY_US: i64 = 86_400_000_000;

pub async fn run(tasks: usize, seconds: u64) -> Result<Vec<Outcome>> {
    let duration = Duration::from_secs(seconds);
    let raw = store_ceiling(tasks, duration).await?;
    println!("  store append_batch ceiling: {raw:.0} appends/s ({RAW_BATCH}-entry batches, writes only)");
    let LogRun {
        appended,
        elapsed,
        batches,
        cpu,
    } = through_log(tasks, duration).await?;
    let rate = appended as f64 / elapsed.as_secs_f64();
    println!("  log: {rate:.0} appends/s with {tasks} tasks; process CPU {cpu}");
    println!("  sequencer: {}", batches.describe_batches(elapsed));
    let ratio = rate / raw.max(1e-9);
    Ok(vec![Outcome {
        name: "log-appends",
        measured: format!(
            "{rate:.0} appends/s ({tasks} tasks, mean batch {:.0})",
            batches.mean_items()
        ),
        baseline: format!("store append_batch {raw:.0} appends/s"),
        ratio,
        ratio_is: "log / store",
        target: ">= 20,000 appends/s",
        pass: rate >= TARGET,
    }])
}

/// An account, an encounter and `n` empty uploads, written straight to the store.
async fn seed(store: &dyn Store, n: usize) -> Result<Vec<Upload>> {
    let now = now_us();
    let account = store
        .create_account(&NewAccount {
            id: AccountId::new(),
            username: format!("bench{}", uuid::Uuid::new_v4().simple()),
            // The store keeps the hash as opaque text; nobody logs in here.
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
            created_at_us: now,
        })
        .await?;
    let encounter = Encounter {
        id: EncounterId::new(),
        owner: account.id,
        started_at_us: now,
        ended_at_us: None,
        latitude: None,
        longitude: None,
        accuracy_m: None,
        us_state: Some("CA".into()),
        language: Some("es".into()),
        wants_attorney: true,
        note: None,
    };
    store.create_encounter(&encounter).await?;
    let mut uploads = Vec::with_capacity(n);
    for _ in 0..n {
        let upload = Upload {
            id: RecordingId::new(),
            encounter: encounter.id,
            owner: account.id,
            length: None,
            offset: 0,
            chain: CHAIN_START,
            media_type: Some("video/webm".into()),
            metadata: String::new(),
            created_at_us: now,
            expires_at_us: now + DAY_US,
            terminated_at_us: None,
        };
        store.create_upload(&upload).await?;
        uploads.push(upload);
    }
    Ok(uploads)
}

/// Store appends per second, counting only the time inside `append_batch`.
async fn store_ceiling(uploads: usize, duration: Duration) -> Result<f64> {
    let dir = temp_dir("store-ceiling")?;
    let store = SqliteStore::open(&dir.path().join("amparo.db")).await?;
    let mut uploads = seed(&store, uploads).await?;
    let mut sequencer = Sequencer::resume(&store).await;
    // Consecutive chunks of each upload, spread over all of them, as a busy server's batch is.
    let chunks: Vec<(usize, u64)> = (0..RAW_BATCH).map(|i| (i % uploads.len(), CHUNK_LENGTH)).collect();
    let (mut entries, mut writing) = (0u64, Duration::ZERO);
    // Bounded by the time spent writing.
    while writing < duration {
        let mut planned = Vec::with_capacity(PLAN_AHEAD);
        for _ in 0..PLAN_AHEAD {
            let mut plan: Planned = sequencer.plan(&uploads, &chunks);
            let empty = AppendBatch {
                first_index: 0,
                entries: Vec::new(),
                hashes: Vec::new(),
            };
            planned.push(std::mem::replace(&mut plan.batch, empty));
            uploads = sequencer.accept(plan);
        }
        for batch in &planned {
            let start = Instant::now();
            store.append_batch(batch).await?;
            writing += start.elapsed();
            entries += batch.entries.len() as u64;
        }
    }
    store.close().await;
    Ok(entries as f64 / writing.as_secs_f64())
}

/// What the run through the log did.
struct LogRun {
    appended: u64,
    elapsed: Duration,
    batches: CallStats,
    cpu: String,
}

/// Appends through `Log::append` for `duration` from `tasks` tasks.
async fn through_log(tasks: usize, duration: Duration) -> Result<LogRun> {
    let dir = temp_dir("log-appends")?;
    let sqlite = SqliteStore::open(&dir.path().join("amparo.db")).await?;
    let store = Arc::new(TimedStore::new(Arc::new(sqlite.clone())));
    let uploads = seed(store.as_ref(), tasks).await?;
    let key = Arc::new(LogKey::generate("bench.amparo.local/log")?);
    let interval = Duration::from_millis(LogSettings::default().checkpoint_interval_ms);
    let stop = CancellationToken::new();
    let (log, log_tasks) = Log::start(store.clone(), key, interval, stop.clone()).await?;

    store.batches.drain(); // Forget the setup's writes.
    let cpu = cpu::process_cpu();
    let start = Instant::now();
    let deadline = start + duration;
    let handles: Vec<_> = uploads
        .into_iter()
        .map(|upload| tokio::spawn(append_until(log.clone(), upload, deadline)))
        .collect();
    let mut appended = 0;
    for handle in handles {
        appended += handle.await??;
    }
    let elapsed = start.elapsed();
    let cpu = cpu::describe(cpu, cpu::process_cpu(), elapsed);
    let batches = store.batches.drain();
    stop.cancel();
    log_tasks.finish().await;
    sqlite.close().await;
    Ok(LogRun {
        appended,
        elapsed,
        batches,
        cpu,
    })
}

/// One upload's chunks, appended one after another until `deadline`.
async fn append_until(log: Log, upload: Upload, deadline: Instant) -> Result<u64> {
    let (mut offset, mut chain, mut appended) = (0u64, CHAIN_START, 0u64);
    // Bounded by time; each append waits for one commit.
    while Instant::now() < deadline {
        let chunk_sha256 = sha256(&[upload.id.as_bytes().as_slice(), &offset.to_be_bytes()].concat());
        chain = chain_next(&chain, &chunk_sha256);
        let received_at_us = now_us();
        let leaf = EvidenceLeaf {
            encounter_id: upload.encounter,
            recording_id: upload.id,
            offset,
            length: CHUNK_LENGTH,
            chunk_sha256,
            chain_sha256: chain,
            received_at_us,
        };
        log.append(leaf, received_at_us + DAY_US).await?;
        offset += CHUNK_LENGTH;
        appended += 1;
    }
    Ok(appended)
}
