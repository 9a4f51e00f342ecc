//! A micro benchmark of the hot path that any backend can run: how many log appends per second
//! the store takes from a group-commit sequencer. Not a check: it asserts only that the log it
//! built is the one it planned.

use super::{DAY, Sequencer, T0, fresh_name, new_account, ok, upload};
use crate::Store;
use std::fmt;
use std::time::{Duration, Instant};

/// What [`append_rate`] measured.
#[derive(Clone, Debug)]
pub struct AppendRate {
    pub batches: usize,
    pub entries_per_batch: usize,
    pub uploads: usize,
    pub hashes_per_entry: f64,
    pub elapsed: Duration,
    /// Time of one `append_batch` call: median, 99th percentile, slowest.
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// CPU time of the whole process (all threads) while appending, where the OS tells it.
    pub cpu: Option<Duration>,
}

impl AppendRate {
    pub fn appends_per_second(&self) -> f64 {
        (self.batches * self.entries_per_batch) as f64 / self.elapsed.as_secs_f64()
    }
}

impl fmt::Display for AppendRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.0} appends/s: {} batches of {} entries (each a chunk of a different upload of {} under way; \
             {:.2} stored hashes per entry) in {:.2?}; per batch p50 {:.2?}, p99 {:.2?}, max {:.2?}",
            self.appends_per_second(),
            self.batches,
            self.entries_per_batch,
            self.uploads,
            self.hashes_per_entry,
            self.elapsed,
            self.p50,
            self.p99,
            self.max,
        )?;
        if let Some(cpu) = self.cpu {
            // On a shared machine wall time varies with the neighbours; CPU per batch much less.
            write!(f, "; CPU {:.2?} per batch", cpu / self.batches.max(1) as u32)?;
        }
        Ok(())
    }
}

/// Appends `batches` batches of `entries_per_batch` entries, each entry a chunk of a different
/// one of `uploads` recordings (`uploads` must be at least `entries_per_batch`), and times the
/// `append_batch` calls alone: batches are planned (SHA-256 and all) before the clock starts.
/// Batch `b` takes a chunk from every fourth upload starting at `b`, so the upload rows one batch
/// updates are spread over the table as in real traffic.
pub async fn append_rate(store: &dyn Store, uploads: usize, entries_per_batch: usize, batches: usize) -> AppendRate {
    assert!(
        uploads >= entries_per_batch && batches > 0,
        "append_rate needs uploads >= entries_per_batch, batches > 0"
    );
    let owner = ok(
        store.create_account(&new_account(fresh_name("bench"))).await,
        "create_account",
    );
    let encounter = super::encounter(owner.id, T0);
    ok(store.create_encounter(&encounter).await, "create_encounter");
    let mut recordings = Vec::with_capacity(uploads);
    for _ in 0..uploads {
        let mut u = upload(&encounter, T0);
        u.expires_at_us = T0 + 365 * DAY;
        ok(store.create_upload(&u).await, "create_upload");
        recordings.push(u);
    }

    let mut sequencer = Sequencer::resume(store).await;
    let stride = if uploads >= entries_per_batch * 4 { 4 } else { 1 };
    let mut planned = Vec::with_capacity(batches);
    for b in 0..batches {
        let picks: Vec<(usize, u64)> = (0..entries_per_batch)
            .map(|i| ((b + i * stride) % uploads, 16_384))
            .collect();
        let plan = sequencer.plan(&recordings, &picks);
        planned.push(plan.batch.clone());
        recordings = sequencer.accept(plan);
    }
    let hashes: usize = planned.iter().map(|b| b.hashes.len()).sum();

    let mut times = Vec::with_capacity(batches);
    let cpu_before = cpu_time();
    let started = Instant::now();
    for batch in &planned {
        let t = Instant::now();
        ok(store.append_batch(batch).await, "append_batch");
        times.push(t.elapsed());
    }
    let elapsed = started.elapsed();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    times.sort();

    let resumed = Sequencer::resume(store).await;
    assert_eq!(
        (resumed.size(), resumed.root()),
        (sequencer.size(), sequencer.root()),
        "the log appended"
    );
    AppendRate {
        batches,
        entries_per_batch,
        uploads,
        hashes_per_entry: hashes as f64 / (batches * entries_per_batch) as f64,
        elapsed,
        p50: times[batches / 2],
        p99: times[batches * 99 / 100],
        max: times[batches - 1],
        cpu,
    }
}

/// User plus system CPU time of this process, all threads, from Linux's `/proc` (10 ms ticks).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}
