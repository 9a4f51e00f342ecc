//! `watch-match` and `plate-search` (issue 6): the two lookups the rapid-response network must
//! make fast, through the `Store` trait on SQLite, as the server makes them.
//!
//! - watch-match: 100,000 subscribers, each with a watch area (a circle of 300 m to 2 km around
//!   a random point in a 33 × 33 km city), stored as H3 cells; then, for random incident cells in
//!   that city, the subscribers to alert (`Store::watchers_of`). Target p99 < 50 ms.
//! - plate-search: 1,000,000 registry vehicles with random plates, confirmed over the last 90
//!   days; then searches for existing plates typed with a confusable character and a wildcard
//!   (`7A8C1*`, `?A8C12?`), as the API runs them: the index reads candidates, `core::plate`
//!   ranks them (`rapid::search::search`). Target p99 < 10 ms, and recall: the plate searched
//!   for is in the top 20 in at least 99% of the searches (the count is printed).
//!
//! Baseline for both, in the same run on the same store: a primary-key read through the same
//! trait (`Store::account`, `Store::vehicle`). Ratio: p99 of the lookup / p99 of the key read.
//!
//! The store is seeded and read in a tmpfs when the machine has one (`/dev/shm`): seeding commits
//! one transaction per area and would otherwise measure the disk's fsyncs, which these lookups
//! never make. Both runs are seeded with fixed random seeds, so two runs see the same data.

use crate::outcome::Outcome;
use crate::rapid_seed;
use crate::stats::{Latencies, ms};
use amparo_core::geo::Precision;
use amparo_core::plate::Pattern;
use amparo_server::clock::now_us;
use amparo_server::rapid::search::search;
use amparo_store::Store;
use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

pub const WATCH_TARGET_P99: Duration = Duration::from_millis(50);
pub const SEARCH_TARGET_P99: Duration = Duration::from_millis(10);
/// Lookups measured in each run (and as many baseline reads).
const SAMPLES: usize = 2_000;
/// Searches that must rank the plate searched for in the top 20: every query names an existing
/// plate as typed (up to confusion), so a miss is a bug in the index or the ranking, and only a
/// crowd of equally close plates may excuse one.
const SEARCH_TARGET_FOUND: usize = SAMPLES * 99 / 100;

/// Where to seed: the tmpfs when there is one.
pub fn scratch(what: &str) -> Result<tempfile::TempDir> {
    let prefix = format!("amparo-bench-{what}-");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    if std::path::Path::new("/dev/shm").is_dir() {
        builder.tempdir_in("/dev/shm")
    } else {
        builder.tempdir()
    }
    .context("creating a scratch dir")
}

pub async fn watch_match(subscribers: usize) -> Result<Outcome> {
    let dir = scratch("watch")?;
    let store = amparo_store_sqlite::SqliteStore::open(&dir.path().join("amparo.db")).await?;
    let started = Instant::now();
    let (accounts, cells) = rapid_seed::watch_areas(&store, subscribers).await?;
    println!(
        "  seeded {subscribers} subscribers, {cells} area cells in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut rng = StdRng::seed_from_u64(7);
    let precision = Precision::default();
    let mut matched = Vec::with_capacity(SAMPLES);
    let mut watchers = 0usize;
    for _ in 0..SAMPLES {
        let (lat, lon) = rapid_seed::city_point(&mut rng);
        let cell = precision.cell_of(lat, lon)?;
        let start = Instant::now();
        let found = store.watchers_of(cell).await?;
        matched.push(start.elapsed());
        watchers += found.len();
    }
    let baseline = key_reads(SAMPLES, |i| {
        let id = accounts[(i * 7_919) % accounts.len()];
        let store = &store;
        async move { store.account(id).await.map(|_| ()) }
    })
    .await?;
    let matched = Latencies::new(matched);
    println!(
        "  watchers per incident: {:.0} on average",
        watchers as f64 / SAMPLES as f64
    );
    println!("  watchers_of: {}", matched.describe());
    println!("  account by id (baseline): {}", baseline.describe());
    Ok(outcome(
        "watch-match",
        &matched,
        &baseline,
        "account read",
        WATCH_TARGET_P99,
        "p99 < 50 ms over 100,000 subscribers",
    ))
}

pub async fn plate_search(vehicles: usize) -> Result<Outcome> {
    let dir = scratch("plates")?;
    let store = amparo_store_sqlite::SqliteStore::open(&dir.path().join("amparo.db")).await?;
    let started = Instant::now();
    let seeded = rapid_seed::vehicles(&store, vehicles).await?;
    println!(
        "  seeded {vehicles} vehicles in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut rng = StdRng::seed_from_u64(11);
    let now = now_us();
    let mut searched = Vec::with_capacity(SAMPLES);
    let mut found_it = 0usize;
    let mut missed = Vec::new();
    for i in 0..SAMPLES {
        let plate = &seeded.plates[rng.gen_range(0..seeded.plates.len())];
        let query = rapid_seed::confused_query(plate, i % 2 == 0);
        let pattern = Pattern::parse(&query)?;
        let start = Instant::now();
        let results = search(&store, &pattern, now, 20)
            .await
            .map_err(|e| anyhow::anyhow!("search {query}: {}", e.detail()))?;
        searched.push(start.elapsed());
        if results.iter().any(|(v, _)| v.plate.as_str() == plate) {
            found_it += 1;
        } else {
            missed.push((query, plate.clone()));
        }
    }
    let baseline = key_reads(SAMPLES, |i| {
        let id = seeded.ids[(i * 7_919) % seeded.ids.len()];
        let store = &store;
        async move { store.vehicle(id).await.map(|_| ()) }
    })
    .await?;
    let searched = Latencies::new(searched);
    println!("  searches that ranked the plate asked for in the top 20: {found_it} of {SAMPLES}");
    for (query, plate) in missed.iter().take(10) {
        println!("    missed: {query} for {plate}");
    }
    println!("  search: {}", searched.describe());
    println!("  vehicle by id (baseline): {}", baseline.describe());
    let mut result = outcome(
        "plate-search",
        &searched,
        &baseline,
        "vehicle read",
        SEARCH_TARGET_P99,
        "p99 < 10 ms over 1,000,000 vehicles, plate in top 20 in >= 99% of searches",
    );
    result.measured = format!("{}, found {found_it} of {SAMPLES}", result.measured);
    result.pass &= found_it >= SEARCH_TARGET_FOUND;
    Ok(result)
}

async fn key_reads<F, Fut>(n: usize, read: F) -> Result<Latencies>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), amparo_store::StoreError>>,
{
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let start = Instant::now();
        read(i).await?;
        samples.push(start.elapsed());
    }
    Ok(Latencies::new(samples))
}

fn outcome(
    name: &'static str,
    measured: &Latencies,
    baseline: &Latencies,
    what: &str,
    target: Duration,
    target_text: &'static str,
) -> Outcome {
    let ratio = measured.p99().as_secs_f64() / baseline.p99().as_secs_f64().max(1e-9);
    Outcome {
        name,
        measured: format!("p99 {} (p50 {})", ms(measured.p99()), ms(measured.p50())),
        baseline: format!("{what} by key p99 {}", ms(baseline.p99())),
        ratio,
        ratio_is: "p99 / key read p99",
        target: target_text,
        pass: measured.p99() < target,
    }
}
