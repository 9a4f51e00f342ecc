use super::*;
use amparo_store::{HouseholdPlan, OrgPolicy};
use proptest::prelude::*;

const T: i64 = 1_750_000_000_000_000;

fn period(start_day: i64, end_day: Option<i64>, grace_days: u32) -> PlanPeriod {
    PlanPeriod {
        starts_at_us: T + start_day * DAY_US,
        ends_at_us: end_day.map(|d| T + d * DAY_US),
        grace_days,
    }
}

fn at(day: i64) -> i64 {
    T + day * DAY_US
}

fn org_plan(period: PlanPeriod, covers_household: bool, lapse: LapsePolicy) -> OrgPlan {
    OrgPlan {
        org: OrgId::new(),
        period,
        policy: OrgPolicy {
            seat_covers_household: covers_household,
            backup_line: Some("+1 555 0100".into()),
            lapse,
        },
    }
}

const NOTHING: LapsePolicy = LapsePolicy {
    alerts: false,
    attorney_line: false,
};

#[test]
fn a_period_is_upcoming_active_in_grace_then_lapsed() {
    let p = period(10, Some(20), 3);
    assert_eq!(phase(&p, at(10) - 1), Phase::Upcoming);
    assert_eq!(phase(&p, at(10)), Phase::Active);
    assert_eq!(phase(&p, at(20) - 1), Phase::Active);
    assert_eq!(phase(&p, at(20)), Phase::Grace);
    assert_eq!(phase(&p, at(23) - 1), Phase::Grace);
    assert_eq!(phase(&p, at(23)), Phase::Lapsed);
    assert_eq!(phase(&period(10, Some(20), 0), at(20)), Phase::Lapsed, "no grace days");
    assert_eq!(phase(&period(0, None, 0), i64::MAX), Phase::Active, "open-ended");
    assert_eq!(
        phase(&period(0, Some(1), u32::MAX), i64::MAX - 1),
        Phase::Grace,
        "no overflow"
    );
}

#[test]
fn by_default_alerts_outlast_the_plan_and_the_attorney_line_lasts_through_grace_only() {
    let household = HouseholdPlan {
        household: HouseholdId::new(),
        period: period(0, Some(30), 7),
        owner_seat: None,
    };
    let facts = PlanFacts {
        seat: None,
        household: Some(household.clone()),
    };
    let default = PlanSettings::default().personal_lapse();
    let in_grace = judge(&facts, default, at(35));
    assert_eq!(
        (in_grace.plan, in_grace.phase, in_grace.alerts, in_grace.attorney_line),
        (
            PlanSource::Household {
                household: household.household
            },
            Phase::Grace,
            true,
            true
        )
    );
    let lapsed = judge(&facts, default, at(37));
    assert_eq!(
        (lapsed.phase, lapsed.alerts, lapsed.attorney_line),
        (Phase::Lapsed, true, false),
        "a lapsed payment never silences a family's alerts by default"
    );
    let strict = LapsePolicy {
        alerts: false,
        attorney_line: false,
    };
    let cut = judge(&facts, strict, at(37));
    assert_eq!((cut.alerts, cut.attorney_line), (false, false), "the server's policy");
    let upcoming = judge(
        &PlanFacts {
            household: Some(HouseholdPlan {
                period: period(5, None, 0),
                ..household
            }),
            seat: None,
        },
        strict,
        at(0),
    );
    assert_eq!((upcoming.phase, upcoming.alerts), (Phase::Upcoming, false));
}

#[test]
fn no_plan_is_a_lapsed_personal_plan() {
    let none = judge(&PlanFacts::default(), NOTHING, at(0));
    assert_eq!(
        (none.plan, none.phase, none.alerts, none.attorney_line),
        (PlanSource::None, Phase::Lapsed, false, false)
    );
    let open = LapsePolicy {
        alerts: true,
        attorney_line: true,
    };
    let served = judge(&PlanFacts::default(), open, at(0));
    assert!(
        served.alerts && served.attorney_line,
        "a server that serves everyone says so"
    );
}

#[test]
fn a_seat_covers_with_its_organizations_policy_and_backup_line() {
    let lapse = LapsePolicy {
        alerts: false,
        attorney_line: true,
    };
    let seat = org_plan(period(0, Some(10), 0), false, lapse);
    let facts = PlanFacts {
        seat: Some(seat.clone()),
        household: None,
    };
    let active = judge(&facts, NOTHING, at(5));
    assert_eq!(active.plan, PlanSource::Organization { org: seat.org });
    assert_eq!(active.backup_line.as_deref(), Some("+1 555 0100"));
    let lapsed = judge(&facts, NOTHING, at(11));
    assert_eq!(
        (lapsed.phase, lapsed.alerts, lapsed.attorney_line),
        (Phase::Lapsed, false, true)
    );
}

#[test]
fn an_owners_seat_covers_the_household_only_if_the_organization_allows_it() {
    let household = HouseholdId::new();
    let lapsed_own = period(-100, Some(-50), 0);
    let facts = |covers: bool| PlanFacts {
        seat: None,
        household: Some(HouseholdPlan {
            household,
            period: lapsed_own.clone(),
            owner_seat: Some(org_plan(period(0, None, 0), covers, NOTHING)),
        }),
    };
    let allowed = facts(true);
    let org = allowed
        .household
        .as_ref()
        .and_then(|h| h.owner_seat.as_ref())
        .map(|s| s.org);
    let covered = judge(&allowed, NOTHING, at(1));
    assert_eq!(
        covered.plan,
        PlanSource::OrganizationHousehold {
            org: org.unwrap_or_default(),
            household
        }
    );
    assert!(covered.alerts && covered.attorney_line);
    let refused = judge(&facts(false), NOTHING, at(1));
    assert_eq!(refused.plan, PlanSource::Household { household });
    assert!(
        !refused.alerts && !refused.attorney_line,
        "the household's own plan lapsed"
    );
}

#[test]
fn the_plan_that_covers_most_wins_and_earlier_wins_ties() {
    let household = HouseholdId::new();
    let seat = org_plan(period(0, Some(1), 0), false, NOTHING);
    let facts = PlanFacts {
        seat: Some(seat.clone()),
        household: Some(HouseholdPlan {
            household,
            period: period(0, None, 0),
            owner_seat: None,
        }),
    };
    assert_eq!(
        judge(&facts, NOTHING, at(0)).plan,
        PlanSource::Organization { org: seat.org },
        "tie: the seat"
    );
    assert_eq!(
        judge(&facts, NOTHING, at(2)).plan,
        PlanSource::Household { household },
        "the seat lapsed"
    );
}

fn any_period() -> impl Strategy<Value = PlanPeriod> {
    (-50i64..50, prop::option::of(0i64..50), 0u32..20)
        .prop_map(|(start, length, grace)| period(start, length.map(|l| start + l + 1), grace))
}

fn any_lapse() -> impl Strategy<Value = LapsePolicy> {
    (any::<bool>(), any::<bool>()).prop_map(|(alerts, attorney_line)| LapsePolicy { alerts, attorney_line })
}

fn any_org() -> impl Strategy<Value = OrgPlan> {
    (any_period(), any::<bool>(), any_lapse()).prop_map(|(p, covers, lapse)| org_plan(p, covers, lapse))
}

fn any_facts() -> impl Strategy<Value = PlanFacts> {
    let household = (any_period(), prop::option::of(any_org())).prop_map(|(period, owner_seat)| HouseholdPlan {
        household: HouseholdId::new(),
        period,
        owner_seat,
    });
    (prop::option::of(any_org()), prop::option::of(household))
        .prop_map(|(seat, household)| PlanFacts { seat, household })
}

proptest! {
    /// Whatever the plans, an active or in-grace plan covers everything, more plans never cover
    /// less, and nothing covers less than having no plan.
    #[test]
    fn coverage_is_monotonic(facts in any_facts(), personal in any_lapse(), day in -60i64..120) {
        let now = at(day);
        let got = judge(&facts, personal, now);
        let alone = judge(&PlanFacts::default(), personal, now);
        prop_assert!(got.alerts >= alone.alerts && got.attorney_line >= alone.attorney_line, "no plan covers more");
        if got.phase.covers() {
            prop_assert!(got.alerts && got.attorney_line);
        }
        let covers_as_much = |other: &Coverage| got.alerts >= other.alerts && got.attorney_line >= other.attorney_line;
        let without_seat = judge(&PlanFacts { seat: None, ..facts.clone() }, personal, now);
        prop_assert!(covers_as_much(&without_seat), "a seat never covers less");
        let without_household = judge(&PlanFacts { household: None, ..facts.clone() }, personal, now);
        prop_assert!(covers_as_much(&without_household), "a household never covers less");
        if let Some(seat) = &facts.seat {
            let alone = Coverage::of_org(PlanSource::Organization { org: seat.org }, seat, now);
            prop_assert!(covers_as_much(&alone), "never less than the seat alone");
        }
    }
}
