//! The populations for `watch-match` and `plate-search`, written through the `Store` trait with
//! fixed random seeds: subscribers with one watch area each, and a registry of vehicles seen at
//! one verified incident.

use amparo_core::geo::{Area, Precision};
use amparo_core::ids::{AccountId, IncidentId, ReportId, VehicleId, WatchAreaId};
use amparo_core::plate::Plate;
use amparo_core::rapid::{ReportKind, ReportState, VerifiedHow};
use amparo_server::clock::now_us;
use amparo_store::{Incident, NewAccount, NewSighting, Report, ResponderAction, Store, WatchArea};
use anyhow::Result;
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;

/// Store calls in flight while seeding: enough to keep the one writer busy.
const AT_ONCE: usize = 16;
/// Sightings per transaction.
const BATCH: usize = 5_000;
const DAY_US: i64 = 86_400_000_000;
/// The city: a 0.3° × 0.4° box around Chicago, about 33 × 33 km.
const CITY: (f64, f64, f64, f64) = (41.70, 42.00, -87.90, -87.50);

/// A random point in the city.
pub fn city_point(rng: &mut impl Rng) -> (f64, f64) {
    (rng.gen_range(CITY.0..CITY.1), rng.gen_range(CITY.2..CITY.3))
}

async fn account(store: &dyn Store, n: usize) -> Result<AccountId> {
    let id = AccountId::new();
    store
        .create_account(&NewAccount {
            id,
            username: format!("sub{n:07}"),
            // Nobody logs in: any opaque text stands in for the hash.
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
            created_at_us: now_us(),
        })
        .await?;
    Ok(id)
}

/// `n` subscribers, each with one area. Returns their accounts and the area cells stored.
pub async fn watch_areas(store: &dyn Store, n: usize) -> Result<(Vec<AccountId>, usize)> {
    let precision = Precision::default();
    let mut rng = StdRng::seed_from_u64(3);
    let areas: Vec<Area> = (0..n)
        .map(|_| {
            let (latitude, longitude) = city_point(&mut rng);
            Area::Circle {
                latitude,
                longitude,
                radius_m: rng.gen_range(300..2_000),
            }
        })
        .collect();
    let seeded: Vec<(AccountId, usize)> = futures::stream::iter(areas.into_iter().enumerate())
        .map(|(i, area)| async move {
            let account = account(store, i).await?;
            let cells = precision.cover(&area, 2_000)?;
            let count = cells.len();
            let area = WatchArea {
                id: WatchAreaId::new(),
                account,
                label: "home".into(),
                cells,
                created_at_us: now_us(),
            };
            store.save_watch_area(&area, 10).await?;
            Ok::<_, anyhow::Error>((account, count))
        })
        .buffered(AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    let cells = seeded.iter().map(|(_, c)| c).sum();
    Ok((seeded.into_iter().map(|(a, _)| a).collect(), cells))
}

/// The registry's vehicles: their plates and ids, in the order they were made.
#[derive(Debug)]
pub struct Vehicles {
    pub plates: Vec<String>,
    pub ids: Vec<VehicleId>,
}

/// `n` vehicles with distinct random plates, confirmed at random times over 90 days.
pub async fn vehicles(store: &dyn Store, n: usize) -> Result<Vehicles> {
    let incident = incident(store).await?;
    let mut rng = StdRng::seed_from_u64(5);
    let mut seen = HashSet::with_capacity(n);
    let (mut plates, mut ids) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let now = now_us();
    while plates.len() < n {
        let mut batch = Vec::with_capacity(BATCH);
        while batch.len() < BATCH && plates.len() < n {
            let text = random_plate(&mut rng);
            if !seen.insert(text.clone()) {
                continue;
            }
            let id = VehicleId::new();
            batch.push(NewSighting {
                new_id: id,
                plate: Plate::parse(&text)?,
                region: "IL".into(),
                make: Some("Ford".into()),
                model: None,
                colour: Some("white".into()),
                markings: None,
                incident: incident.id,
                cell: incident.cell,
                seen_at_us: now - rng.gen_range(0..90 * DAY_US),
            });
            plates.push(text);
            ids.push(id);
        }
        store.record_sightings(&batch).await?;
    }
    Ok(Vehicles { plates, ids })
}

/// One verified incident for every sighting to point at.
async fn incident(store: &dyn Store) -> Result<Incident> {
    let responder = account(store, 9_999_999).await?;
    let now = now_us();
    let cell = Precision::default().cell_of(41.85, -87.65)?;
    let report = Report {
        id: ReportId::new(),
        reporter: responder,
        kind: ReportKind::Vehicle,
        cell,
        observed_at_us: now,
        created_at_us: now,
        expires_at_us: now + DAY_US,
        description: "vans".into(),
        vehicles: Vec::new(),
        state: ReportState::Unverified,
        incident: None,
        decided_by: None,
        decided_at_us: None,
        reason: None,
    };
    store.create_report(&report).await?;
    let incident = Incident {
        id: IncidentId::new(),
        kind: ReportKind::Vehicle,
        cell,
        observed_at_us: now,
        description: "vans".into(),
        how: VerifiedHow::InPerson,
        verified_by: responder,
        verified_at_us: now,
        updated_at_us: now,
        withdrawn_at_us: None,
        note: None,
    };
    let audit = ResponderAction {
        at_us: now,
        responder,
        action: "verify".into(),
        report: Some(report.id),
        incident: Some(incident.id),
        vehicle: None,
        note: String::new(),
    };
    store.verify_report(report.id, &incident, &audit).await?;
    Ok(incident)
}

/// US-style plates: `7ABC123`, `ABC1234` or `ABC123`.
fn random_plate(rng: &mut impl Rng) -> String {
    let letter = |rng: &mut dyn rand::RngCore| char::from(b'A' + rng.gen_range(0..26u8));
    let digit = |rng: &mut dyn rand::RngCore| char::from(b'0' + rng.gen_range(0..10u8));
    let shape = match rng.gen_range(0..3) {
        0 => "DLLLDDD",
        1 => "LLLDDDD",
        _ => "LLLDDD",
    };
    shape
        .chars()
        .map(|c| if c == 'D' { digit(rng) } else { letter(rng) })
        .collect()
}

/// A query for `plate` as a person might type it after misreading it: one character swapped
/// for one it is confused with, and a wildcard. Anchored: the first five characters then `*`
/// (`7A8C1*`); otherwise the first and last characters unknown (`?A8C12?`).
pub fn confused_query(plate: &str, anchored: bool) -> String {
    let mut chars: Vec<char> = plate.chars().collect();
    let span = if anchored { 0..5 } else { 1..chars.len() - 1 };
    if let Some(i) = span.clone().find(|&i| confusable(chars[i]).is_some()) {
        chars[i] = confusable(chars[i]).unwrap_or(chars[i]);
    }
    if anchored {
        let mut query: String = chars[..5].iter().collect();
        query.push('*');
        query
    } else {
        let last = chars.len() - 1;
        chars[0] = '?';
        chars[last] = '?';
        chars.into_iter().collect()
    }
}

fn confusable(c: char) -> Option<char> {
    Some(match c {
        '0' => 'O',
        'O' | 'D' | 'Q' => '0',
        '1' => 'I',
        'I' | 'L' => '1',
        '2' => 'Z',
        'Z' => '2',
        '5' => 'S',
        'S' => '5',
        '6' => 'G',
        'G' => '6',
        '8' => 'B',
        'B' => '8',
        _ => return None,
    })
}
