//! Plate search through the store's indexes (issue 6): what `vehicle_candidates` returns for an
//! `IndexQuery` — every match as typed (confusable characters and wildcards included) up to
//! the limit, most recent first; the plate typed whole past the limit; misheard plates by the
//! grams they share — and nothing the query does not read.

use super::rapid::{action, cell, incident_from, report};
use super::{DAY, T0, account, ok};
use crate::{NewSighting, Store, Vehicle};
use amparo_core::ids::{IncidentId, VehicleId};
use amparo_core::plate::{IndexQuery, Pattern, Plate};

/// An incident the seeded vehicles were seen at.
async fn incident(store: &dyn Store) -> (IncidentId, amparo_core::geo::Cell) {
    let reporter = account(store, "plates").await;
    let responder = account(store, "plates_resp").await;
    let r = report(reporter.id, cell(5), T0);
    ok(store.create_report(&r).await, "create_report");
    let incident = incident_from(&r, responder.id, T0);
    ok(
        store
            .verify_report(r.id, &incident, &action(responder.id, "verify", Some(r.id), T0))
            .await,
        "verify",
    );
    (incident.id, r.cell)
}

async fn seed(store: &dyn Store, plates: &[(&str, i64)]) {
    let (incident, at) = incident(store).await;
    let sightings: Vec<NewSighting> = plates
        .iter()
        .map(|(plate, days_ago)| NewSighting {
            new_id: VehicleId::new(),
            plate: Plate::parse(plate).expect("plate"),
            region: "IL".into(),
            make: None,
            model: None,
            colour: None,
            markings: None,
            incident,
            cell: at,
            seen_at_us: T0 - days_ago * DAY,
        })
        .collect();
    ok(store.record_sightings(&sightings).await, "record_sightings");
}

async fn search(store: &dyn Store, text: &str, limit: u32) -> (IndexQuery, Vec<Vehicle>) {
    let query = IndexQuery::of(&Pattern::parse(text).expect("pattern")).expect("index query");
    let found = ok(store.vehicle_candidates(&query, limit).await, "vehicle_candidates");
    (query, found)
}

fn plates(found: &[Vehicle]) -> Vec<&str> {
    found.iter().map(|v| v.plate.as_str()).collect()
}

pub async fn plate_search_reads_matches_as_typed_and_near(store: &dyn Store) {
    seed(
        store,
        &[
            ("KXR4071", 1),
            // The same plate up to confusion (O for 0, I for 1), long stale.
            ("KXR4O7I", 400),
            ("KXR4078", 2),
            ("KXR9071", 3),
            ("KXF1", 1000),
            ("KXF1000", 10),
            ("KXF1001", 11),
            ("KXF1002", 12),
            ("KXF1003", 13),
            ("KXF1004", 14),
            ("KXF1005", 15),
            ("WKXF1006", 16),
        ],
    )
    .await;

    for text in ["KXR4071", "KXR4O7*", "?XR4O71", "kxr-4071", "*R4O7I"] {
        let (query, found) = search(store, text, 50).await;
        let mut ours = plates(&found);
        ours.retain(|p| p.starts_with("KXR4"));
        ours.sort_unstable();
        let expected: &[&str] = if text.ends_with('*') {
            &["KXR4071", "KXR4078", "KXR4O7I"]
        } else {
            &["KXR4071", "KXR4O7I"]
        };
        for plate in expected {
            assert!(ours.contains(plate), "{text} finds {plate} (found {ours:?})");
        }
        let mut ids: Vec<VehicleId> = found.iter().map(|v| v.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), found.len(), "{text}: each vehicle once");
        for vehicle in &found {
            assert!(
                query.reads(&vehicle.plate),
                "{text} reads only what its query names, not {}",
                vehicle.plate
            );
        }
    }

    // Matches as typed past the limit: the most recently confirmed first.
    let (_, found) = search(store, "KXF*", 3).await;
    assert_eq!(plates(&found), ["KXF1000", "KXF1001", "KXF1002"]);
    let (_, found) = search(store, "*KXF?0??", 10).await;
    assert_eq!(
        plates(&found),
        [
            "KXF1000", "KXF1001", "KXF1002", "KXF1003", "KXF1004", "KXF1005", "WKXF1006"
        ]
    );
    // The plate typed whole is read however many plates it is part of, and however old.
    let (_, found) = search(store, "KXF1", 3).await;
    assert_eq!(found.len(), 4, "{:?}", plates(&found));
    assert!(plates(&found).contains(&"KXF1"), "{:?}", plates(&found));

    // A plate no vehicle has, one character off two of ours: those two are read as near.
    let (query, found) = search(store, "KXR4O72", 50).await;
    let mut near = plates(&found);
    near.retain(|p| p.starts_with("KX"));
    near.sort_unstable();
    assert!(query.near.is_some());
    assert_eq!(near, ["KXR4071", "KXR4078", "KXR4O7I"]);
}
