//! How many log appends per second a SQLite store takes from the group-commit sequencer: batches
//! of 256 entries, each a chunk of a different one of 1,024 recordings under way, with the real
//! stored hashes (about two per entry). A benchmark, so ignored by default; run it with
//!
//! ```text
//! cargo test --release -p amparo-store-sqlite --test append_rate -- --ignored --nocapture
//! ```
//!
//! `AMPARO_BENCH_BATCHES` sets the number of batches (default 200). The database goes in
//! `AMPARO_BENCH_DIR` (default: the system's temporary directory): put it on the disk the server
//! will use, since every commit waits for an fsync.

use amparo_store::conformance::append_rate;
use amparo_store_sqlite::SqliteStore;

#[tokio::test]
#[ignore = "a benchmark: run it with --ignored --nocapture"]
async fn append_rate_of_256_entry_batches() {
    let dir = match std::env::var_os("AMPARO_BENCH_DIR") {
        Some(parent) => tempfile::tempdir_in(parent),
        None => tempfile::tempdir(),
    }
    .expect("a temporary directory");
    let batches = std::env::var("AMPARO_BENCH_BATCHES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let store = SqliteStore::open(&dir.path().join("bench.db")).await.expect("open");
    let rate = append_rate(&store, 1024, 256, batches).await;
    println!("SQLite append_batch: {rate}");
}
