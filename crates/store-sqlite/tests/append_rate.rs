//! How many log appends per second a SQLite store takes from the group-commit sequencer: batches
//! of 256 entries, each entry a chunk of a different upload (of 1,024 recordings under way), with
//! the real stored hashes (about two per entry). A benchmark, so ignored by default; run it with
//!
//! ```text
//! cargo test --release -p amparo-store-sqlite --test append_rate -- --ignored --nocapture
//! ```
//!
//! The database goes in `AMPARO_BENCH_DIR` (default: the system's temporary directory): put it
//! on the disk the server will use, since every commit waits for an fsync.

use amparo_store::conformance::Sequencer;
use amparo_store::{NewAccount, Store};
use amparo_store_sqlite::SqliteStore;
use std::time::{Duration, Instant};

const ENTRIES_PER_BATCH: usize = 256;
/// Recordings under way. Each batch takes one chunk from every fourth, so the upload rows it
/// updates are spread over the table as they are in real traffic.
const UPLOADS: usize = 1024;
/// Batches to time, unless `AMPARO_BENCH_BATCHES` says otherwise.
const BATCHES: usize = 200;

#[tokio::test]
#[ignore = "a benchmark: run it with --ignored --nocapture"]
async fn append_rate() {
    let dir = match std::env::var_os("AMPARO_BENCH_DIR") {
        Some(parent) => tempfile::tempdir_in(parent),
        None => tempfile::tempdir(),
    }
    .expect("a temporary directory");
    let store = SqliteStore::open(&dir.path().join("bench.db")).await.expect("open");

    let owner = NewAccount {
        id: amparo_core::ids::AccountId::new(),
        username: "bench".into(),
        password_hash: "x".into(),
        created_at_us: 0,
    };
    store.create_account(&owner).await.expect("create_account");
    let encounter = amparo_store::Encounter {
        id: amparo_core::ids::EncounterId::new(),
        owner: owner.id,
        started_at_us: 0,
        ended_at_us: None,
        latitude: None,
        longitude: None,
        accuracy_m: None,
        us_state: None,
        language: None,
        wants_attorney: false,
        note: None,
    };
    store.create_encounter(&encounter).await.expect("create_encounter");
    let mut uploads = Vec::new();
    for _ in 0..UPLOADS {
        let upload = amparo_store::Upload {
            id: amparo_core::ids::RecordingId::new(),
            encounter: encounter.id,
            owner: owner.id,
            length: None,
            offset: 0,
            chain: amparo_core::leaf::CHAIN_START,
            media_type: Some("audio/webm".into()),
            metadata: String::new(),
            created_at_us: 0,
            expires_at_us: i64::MAX,
            terminated_at_us: None,
        };
        store.create_upload(&upload).await.expect("create_upload");
        uploads.push(upload);
    }

    // Plan every batch first: only the store's work is timed, not the SHA-256 of planning.
    let batch_count = std::env::var("AMPARO_BENCH_BATCHES").ok().and_then(|n| n.parse().ok()).unwrap_or(BATCHES);
    let mut sequencer = Sequencer::resume(&store).await;
    let mut batches = Vec::with_capacity(batch_count);
    for b in 0..batch_count {
        let picks: Vec<(usize, u64)> = (0..ENTRIES_PER_BATCH).map(|i| ((b + i * 4) % UPLOADS, 16_384)).collect();
        let plan = sequencer.plan(&uploads, &picks);
        batches.push(plan.batch.clone());
        uploads = sequencer.accept(plan);
    }
    let hashes: usize = batches.iter().map(|b| b.hashes.len()).sum();

    let mut commits: Vec<Duration> = Vec::with_capacity(batch_count);
    let cpu_before = cpu_time();
    let started = Instant::now();
    for batch in &batches {
        let t = Instant::now();
        store.append_batch(batch).await.expect("append_batch");
        commits.push(t.elapsed());
    }
    let elapsed = started.elapsed();
    let cpu = cpu_time().zip(cpu_before).map(|(after, before)| after.saturating_sub(before));
    commits.sort();

    let entries = ENTRIES_PER_BATCH * batch_count;
    println!(
        "SQLite append_batch: {batch_count} batches of {ENTRIES_PER_BATCH} entries ({:.2} stored hashes and one \
         chunk and upload update per entry) in {elapsed:.2?}: {:.0} appends/s; per batch p50 {:.2?}, p99 {:.2?}, \
         max {:.2?}",
        hashes as f64 / entries as f64,
        entries as f64 / elapsed.as_secs_f64(),
        commits[batch_count / 2],
        commits[batch_count * 99 / 100],
        commits[batch_count - 1],
    );
    if let Some(cpu) = cpu {
        // On a shared machine wall time varies with the neighbours; CPU time per batch does not.
        println!("CPU time (all threads): {cpu:.2?}, {:.2?} per batch", cpu / batch_count as u32);
    }
    let resumed = Sequencer::resume(&store).await;
    assert_eq!((resumed.size(), resumed.root()), (sequencer.size(), sequencer.root()));
}

/// User plus system CPU time of this process, all threads (Linux), in clock ticks of 10 ms.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}
