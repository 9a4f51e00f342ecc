//! `attorney-dispatch`: 1,000 attorneys on duty over the live WebSocket, encounter starts asking
//! for an attorney at 500 a second for 60 s, and the time from each start request leaving the
//! client to the first attorney's socket receiving its offer (issue 4: p99 < 20 ms on one node).
//! The attorneys beat every 3 s, accept every offer at once and hang up half a second after
//! connecting, so calls come and go as on a busy night.
//!
//! Baseline: the same paced starts, in the same run and against the same server with the same
//! sockets open, asking for no attorney: the start's own round trip. Half before the measured
//! starts and half after, pooled. Ratio: p99 of start-to-offer / p99 of the start alone. The
//! second figure, the decision alone, is [`crate::dispatch_decision`].

use crate::attorney_sockets::{self, Rung};
use crate::outcome::Outcome;
use crate::paced_starts::{self, Starts};
use crate::server::{self, BenchServer};
use crate::stats::{Latencies, ms};
use crate::{household_seed, open_files};
use amparo_core::dispatch::AttorneyProfile;
use amparo_core::ids::{AccountId, OrgId};
use amparo_core::roles::Role;
use amparo_server::attorney::LineSettings;
use amparo_server::auth::hash_password;
use amparo_server::clock::now_us;
use amparo_server::state::Services;
use amparo_store::{NewOrganization, OrgPolicy, PlanPeriod, Store, StoredAttorney};
use anyhow::{Result, anyhow, ensure};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub const TARGET_P99: Duration = Duration::from_millis(20);
/// People starting encounters; each starts several over the run.
const MEMBERS: usize = 1_000;
const GRACE: Duration = Duration::from_secs(5);
const WATCH_EVERY: Duration = Duration::from_secs(5);

pub async fn run(attorneys: usize, seconds: u64, per_second: u32) -> Result<Vec<Outcome>> {
    let count = usize::try_from(seconds)? * per_second as usize;
    let files = open_files::raise_to_hard_limit();
    println!("  {}", files.describe());
    ensure!(
        files.sockets_allowed() > attorneys + 256,
        "the open-files limit cannot hold {attorneys} sockets"
    );
    let dir = server::temp_dir("attorney-dispatch")?;
    let (lawyers, members) = seed(&dir.path().join("amparo.db"), attorneys).await?;
    let services = Services {
        attorney: LineSettings::default(),
        ..Services::ephemeral()
    };
    let server = BenchServer::start_with(dir, services).await?;

    let connecting = Instant::now();
    let (rung, mut offers) = mpsc::unbounded_channel();
    let sockets = attorney_sockets::connect(&server.base, &lawyers, rung).await?;
    println!(
        "  {attorneys} attorneys on duty over the live WebSocket in {:.1} s",
        connecting.elapsed().as_secs_f64()
    );

    let client = paced_starts::client()?;
    let plain = json!({"us_state": "CA", "language": "es"});
    let asking = json!({"us_state": "CA", "language": "es", "wants_attorney": true, "note": "traffic stop"});
    let warm = paced_starts::run_with(&client, &server.base, &members, per_second as usize, per_second, &plain).await?;
    println!("  warm-up (not counted): {}", describe(&warm));
    let before = paced_starts::run_with(&client, &server.base, &members, count / 2, per_second, &plain).await?;
    println!("  start alone, first half:  {}", describe(&before));
    let watching = watch_the_line(&server.base);
    // Start the reads' timings afresh: only the measured run's are printed.
    server.reads();
    let real = paced_starts::run_with(&client, &server.base, &members, count, per_second, &asking).await?;
    println!("  start asking an attorney: {}", describe(&real));
    // What the start reads and writes before the ask reaches the dispatcher, during the run.
    let (sessions, plans, writes) = server.reads();
    for (what, calls) in [
        ("session read", sessions),
        ("plan read", plans),
        ("encounter write", writes),
    ] {
        let l = &calls.latencies;
        println!(
            "    {what}: p50 {}, p99 {}, max {} (n {})",
            ms(l.p50()),
            ms(l.p99()),
            ms(l.max()),
            l.len()
        );
    }
    let got = collect(&mut offers, &real).await;
    watching.abort();
    let after = paced_starts::run_with(&client, &server.base, &members, count - count / 2, per_second, &plain).await?;
    println!("  start alone, second half: {}", describe(&after));
    let (accepted, ended_early) = sockets.stop().await;
    drop(client);
    let metrics = reqwest::get(format!("{}/metrics", server.base)).await?.text().await?;
    server.stop().await?;

    let (to_offer, to_call, missing) = match_offers(&real, &got);
    let lat = |l: &Latencies| {
        format!(
            "p50 {}, p95 {}, p99 {}, max {} (n {})",
            ms(l.p50()),
            ms(l.percentile(95.0)),
            ms(l.p99()),
            ms(l.max()),
            l.len()
        )
    };
    println!("  start to first offer:     {}", lat(&to_offer));
    println!("  start to call (accepted): {}", lat(&to_call));
    println!("  starts never offered: {missing}; calls taken {accepted}; sockets ended early {ended_early}");
    // The server's own view of the same path, from the request reaching the dispatcher: what the
    // client adds (the start's reads before the ask, the sockets, this process's scheduling) is
    // the difference.
    for line in metrics.lines().filter(|l| {
        (l.starts_with("amparo_dispatch_time_to_offer_seconds{")
            || l.starts_with("amparo_dispatch_time_to_connect_seconds{"))
            && (l.contains("\"0.5\"") || l.contains("\"0.99\""))
    }) {
        println!("  server's own /metrics: {line}");
    }
    let alone = Latencies::new(before.join(after).starts.iter().map(|s| s.round_trip).collect());
    let failed = real.errors().count();
    let p99 = to_offer.p99();
    Ok(vec![
        Outcome {
            name: "attorney-dispatch",
            measured: format!(
                "start to offer p50 {}, p99 {}, {missing} never offered",
                ms(to_offer.p50()),
                ms(p99)
            ),
            baseline: format!("start alone p50 {}, p99 {}", ms(alone.p50()), ms(alone.p99())),
            ratio: p99.as_secs_f64() / alone.p99().as_secs_f64().max(1e-9),
            ratio_is: "p99 / start-alone p99",
            target: "p99 < 20 ms, all offered",
            pass: p99 < TARGET_P99 && missing == 0 && failed == 0,
        },
        crate::dispatch_decision::run(attorneys, 30_000),
    ])
}

/// Every few seconds of the measured run, the line's own gauges from `/metrics` (attorneys on
/// duty, requests waiting with nobody ringing, requests so far), so a run that goes wrong shows
/// where: attorneys dropping off, or requests piling up unrung.
fn watch_the_line(base: &str) -> tokio::task::JoinHandle<()> {
    let url = format!("{base}/metrics");
    tokio::spawn(async move {
        let started = Instant::now();
        let mut every = tokio::time::interval(WATCH_EVERY);
        every.tick().await;
        loop {
            every.tick().await;
            let Ok(text) = reqwest::get(&url).await.and_then(|r| r.error_for_status()) else {
                continue;
            };
            let Ok(text) = text.text().await else { continue };
            let value = |name: &str| -> f64 {
                text.lines()
                    .filter(|l| l.starts_with(name))
                    .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                    .sum()
            };
            println!(
                "    at {:>3.0} s: on duty {}, waiting unrung {}, requests {}",
                started.elapsed().as_secs_f64(),
                value("amparo_dispatch_attorneys_on_duty"),
                value("amparo_dispatch_queue_length"),
                value("amparo_dispatch_requests_total"),
            );
        }
    })
}

fn describe(starts: &Starts) -> String {
    let rtt = Latencies::new(starts.starts.iter().map(|s| s.round_trip).collect());
    let mut text = format!("POST p50 {}, p99 {} (n {})", ms(rtt.p50()), ms(rtt.p99()), rtt.len());
    if starts.late > 0 {
        text += &format!(", {} sent late", starts.late);
    }
    let errors: Vec<&String> = starts.errors().collect();
    if let Some(first) = errors.first() {
        text += &format!(", {} failed (first: {first})", errors.len());
    }
    text
}

async fn collect(offers: &mut mpsc::UnboundedReceiver<Rung>, starts: &Starts) -> Vec<Rung> {
    let expected = starts.starts.len();
    let deadline = tokio::time::Instant::now() + GRACE;
    let mut got = Vec::with_capacity(expected * 3);
    let mut offered = std::collections::HashSet::new();
    // Bounded by the deadline.
    while offered.len() < expected {
        match tokio::time::timeout_at(deadline, offers.recv()).await {
            Ok(Some(rung)) => {
                offered.insert(rung.encounter.clone());
                got.push(rung);
            }
            Ok(None) | Err(_) => break,
        }
    }
    got.extend(std::iter::from_fn(|| offers.try_recv().ok()));
    got
}

/// For each start, the first offer and the call (if its socket saw one), and how many starts
/// were never offered.
fn match_offers(starts: &Starts, rungs: &[Rung]) -> (Latencies, Latencies, usize) {
    let mut first: HashMap<&str, tokio::time::Instant> = HashMap::new();
    let mut call: HashMap<&str, tokio::time::Instant> = HashMap::new();
    for rung in rungs {
        let table = if rung.call { &mut call } else { &mut first };
        let at = table.entry(rung.encounter.as_str()).or_insert(rung.at);
        *at = (*at).min(rung.at);
    }
    let (mut offer, mut connected, mut missing) = (Vec::new(), Vec::new(), 0);
    for start in &starts.starts {
        let Ok(encounter) = &start.encounter else { continue };
        match first.get(encounter.as_str()) {
            Some(at) => offer.push(*at - start.sent),
            None => missing += 1,
        }
        if let Some(at) = call.get(encounter.as_str()) {
            connected.push(*at - start.sent);
        }
    }
    (Latencies::new(offer), Latencies::new(connected), missing)
}

/// An organization with a seat for every member, `attorneys` vetted attorneys of it, and their
/// sessions; written through the Store trait, then closed so the server opens the file.
async fn seed(db: &std::path::Path, attorneys: usize) -> Result<(Vec<String>, Vec<String>)> {
    let started = Instant::now();
    let sqlite = Arc::new(amparo_store_sqlite::SqliteStore::open(db).await?);
    let store: &dyn Store = sqlite.as_ref();
    let hash = hash_password("a benchmark's password".to_owned())
        .await
        .map_err(|e| anyhow!("hashing: {e:?}"))?;
    let now = now_us();
    let org = OrgId::new();
    let period = PlanPeriod {
        starts_at_us: now - 1,
        ends_at_us: None,
        grace_days: 0,
    };
    let policy = OrgPolicy {
        backup_line: Some("+1 555 010 0100".into()),
        ..OrgPolicy::default()
    };
    let new = NewOrganization {
        id: org,
        name: "Bench Legal Aid".into(),
        seats: MEMBERS as u32,
        policy,
        period,
        created_at_us: now,
    };
    store.create_organization(&new).await?;
    let admin = household_seed::account(store, &hash, "bench-admin".into()).await?;
    let mut profile = AttorneyProfile::new(org);
    profile.vetted = true;
    profile.languages = ["es".parse()?, "en".parse()?].into();
    profile.bar_admissions = ["CA".parse()?].into();
    let mut lawyers = Vec::with_capacity(attorneys);
    for n in 0..attorneys {
        let id: AccountId = household_seed::account(store, &hash, format!("attorney{n:05}")).await?;
        store.grant_role(id, Role::Attorney).await?;
        let stored = StoredAttorney {
            account: id,
            display_name: format!("Attorney {n}"),
            profile: profile.clone(),
            updated_by: admin,
            updated_at_us: now,
        };
        store.save_attorney(&stored).await?;
        lawyers.push(household_seed::session(store, id).await?);
    }
    let mut members = Vec::with_capacity(MEMBERS);
    for n in 0..MEMBERS {
        let id = household_seed::account(store, &hash, format!("member{n:05}")).await?;
        let seat = store.assign_seat(org, id, now).await?;
        ensure!(seat.is_ok(), "seat refused: {seat:?}");
        members.push(household_seed::session(store, id).await?);
    }
    sqlite.close().await;
    println!(
        "  seeded {attorneys} attorneys and {MEMBERS} members with seats in {:.1} s (not part of any figure)",
        started.elapsed().as_secs_f64()
    );
    Ok((lawyers, members))
}
