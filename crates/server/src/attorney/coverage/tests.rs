use super::*;
use amparo_core::ids::{AccountId, EncounterId, OrgId};

/// Monday 2026-11-16 00:00 UTC.
const MONDAY: i64 = 1_794_787_200_000_000;

fn profile(org: OrgId, languages: &[&str], states: &[&str]) -> AttorneyProfile {
    let mut p = AttorneyProfile::new(org);
    p.vetted = true;
    p.languages = languages.iter().map(|l| l.parse().unwrap()).collect();
    p.bar_admissions = states.iter().map(|s| s.parse().unwrap()).collect();
    p
}

fn call(org: OrgId, at: i64, wait_secs: Option<i64>) -> CallRecord {
    CallRecord {
        encounter: EncounterId::new(),
        org,
        language: "es".into(),
        us_state: "CA".into(),
        requested_at_us: at,
        offered_at_us: None,
        connected_at_us: wait_secs.map(|w| at + w * 1_000_000),
        attorney: None,
        closed_at_us: Some(at + 600_000_000),
        outcome: None,
    }
}

#[test]
fn hours_of_the_week_start_on_monday_utc() {
    assert_eq!(hour_of_week(MONDAY), 0);
    assert_eq!(hour_of_week(MONDAY + 25 * HOUR_US), 25);
    assert_eq!(hour_of_week(MONDAY - HOUR_US), 167);
    assert_eq!(hour_of_week(0), 3 * 24, "the epoch was a Thursday");
}

#[test]
fn counts_attorneys_who_could_take_the_call_and_the_waits() {
    let org = OrgId::new();
    let (ana, ben) = (AccountId::new(), AccountId::new());
    let profiles = HashMap::from([
        (ana, profile(org, &["es", "en"], &["CA"])),
        (ben, profile(org, &["en"], &["CA"])),
    ]);
    let spans = vec![
        DutySpan {
            attorney: ana,
            org,
            since_us: MONDAY,
            until_us: Some(MONDAY + 2 * HOUR_US),
        },
        DutySpan {
            attorney: ben,
            org,
            since_us: MONDAY,
            until_us: None,
        },
    ];
    let calls = vec![
        call(org, MONDAY + 60_000_000, Some(4)),
        call(org, MONDAY + 120_000_000, Some(10)),
        // Tuesday 10:00: nobody who speaks Spanish is on duty.
        call(org, MONDAY + 34 * HOUR_US, None),
    ];
    let input = CoverageInput {
        since_us: MONDAY,
        until_us: MONDAY + 7 * DAY_US,
        policy: StatePolicy::AdmittedInState,
        spans: &spans,
        calls: &calls,
        profiles: &profiles,
    };
    let rows = table(&input);
    let row = |hour: u8, language: &str| {
        rows.iter()
            .find(|r| r.hour_of_week == hour && r.language == language)
            .cloned()
    };
    let monday_es = row(0, "es").unwrap();
    assert_eq!(monday_es.attorneys_on_duty, 1.0);
    assert_eq!(monday_es.requests, 2);
    assert_eq!(monday_es.wait_p50_secs, Some(4.0));
    assert_eq!(monday_es.wait_p95_secs, Some(10.0));
    assert!(!monday_es.gap);
    assert_eq!(row(0, "en").unwrap().attorneys_on_duty, 2.0);
    assert!(row(2, "es").is_none(), "Ana went off duty at 02:00 and nobody asked");
    let tuesday = row(34, "es").unwrap();
    assert_eq!(
        (tuesday.attorneys_on_duty, tuesday.requests, tuesday.unanswered),
        (0.0, 1, 1)
    );
    assert!(tuesday.gap);
}

#[test]
fn any_admission_covers_every_state_asked_in() {
    let org = OrgId::new();
    let ana = AccountId::new();
    let profiles = HashMap::from([(ana, profile(org, &["es"], &["NY"]))]);
    let spans = vec![DutySpan {
        attorney: ana,
        org,
        since_us: MONDAY,
        until_us: Some(MONDAY + HOUR_US),
    }];
    let calls = vec![call(org, MONDAY + 1, Some(3))];
    let mut input = CoverageInput {
        since_us: MONDAY,
        until_us: MONDAY + 14 * DAY_US,
        policy: StatePolicy::AdmittedInState,
        spans: &spans,
        calls: &calls,
        profiles: &profiles,
    };
    let ca = |rows: &[CoverageRow]| rows.iter().find(|r| r.us_state == "CA").unwrap().attorneys_on_duty;
    assert_eq!(ca(&table(&input)), 0.0);
    input.policy = StatePolicy::AnyUsAdmission;
    assert_eq!(ca(&table(&input)), 0.5, "one hour on duty over two weeks");
}
