//! How many log appends per second a PostgreSQL store takes from the group-commit sequencer:
//! batches of 256 entries, each a chunk of a different one of 1,024 recordings under way, with
//! the real stored hashes (about two per entry). A benchmark, so ignored by default; run it with
//!
//! ```text
//! cargo test --release -p amparo-store-postgres --test append_rate -- --ignored --nocapture
//! ```
//!
//! `AMPARO_BENCH_BATCHES` sets the number of batches (default 200).

mod common;

use amparo_store::conformance::append_rate;
use amparo_store_postgres::PostgresStore;

#[tokio::test]
#[ignore = "a benchmark: run it with --ignored --nocapture"]
async fn append_rate_of_256_entry_batches() {
    common::with_fresh_database(|url| async move {
        let batches = std::env::var("AMPARO_BENCH_BATCHES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(200);
        let store = PostgresStore::connect(&url).await.expect("connect");
        let rate = append_rate(&store, 1024, 256, batches).await;
        println!("PostgreSQL append_batch: {rate}");
        store.close().await;
    })
    .await;
}
