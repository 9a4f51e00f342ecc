//! Amparo's benchmarks. `cargo run --release -p amparo-bench -- all` runs every one and prints a
//! summary table; each also runs alone as a subcommand. Every benchmark measures a baseline on
//! this machine in the same run and reports its ratio to it, the absolute figures, and PASS or
//! FAIL against its target (see BENCHMARKS.md). Everything stays on loopback and in temporary
//! directories; every loop is bounded in count or time. Before each benchmark the disk is let
//! settle (`sync`), and the load average and I/O pressure are printed at the start and the end: on a shared machine
//! the figures only mean something next to it.
//!
//! Module map:
//! - this file: the command line, and running the benchmarks one after another.
//! - [`receipts`]: a paced population of phones, PATCH to signed receipt, against the HTTP floor;
//!   with [`checkpoints`], the time from a receipt to a checkpoint that covers it; [`blob_floor`],
//!   the same pace of chunk writes into the blob store alone, to locate the tail.
//! - [`ingest`]: phones sending 1 MiB chunks back to back, against the [`disk`] fsync ceiling.
//! - [`log_appends`]: appends through the log's sequencer, against the store's `append_batch`.
//! - [`verify`]: verifying an exported bundle, against `sha256sum` over its media.
//! - [`phone_app`]: the web app in Debian's Chromium: button to first receipt, footage at risk.
//! - [`household_alerts`]: 10,000 households of six, 200 encounter starts a second, start to the
//!   last member's in-app alert, against the start alone; [`household_seed`] writes the
//!   population through the `Store` trait, [`live_sockets`] are the members' live WebSockets,
//!   [`paced_starts`] the open-loop starts, [`open_files`] the descriptor limit they need.
//! - [`attorney_dispatch`]: 1,000 attorneys on duty ([`attorney_sockets`], their consoles),
//!   500 starts a second asking for one: start to the first offer, against the start alone;
//!   [`dispatch_decision`]: the core dispatcher's decision alone, against a tick.
//! - [`rapid_match`]: `watch-match` (an incident's cell against 100,000 subscribers' areas) and
//!   `plate-search` (1,000,000 vehicles, confusable characters and wildcards), each against a
//!   key read of the same store; [`rapid_seed`] writes their populations.
//! - [`rapid_delivery`]: one verified incident to 20,000 subscribers' live WebSockets, against
//!   the verification alone; [`subscriber_process`] holds their sockets in child processes.
//! - [`scale_out`]: ingest and log appends through 1, 2 and 3 `amparo serve` processes over one
//!   PostgreSQL and one S3 bucket ([`cluster`] starts them), and the sequencer's own ceiling.
//! - [`server`]: the server under test, started in-process as the API tests start it; [`floor`]:
//!   the plain endpoint the receipts baseline runs against; [`timed_store`], [`timed_blobs`],
//!   [`timing`]: pass-throughs that time the log's batches and the chunks' blob writes.
//! - [`phone`]: the load client (sign-up, log-in, encounter, tus); [`paced`]: the paced load.
//! - [`stats`], [`outcome`]: percentiles, units, and the summary table; [`cpu`]: the process's
//!   CPU time, to tell a CPU-bound run from one waiting on the disk.

mod attorney_dispatch;
mod attorney_sockets;
mod blob_floor;
mod checkpoints;
mod cluster;
mod cpu;
mod disk;
mod dispatch_decision;
mod floor;
mod household_alerts;
mod household_seed;
mod ingest;
mod live_sockets;
mod log_appends;
mod open_files;
mod outcome;
mod paced;
mod paced_starts;
mod phone;
mod phone_app;
mod rapid_delivery;
mod rapid_match;
mod rapid_seed;
mod receipts;
mod scale_out;
mod server;
mod stats;
mod subscriber_process;
mod timed_blobs;
mod timed_store;
mod timing;
mod verify;

use clap::{Args, Parser, Subcommand};
use outcome::Outcome;
use receipts::Measure;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "amparo-bench",
    about = "Amparo's benchmarks, each against a baseline measured in the same run."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    flags: Flags,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every benchmark, then the summary table (receipts and checkpoint-latency share one run).
    All,
    /// 64 KiB chunk every second per phone: PATCH to receipt, p50/p99, against the HTTP floor.
    Receipts,
    /// Receipt to covering checkpoint, sampled during a paced run of its own.
    CheckpointLatency,
    /// 1 MiB chunks back to back: MB/s, against the disk's fsync+SHA-256 ceiling.
    Ingest,
    /// Appends per second through the log's sequencer, against the store's append_batch.
    LogAppends,
    /// verify_bundle throughput, against sha256sum over the same media.
    Verify,
    /// The web app in Chromium: button to first receipt, and footage at risk while online.
    PhoneApp,
    /// Encounter starts at a steady rate: start to the last household member's in-app alert.
    HouseholdAlerts,
    /// Attorneys on duty over WebSockets, starts asking for one: start to offer, and the
    /// dispatch decision alone.
    AttorneyDispatch,
    /// One incident's cell against 100,000 subscribers' watch areas: who to alert, p99.
    WatchMatch,
    /// Plate search with a confusable character and a wildcard over 1,000,000 vehicles, p99.
    PlateSearch,
    /// One verified incident to 20,000 subscribers on live WebSockets: verify to socket, p99.
    RapidDelivery,
    /// Ingest and log appends through 1, 2 and 3 `amparo serve` nodes on PostgreSQL and S3
    /// (s3s-fs): appends/s, receipt p99, and the sequencer's own ceiling.
    ScaleOut,
    /// The subscribers' sockets for rapid-delivery, in a child process (not run by hand).
    #[command(hide = true)]
    Subscribers {
        #[arg(long)]
        url: String,
        #[arg(long)]
        tokens: std::path::PathBuf,
    },
}

#[derive(Debug, Args)]
struct Flags {
    /// Length of each timed run, in seconds [default: receipts 60, checkpoint-latency 15,
    /// ingest 20, log-appends 10, phone-app 20 per press, household-alerts 10, attorney-dispatch 60,
    /// scale-out 10].
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..=600))]
    seconds: Option<u64>,
    /// Phones in the receipts and checkpoint-latency runs.
    #[arg(long, global = true, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=2_000))]
    uploaders: u32,
    /// Phones in the ingest run.
    #[arg(long, global = true, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    ingest_uploaders: u32,
    /// Concurrent tasks appending in the log-appends run.
    #[arg(long, global = true, default_value_t = 1_024, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    tasks: u32,
    /// Media in the verify benchmark's bundle, in MiB.
    #[arg(long, global = true, default_value_t = 256, value_parser = clap::value_parser!(u32).range(4..=4_096))]
    mib: u32,
    /// Presses of the button (each a new phone) in the phone-app run.
    #[arg(long, global = true, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    presses: u32,
    /// Households of six in the store for the household-alerts run.
    #[arg(long, global = true, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    households: u32,
    /// Encounter starts per second in the household-alerts run.
    #[arg(long, global = true, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=5_000))]
    starts_per_second: u32,
    /// Attorneys on duty in the attorney-dispatch run.
    #[arg(long, global = true, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    attorneys: u32,
    /// Encounter starts per second in the attorney-dispatch run.
    #[arg(long, global = true, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=5_000))]
    dispatch_starts_per_second: u32,
    /// Subscribers (one watch area each) in the watch-match run.
    #[arg(long, global = true, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    subscribers: u32,
    /// Subscribers on live WebSockets in the rapid-delivery run.
    #[arg(long, global = true, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    delivery_subscribers: u32,
    /// Phones sending back to back in each scale-out deployment (its steady run uses --uploaders).
    #[arg(long, global = true, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1_024))]
    cluster_phones: u32,
    /// Vehicles in the registry for the plate-search run.
    #[arg(long, global = true, default_value_t = 1_000_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    vehicles: u32,
}

impl Flags {
    fn seconds(&self, default: u64) -> u64 {
        self.seconds.unwrap_or(default)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(outcomes) if outcomes.iter().all(|o| o.pass) => ExitCode::SUCCESS,
        // Targets missed: the figures were printed; the exit status says so for scripts.
        Ok(_) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("amparo-bench: {error:#}");
            ExitCode::from(2)
        }
    }
}

#[tokio::main]
async fn run(cli: Cli) -> anyhow::Result<Vec<Outcome>> {
    if let Command::Subscribers { url, tokens } = &cli.command {
        subscriber_process::run(url, tokens).await?;
        return Ok(Vec::new());
    }
    let f = &cli.flags;
    let (uploaders, ingesters, tasks, mib) = (
        f.uploaders as usize,
        f.ingest_uploaders as usize,
        f.tasks as usize,
        f.mib as usize,
    );
    let mut outcomes = Vec::new();
    print_load("start");
    let all = matches!(cli.command, Command::All);
    if all || matches!(cli.command, Command::Receipts | Command::CheckpointLatency) {
        let (measure, seconds) = match cli.command {
            Command::Receipts => (Measure::Receipts, f.seconds(60)),
            Command::CheckpointLatency => (Measure::Checkpoints, f.seconds(15)),
            _ => (Measure::Both, f.seconds(60)),
        };
        println!("receipts/checkpoint-latency: {uploaders} phones, one 64 KiB chunk a second each, {seconds} s");
        server::settle_disk().await;
        report(&mut outcomes, receipts::run(uploaders, seconds, measure).await?);
    }
    if all || matches!(cli.command, Command::Ingest) {
        let seconds = f.seconds(20);
        println!("ingest: {ingesters} phones, 1 MiB chunks back to back, {seconds} s");
        server::settle_disk().await;
        report(&mut outcomes, ingest::run(ingesters, seconds).await?);
    }
    if all || matches!(cli.command, Command::LogAppends) {
        let seconds = f.seconds(10);
        println!("log-appends: {tasks} tasks, {seconds} s");
        server::settle_disk().await;
        report(&mut outcomes, log_appends::run(tasks, seconds).await?);
    }
    if all || matches!(cli.command, Command::Verify) {
        println!("verify: a {mib} MiB bundle");
        server::settle_disk().await;
        report(&mut outcomes, verify::run(mib).await?);
    }
    if all || matches!(cli.command, Command::PhoneApp) {
        let (runs, seconds) = (f.presses, f.seconds(20));
        println!("phone-app: {runs} presses of the button in Chromium, {seconds} s recorded each");
        server::settle_disk().await;
        report(&mut outcomes, phone_app::run(runs, seconds).await?);
    }
    if all || matches!(cli.command, Command::HouseholdAlerts) {
        let (households, rate, seconds) = (f.households as usize, f.starts_per_second, f.seconds(10));
        println!("household-alerts: {households} households of six, {rate} encounter starts a second, {seconds} s");
        server::settle_disk().await;
        report(&mut outcomes, household_alerts::run(households, seconds, rate).await?);
    }
    if all || matches!(cli.command, Command::AttorneyDispatch) {
        let (attorneys, rate, seconds) = (f.attorneys as usize, f.dispatch_starts_per_second, f.seconds(60));
        println!(
            "attorney-dispatch: {attorneys} attorneys on duty, {rate} starts a second asking for one, {seconds} s"
        );
        server::settle_disk().await;
        report(&mut outcomes, attorney_dispatch::run(attorneys, seconds, rate).await?);
    }
    if all || matches!(cli.command, Command::WatchMatch) {
        println!(
            "watch-match: {} subscribers with a watch area each, one incident cell at a time",
            f.subscribers
        );
        report(
            &mut outcomes,
            vec![rapid_match::watch_match(f.subscribers as usize).await?],
        );
    }
    if all || matches!(cli.command, Command::PlateSearch) {
        println!(
            "plate-search: {} vehicles, searches with a confusable character and a wildcard",
            f.vehicles
        );
        report(
            &mut outcomes,
            vec![rapid_match::plate_search(f.vehicles as usize).await?],
        );
    }
    if all || matches!(cli.command, Command::RapidDelivery) {
        println!(
            "rapid-delivery: one verified incident to {} subscribers on live WebSockets, {} times",
            f.delivery_subscribers,
            rapid_delivery::ROUNDS
        );
        report(
            &mut outcomes,
            vec![rapid_delivery::run(f.delivery_subscribers as usize).await?],
        );
    }
    if all || matches!(cli.command, Command::ScaleOut) {
        let load = scale_out::Load {
            paced_phones: uploaders,
            saturating_phones: f.cluster_phones as usize,
            seconds: f.seconds(10),
        };
        println!(
            "scale-out: 1 to {} nodes on PostgreSQL and S3; {} phones at one 64 KiB chunk a second, then {} back to back, {} s each",
            scale_out::MAX_NODES,
            load.paced_phones,
            load.saturating_phones,
            load.seconds
        );
        server::settle_disk().await;
        report(&mut outcomes, scale_out::run(load).await?);
    }
    print_load("end");
    outcome::print_table(&outcomes);
    Ok(outcomes)
}

/// The machine's load average and I/O pressure, where the OS tells them: the figures mean little
/// if other work shared the two cores or the disk, and the reader should know.
fn print_load(when: &str) {
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let averages: Vec<&str> = load.split_whitespace().take(3).collect();
        println!("load average at {when} (1, 5, 15 min): {}", averages.join(", "));
    }
    // Linux PSI: the share of time some task was stalled waiting for I/O.
    if let Ok(pressure) = std::fs::read_to_string("/proc/pressure/io")
        && let Some(some) = pressure.lines().find(|l| l.starts_with("some"))
    {
        println!("I/O pressure at {when}: {some}");
    }
}

/// Prints each benchmark's outcome as it finishes, and keeps it for the table.
fn report(all: &mut Vec<Outcome>, new: Vec<Outcome>) {
    for outcome in new {
        println!("  {}:", outcome.name);
        outcome.print();
        all.push(outcome);
    }
}
