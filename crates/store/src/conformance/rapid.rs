//! The rapid-response network (issue 6): reports decided once (verified, merged, rejected,
//! expired) with every responder action in the audit log, questions, reporters' accuracy,
//! incidents by cell, watch areas by cell, and the vehicle registry's index.

use super::{T0, account, conflict, not_found, ok};
use crate::{Incident, NewSighting, Question, Report, ResponderAction, Store, VehicleStatusChange, WatchArea};
use amparo_core::geo::{Cell, Precision};
use amparo_core::ids::{AccountId, IncidentId, QuestionId, ReportId, VehicleId, WatchAreaId};
use amparo_core::plate::{IndexQuery, Pattern, Plate, Status};
use amparo_core::rapid::{Accuracy, ReportKind, ReportState, ReportedVehicle, VerifiedHow};

const MINUTE: i64 = 60_000_000;

/// A cell somewhere in Chicago, different for each `n`.
pub(super) fn cell(n: u32) -> Cell {
    let precision = Precision::default();
    ok(
        precision
            .cell_of(41.80 + f64::from(n) * 0.01, -87.70)
            .map_err(|e| crate::StoreError::Backend(e.to_string())),
        "a cell",
    )
}

pub(super) fn report(reporter: AccountId, at: Cell, created_at_us: i64) -> Report {
    Report {
        id: ReportId::new(),
        reporter,
        kind: ReportKind::Checkpoint,
        cell: at,
        observed_at_us: created_at_us - MINUTE,
        created_at_us,
        expires_at_us: created_at_us + 240 * MINUTE,
        description: "Checkpoint at the corner, three vans".into(),
        vehicles: vec![ReportedVehicle {
            plate: Some("7ABC123".into()),
            region: Some("IL".into()),
            colour: Some("white".into()),
            ..ReportedVehicle::default()
        }],
        state: ReportState::Unverified,
        incident: None,
        decided_by: None,
        decided_at_us: None,
        reason: None,
    }
}

pub(super) fn incident_from(report: &Report, by: AccountId, at_us: i64) -> Incident {
    Incident {
        id: IncidentId::new(),
        kind: report.kind,
        cell: report.cell,
        observed_at_us: report.observed_at_us,
        description: "Checkpoint confirmed by a responder on site".into(),
        how: VerifiedHow::InPerson,
        verified_by: by,
        verified_at_us: at_us,
        updated_at_us: at_us,
        withdrawn_at_us: None,
        note: None,
    }
}

pub(super) fn action(by: AccountId, what: &str, report: Option<ReportId>, at_us: i64) -> ResponderAction {
    ResponderAction {
        at_us,
        responder: by,
        action: what.into(),
        report,
        incident: None,
        vehicle: None,
        note: format!("{what} note"),
    }
}

pub async fn reports_are_decided_once_and_audited(store: &dyn Store) {
    let reporter = account(store, "rep").await;
    let responder = account(store, "resp").await;
    let here = cell(1);
    let first = report(reporter.id, here, T0);
    let second = report(reporter.id, here, T0 + MINUTE);
    let third = report(reporter.id, here, T0 + 2 * MINUTE);
    for r in [&first, &second, &third] {
        ok(store.create_report(r).await, "create_report");
    }
    assert_eq!(
        ok(store.report(first.id).await, "report"),
        Some(first.clone()),
        "every field kept"
    );
    let open = ok(store.open_reports(T0 + 3 * MINUTE, 1_000).await, "open_reports");
    let ours: Vec<ReportId> = open
        .iter()
        .map(|r| r.id)
        .filter(|id| [first.id, second.id, third.id].contains(id))
        .collect();
    assert_eq!(ours, vec![third.id, second.id, first.id], "newest first");

    let at = T0 + 5 * MINUTE;
    let incident = incident_from(&first, responder.id, at);
    let verify = action(responder.id, "verify", Some(first.id), at);
    ok(store.verify_report(first.id, &incident, &verify).await, "verify_report");
    let other = incident_from(&first, responder.id, at);
    conflict(store.verify_report(first.id, &other, &verify).await, "verify twice");
    conflict(
        store.reject_report(first.id, "late", &verify).await,
        "reject a verified report",
    );
    assert_eq!(
        ok(store.incident(other.id).await, "incident"),
        None,
        "a refused verification stores nothing"
    );
    let stored = ok(store.report(first.id).await, "report").expect("stored");
    assert_eq!(stored.state, ReportState::Verified);
    assert_eq!(stored.incident, Some(incident.id));
    assert_eq!(stored.decided_by, Some(responder.id));
    assert_eq!(
        ok(store.incident(incident.id).await, "incident"),
        Some(incident.clone())
    );

    let merge = action(responder.id, "merge", Some(second.id), at + 1);
    not_found(
        store.merge_report(second.id, IncidentId::new(), &merge).await,
        "merge into nothing",
    );
    ok(store.merge_report(second.id, incident.id, &merge).await, "merge_report");
    let reject = action(responder.id, "reject", Some(third.id), at + 2);
    ok(
        store
            .reject_report(third.id, "a prank: the photo is from 2019", &reject)
            .await,
        "reject_report",
    );
    let third_now = ok(store.report(third.id).await, "report").expect("stored");
    assert_eq!(third_now.state, ReportState::Rejected);
    assert_eq!(third_now.reason.as_deref(), Some("a prank: the photo is from 2019"));
    not_found(
        store.reject_report(ReportId::new(), "x", &reject).await,
        "reject an unknown report",
    );

    let open = ok(store.open_reports(at + 3, 1_000).await, "open_reports");
    assert!(
        open.iter().all(|r| r.reporter != reporter.id),
        "decided reports leave the queue"
    );
    assert_eq!(
        ok(store.reporter_accuracy(reporter.id).await, "accuracy"),
        Accuracy { verified: 2, total: 3 }
    );
    let log = ok(store.responder_actions(1_000).await, "responder_actions");
    let ours: Vec<&str> = log
        .iter()
        .filter(|a| a.responder == responder.id)
        .map(|a| a.action.as_str())
        .collect();
    assert_eq!(
        ours,
        vec!["reject", "merge", "verify"],
        "newest first, one per decision"
    );
    let mine = ok(store.reports_of(reporter.id).await, "reports_of");
    assert_eq!(mine.len(), 3);
    assert_eq!(mine[0].id, third.id);
}

pub async fn unverified_reports_expire_without_a_decision(store: &dyn Store) {
    let reporter = account(store, "exp").await;
    let responder = account(store, "exp_resp").await;
    let mut r = report(reporter.id, cell(2), T0);
    r.expires_at_us = T0 + 10 * MINUTE;
    ok(store.create_report(&r).await, "create_report");
    let open = ok(store.open_reports(T0 + 9 * MINUTE, 1_000).await, "open");
    assert!(open.iter().any(|o| o.id == r.id));
    let open = ok(store.open_reports(T0 + 10 * MINUTE, 1_000).await, "open at expiry");
    assert!(
        open.iter().all(|o| o.id != r.id),
        "gone from the queue when its time is up"
    );
    // A responder too late: refused even before the expiry task ran.
    let late = incident_from(&r, responder.id, T0 + 11 * MINUTE);
    let verify = action(responder.id, "verify", Some(r.id), T0 + 11 * MINUTE);
    conflict(store.verify_report(r.id, &late, &verify).await, "verify after expiry");
    assert!(ok(store.expire_reports(T0 + 11 * MINUTE).await, "expire") >= 1);
    let stored = ok(store.report(r.id).await, "report").expect("stored");
    assert_eq!(stored.state, ReportState::Expired);
    assert_eq!(stored.decided_by, None, "nobody decided it");
    assert_eq!(ok(store.expire_reports(T0 + 11 * MINUTE).await, "expire again"), 0);
}

pub async fn questions_and_incident_updates(store: &dyn Store) {
    let reporter = account(store, "q").await;
    let stranger = account(store, "q_other").await;
    let responder = account(store, "q_resp").await;
    let r = report(reporter.id, cell(3), T0);
    ok(store.create_report(&r).await, "create_report");
    let question = Question {
        id: QuestionId::new(),
        report: r.id,
        asked_by: responder.id,
        asked_at_us: T0 + MINUTE,
        text: "Which corner exactly?".into(),
        answer: None,
        answered_at_us: None,
    };
    ok(
        store
            .ask_question(&question, &action(responder.id, "ask", Some(r.id), T0 + MINUTE))
            .await,
        "ask",
    );
    not_found(
        store.answer_question(question.id, stranger.id, "none", T0).await,
        "answer someone else's",
    );
    let answered = ok(
        store
            .answer_question(question.id, reporter.id, "18th and Blue Island", T0 + 2 * MINUTE)
            .await,
        "answer",
    );
    assert_eq!(answered.answer.as_deref(), Some("18th and Blue Island"));
    assert_eq!(ok(store.questions_of(r.id).await, "questions_of"), vec![answered]);

    let incident = incident_from(&r, responder.id, T0 + 3 * MINUTE);
    ok(
        store
            .verify_report(
                r.id,
                &incident,
                &action(responder.id, "verify", Some(r.id), T0 + 3 * MINUTE),
            )
            .await,
        "verify",
    );
    let found = ok(store.incidents_in(&[cell(30), r.cell], T0, 10).await, "incidents_in");
    assert_eq!(found, vec![incident.clone()]);
    assert!(ok(store.incidents_in(&[cell(31)], T0, 10).await, "elsewhere").is_empty());
    let withdrawn = Incident {
        withdrawn_at_us: Some(T0 + 9 * MINUTE),
        updated_at_us: T0 + 9 * MINUTE,
        note: Some("they left".into()),
        ..incident.clone()
    };
    ok(
        store
            .update_incident(&withdrawn, &action(responder.id, "withdraw", None, T0 + 9 * MINUTE))
            .await,
        "withdraw",
    );
    assert_eq!(
        ok(store.incident(incident.id).await, "incident"),
        Some(withdrawn.clone())
    );
    assert!(ok(store.incidents_in(&[r.cell], T0 + 10 * MINUTE, 10).await, "since").is_empty());
    let unknown = Incident {
        id: IncidentId::new(),
        ..withdrawn
    };
    not_found(
        store
            .update_incident(&unknown, &action(responder.id, "update", None, T0))
            .await,
        "update unknown",
    );
}

pub async fn watch_areas_are_found_by_cell(store: &dyn Store) {
    let ana = account(store, "wa").await;
    let ben = account(store, "wb").await;
    let area = |account: AccountId, cells: Vec<Cell>| WatchArea {
        id: WatchAreaId::new(),
        account,
        label: "school".into(),
        cells,
        created_at_us: T0,
    };
    let mut home = area(ana.id, vec![cell(10), cell(11)]);
    home.cells.sort();
    let work = area(ben.id, vec![cell(11)]);
    ok(store.save_watch_area(&home, 10).await, "save");
    ok(store.save_watch_area(&work, 10).await, "save");
    let mut both = vec![ana.id, ben.id];
    both.sort();
    assert_eq!(ok(store.watchers_of(cell(11)).await, "watchers"), both);
    assert_eq!(ok(store.watchers_of(cell(10)).await, "watchers"), vec![ana.id]);
    assert!(ok(store.watchers_of(cell(12)).await, "nobody").is_empty());
    assert_eq!(ok(store.watch_areas_of(ana.id).await, "areas"), vec![home.clone()]);

    // Saving again replaces the cells; another account cannot touch it.
    let moved = WatchArea {
        cells: vec![cell(12)],
        ..home.clone()
    };
    ok(store.save_watch_area(&moved, 10).await, "replace");
    assert!(ok(store.watchers_of(cell(10)).await, "moved away").is_empty());
    let stolen = WatchArea {
        account: ben.id,
        ..moved.clone()
    };
    not_found(store.save_watch_area(&stolen, 10).await, "another's area");
    conflict(
        store.save_watch_area(&area(ben.id, vec![cell(13)]), 1).await,
        "over the cap",
    );
    assert!(!ok(store.delete_watch_area(ben.id, moved.id).await, "delete another's"));
    assert!(ok(store.delete_watch_area(ana.id, moved.id).await, "delete"));
    assert!(ok(store.watchers_of(cell(12)).await, "deleted").is_empty());
}

fn fresh_plate() -> Plate {
    let digits: String = VehicleId::new().0.simple().to_string().chars().rev().take(5).collect();
    ok(
        Plate::parse(&format!("Q{}", digits.to_uppercase())).map_err(|e| crate::StoreError::Backend(e.to_string())),
        "plate",
    )
}

pub async fn vehicles_are_indexed_confirmed_and_cleared(store: &dyn Store) {
    let reporter = account(store, "veh").await;
    let responder = account(store, "veh_resp").await;
    let r = report(reporter.id, cell(4), T0);
    ok(store.create_report(&r).await, "create_report");
    let incident = incident_from(&r, responder.id, T0 + MINUTE);
    ok(
        store
            .verify_report(
                r.id,
                &incident,
                &action(responder.id, "verify", Some(r.id), T0 + MINUTE),
            )
            .await,
        "verify",
    );
    let plate = fresh_plate();
    let sighting = |seen_at_us, colour: Option<&str>| NewSighting {
        new_id: VehicleId::new(),
        plate: plate.clone(),
        region: "IL".into(),
        make: Some("Ford".into()),
        model: None,
        colour: colour.map(str::to_owned),
        markings: None,
        incident: incident.id,
        cell: r.cell,
        seen_at_us,
    };
    ok(store.record_sightings(&[sighting(T0 + MINUTE, None)]).await, "record");
    ok(
        store.record_sightings(&[sighting(T0, Some("white"))]).await,
        "record again, older",
    );

    let query = |text: &str| IndexQuery::of(&Pattern::parse(text).expect("pattern")).expect("index query");
    // The plate with a confusable character (Q for 0) and a wildcard, and partially.
    let confused = format!("0{}*", &plate.as_str()[1..4]);
    let partial = plate.as_str()[2..6].to_owned();
    for text in [confused.as_str(), partial.as_str(), plate.as_str()] {
        let found = ok(store.vehicle_candidates(&query(text), 100).await, "candidates");
        let ours: Vec<&crate::Vehicle> = found.iter().filter(|v| v.plate == plate).collect();
        assert_eq!(ours.len(), 1, "{text} finds the vehicle once");
    }
    let vehicle = ok(
        store.vehicle_candidates(&query(plate.as_str()), 100).await,
        "candidates",
    )
    .into_iter()
    .find(|v| v.plate == plate)
    .expect("found");
    assert_eq!(vehicle.status, Status::Confirmed);
    assert_eq!(
        vehicle.last_confirmed_at_us,
        T0 + MINUTE,
        "the latest sighting, not the last recorded"
    );
    assert_eq!(vehicle.colour.as_deref(), Some("white"), "what it lacked is filled in");
    assert_eq!(vehicle.make.as_deref(), Some("Ford"));
    assert_eq!(
        ok(store.sightings_of(vehicle.id).await, "sightings").len(),
        1,
        "one per incident"
    );

    let change = VehicleStatusChange {
        status: Status::Cleared,
        reason: "a rental, returned".into(),
        by: responder.id,
        at_us: T0 + 2 * MINUTE,
    };
    let audit = ResponderAction {
        vehicle: Some(vehicle.id),
        ..action(responder.id, "vehicle_status", None, T0 + 2 * MINUTE)
    };
    let cleared = ok(store.set_vehicle_status(vehicle.id, &change, &audit).await, "clear");
    assert_eq!(cleared.status, Status::Cleared);
    assert_eq!(cleared.status_by, Some(responder.id));
    assert_eq!(cleared.status_reason.as_deref(), Some("a rental, returned"));
    assert_eq!(ok(store.vehicle(vehicle.id).await, "vehicle"), Some(cleared));
    not_found(
        store.set_vehicle_status(VehicleId::new(), &change, &audit).await,
        "unknown vehicle",
    );
}
