//! Organizations: admins of one organization, seat pools (one seat per account, the pool's size
//! under a race), policies and plans, the facts coverage reads, billing events applied once, and
//! invitation hygiene.

use super::{DAY, T0, account, conflict, not_found, ok};
use crate::{
    Account, BillingChange, BillingEvent, BillingOutcome, HouseholdId, Invitation, InvitationId, LapsePolicy,
    NewHousehold, NewOrganization, OrgPolicy, Organization, PlanPeriod, Seat, SeatRefusal, Store,
};
use amparo_core::ids::{AccountId, OrgId};
use amparo_core::leaf::sha256;

fn period() -> PlanPeriod {
    PlanPeriod {
        starts_at_us: T0,
        ends_at_us: Some(T0 + 365 * DAY),
        grace_days: 30,
    }
}

fn new_org(seats: u32) -> NewOrganization {
    NewOrganization {
        id: OrgId::new(),
        name: "Legal Aid of the Valley".into(),
        seats,
        policy: OrgPolicy {
            seat_covers_household: true,
            backup_line: Some("+1 555 0100".into()),
            lapse: LapsePolicy {
                alerts: true,
                attorney_line: false,
            },
        },
        period: period(),
        created_at_us: T0,
    }
}

pub(super) async fn org(store: &dyn Store, seats: u32) -> Organization {
    ok(store.create_organization(&new_org(seats)).await, "create_organization")
}

async fn seat(store: &dyn Store, org: &Organization, who: &Account) -> Seat {
    let given = ok(store.assign_seat(org.id, who.id, T0).await, "assign_seat");
    given.unwrap_or_else(|refusal| panic!("assign_seat for {}: refused with {refusal:?}", who.username))
}

async fn refused(store: &dyn Store, org: &Organization, who: &Account) -> SeatRefusal {
    match ok(store.assign_seat(org.id, who.id, T0).await, "assign_seat") {
        Ok(seat) => panic!("assign_seat for {}: expected a refusal, got {seat:?}", who.username),
        Err(refusal) => refusal,
    }
}

async fn household_owned_by(store: &dyn Store, owner: &Account) -> crate::Household {
    let new = NewHousehold {
        id: HouseholdId::new(),
        owner: owner.id,
        created_at_us: T0,
        period: period(),
    };
    ok(store.create_household(&new).await, "create_household")
}

async fn reread(store: &dyn Store, org: &Organization) -> Organization {
    ok(store.organization(org.id).await, "organization").expect("the organization exists")
}

/// An organization round-trips; admins are named per organization; policy and plan are set.
pub async fn organizations_have_admins_policies_and_plans(store: &dyn Store) {
    let new = new_org(3);
    let created = ok(store.create_organization(&new).await, "create_organization");
    assert_eq!(
        (created.id, &created.name, created.seats, created.used),
        (new.id, &new.name, 3, 0)
    );
    assert_eq!((&created.policy, &created.period), (&new.policy, &new.period));
    assert_eq!(reread(store, &created).await, created);
    conflict(store.create_organization(&new).await, "create_organization(same id)");
    assert_eq!(
        ok(store.organization(OrgId::new()).await, "organization(unknown)"),
        None
    );

    let (ana, ben) = (account(store, "ana").await, account(store, "ben").await);
    let other = org(store, 1).await;
    ok(store.add_org_admin(created.id, ana.id).await, "add_org_admin");
    ok(store.add_org_admin(created.id, ana.id).await, "add_org_admin again");
    ok(store.add_org_admin(other.id, ana.id).await, "add_org_admin(other)");
    let ids = |orgs: Vec<Organization>| orgs.into_iter().map(|o| o.id).collect::<Vec<_>>();
    let administered = ok(store.organizations_administered_by(ana.id).await, "administered_by");
    assert_eq!(ids(administered), [created.id, other.id], "oldest first, each once");
    assert_eq!(ids(ok(store.organizations_administered_by(ben.id).await, "none")), []);
    not_found(
        store.add_org_admin(OrgId::new(), ana.id).await,
        "add_org_admin(unknown org)",
    );
    not_found(
        store.add_org_admin(created.id, AccountId::new()).await,
        "add_org_admin(unknown account)",
    );
    ok(store.remove_org_admin(other.id, ana.id).await, "remove_org_admin");
    ok(store.remove_org_admin(other.id, ana.id).await, "remove_org_admin again");
    assert_eq!(
        ids(ok(store.organizations_administered_by(ana.id).await, "after")),
        [created.id]
    );
    not_found(
        store.remove_org_admin(OrgId::new(), ana.id).await,
        "remove_org_admin(unknown org)",
    );

    let policy = OrgPolicy {
        seat_covers_household: false,
        backup_line: None,
        lapse: LapsePolicy {
            alerts: false,
            attorney_line: true,
        },
    };
    let updated = ok(store.set_org_policy(created.id, &policy).await, "set_org_policy");
    assert_eq!((&updated.policy, &updated.period), (&policy, &created.period));
    not_found(
        store.set_org_policy(OrgId::new(), &policy).await,
        "set_org_policy(unknown)",
    );

    // Shrinking the pool below the seats in use is accepted: nobody loses a seat.
    seat(store, &created, &ana).await;
    seat(store, &created, &ben).await;
    let renewed = PlanPeriod {
        starts_at_us: T0 + 365 * DAY,
        ends_at_us: None,
        grace_days: 0,
    };
    let shrunk = ok(store.set_org_plan(created.id, &renewed, 1).await, "set_org_plan");
    assert_eq!(
        (shrunk.seats, shrunk.used, shrunk.free(), shrunk.over_allocated()),
        (1, 2, 0, 1)
    );
    assert_eq!((&shrunk.period, &shrunk.policy), (&renewed, &policy));
    let carl = account(store, "carl").await;
    assert_eq!(refused(store, &created, &carl).await, SeatRefusal::Full);
    not_found(
        store.set_org_plan(OrgId::new(), &renewed, 1).await,
        "set_org_plan(unknown)",
    );
}

/// Seats are given and reclaimed; an account holds one at a time, of any organization.
pub async fn seats_are_given_once_per_account_and_reclaimed(store: &dyn Store) {
    let (pool, other) = (org(store, 2).await, org(store, 5).await);
    let (ana, ben, carl) = (
        account(store, "ana").await,
        account(store, "ben").await,
        account(store, "carl").await,
    );
    let given = seat(store, &pool, &ana).await;
    assert_eq!(
        (given.org, given.account, &given.username),
        (pool.id, ana.id, &ana.username)
    );
    assert_eq!(refused(store, &pool, &ana).await, SeatRefusal::AlreadySeated);
    assert_eq!(
        refused(store, &other, &ana).await,
        SeatRefusal::AlreadySeated,
        "one seat, any pool"
    );
    seat(store, &pool, &ben).await;
    assert_eq!(refused(store, &pool, &carl).await, SeatRefusal::Full);
    let listed: Vec<_> = ok(store.seats(pool.id).await, "seats")
        .into_iter()
        .map(|s| s.account)
        .collect();
    assert_eq!(listed, [ana.id, ben.id], "in the order given");
    assert_eq!(reread(store, &pool).await.used, 2);

    not_found(store.reclaim_seat(other.id, ana.id).await, "reclaim_seat(wrong org)");
    ok(store.reclaim_seat(pool.id, ana.id).await, "reclaim_seat");
    not_found(store.reclaim_seat(pool.id, ana.id).await, "reclaim_seat twice");
    seat(store, &other, &ana).await;
    seat(store, &pool, &carl).await;
    assert_eq!(reread(store, &pool).await.used, 2);
    not_found(
        store.assign_seat(OrgId::new(), carl.id, T0).await,
        "assign_seat(unknown org)",
    );
    not_found(
        store.assign_seat(pool.id, AccountId::new(), T0).await,
        "assign_seat(unknown account)",
    );
    assert_eq!(ok(store.seats(OrgId::new()).await, "seats(unknown)"), []);
}

/// One free seat, six accounts asking at once: exactly one gets it. One account asked for by two
/// pools at once gets one seat.
pub async fn the_last_org_seat_is_given_once_under_a_race(store: &dyn Store) {
    let pool = org(store, 3).await;
    for i in 0..2 {
        seat(store, &pool, &account(store, &format!("seated{i}")).await).await;
    }
    let mut racers = Vec::new();
    for i in 0..6 {
        racers.push(account(store, &format!("racer{i}")).await);
    }
    let ask = |i: usize| store.assign_seat(pool.id, racers[i].id, T0);
    let outcomes = tokio::join!(ask(0), ask(1), ask(2), ask(3), ask(4), ask(5));
    let outcomes = [outcomes.0, outcomes.1, outcomes.2, outcomes.3, outcomes.4, outcomes.5]
        .map(|outcome| ok(outcome, "assign_seat in the race"));
    let winners = outcomes.iter().filter(|o| o.is_ok()).count();
    let full = outcomes.iter().filter(|o| **o == Err(SeatRefusal::Full)).count();
    assert_eq!(
        (winners, full),
        (1, 5),
        "one winner, five told it is full: {outcomes:?}"
    );
    let after = reread(store, &pool).await;
    assert_eq!((after.used, after.free()), (3, 0));

    let (one, two) = (org(store, 5).await, org(store, 5).await);
    let wanted = account(store, "wanted").await;
    let (a, b) = tokio::join!(
        store.assign_seat(one.id, wanted.id, T0),
        store.assign_seat(two.id, wanted.id, T0)
    );
    let (a, b) = (ok(a, "assign_seat(one)"), ok(b, "assign_seat(two)"));
    let seated = [&a, &b].iter().filter(|o| o.is_ok()).count();
    assert_eq!(seated, 1, "one seat per account under a race: {a:?} {b:?}");
    assert!([&a, &b].contains(&&Err(SeatRefusal::AlreadySeated)), "{a:?} {b:?}");
}

/// `plan_facts` names the account's seat, its household, and the household owner's seat.
pub async fn plan_facts_name_every_plan_that_may_cover(store: &dyn Store) {
    let (owner, member, loner) = (
        account(store, "owner").await,
        account(store, "member").await,
        account(store, "loner").await,
    );
    assert_eq!(
        ok(store.plan_facts(loner.id).await, "plan_facts(no plan)"),
        Default::default()
    );
    assert_eq!(
        ok(store.plan_facts(AccountId::new()).await, "plan_facts(unknown)"),
        Default::default()
    );

    let pool = org(store, 2).await;
    seat(store, &pool, &owner).await;
    let household = household_owned_by(store, &owner).await;
    let code = sha256(AccountId::new().as_bytes());
    let invitation = Invitation {
        code_sha256: code,
        household: household.id,
        created_by: owner.id,
        created_at_us: T0,
        expires_at_us: T0 + DAY,
    };
    ok(store.create_invitation(&invitation).await, "create_invitation");
    let joined = ok(store.accept_invitation(&code, member.id, T0).await, "accept_invitation");
    assert!(joined.is_ok(), "{joined:?}");

    let facts = ok(store.plan_facts(member.id).await, "plan_facts(member)");
    assert_eq!(facts.seat, None, "the member holds no seat");
    let plan = facts.household.expect("the member's household");
    assert_eq!((plan.household, &plan.period), (household.id, &household.period));
    let owner_seat = plan.owner_seat.expect("the owner's seat");
    assert_eq!(
        (owner_seat.org, &owner_seat.period, &owner_seat.policy),
        (pool.id, &pool.period, &pool.policy)
    );

    let facts = ok(store.plan_facts(owner.id).await, "plan_facts(owner)");
    assert_eq!(facts.seat.map(|s| s.org), Some(pool.id));
    ok(store.reclaim_seat(pool.id, owner.id).await, "reclaim_seat");
    let facts = ok(store.plan_facts(member.id).await, "plan_facts(after reclaim)");
    assert_eq!(facts.household.and_then(|h| h.owner_seat), None);
}

fn billing(id: &str, change: BillingChange) -> BillingEvent {
    BillingEvent {
        id: id.into(),
        change,
        received_at_us: T0,
    }
}

/// An event is applied once by its id; a refused one leaves its id unused; a race applies once.
pub async fn billing_events_are_applied_exactly_once(store: &dyn Store) {
    let owner = account(store, "owner").await;
    let pool = org(store, 10).await;
    let later = PlanPeriod {
        starts_at_us: T0,
        ends_at_us: Some(T0 + 30 * DAY),
        grace_days: 3,
    };
    let prefix = super::fresh_name("evt");
    let to_org = billing(
        &format!("{prefix}_1"),
        BillingChange::OrganizationPlan {
            org: pool.id,
            period: later.clone(),
            seats: 25,
        },
    );
    match ok(store.apply_billing_event(&to_org).await, "apply_billing_event") {
        BillingOutcome::Organization(o) => assert_eq!((o.seats, &o.period), (25, &later)),
        other => panic!("expected the organization, got {other:?}"),
    }
    let replay = BillingEvent {
        change: BillingChange::OrganizationPlan {
            org: pool.id,
            period: period(),
            seats: 1,
        },
        ..to_org.clone()
    };
    let again = ok(store.apply_billing_event(&replay).await, "apply_billing_event(replay)");
    assert_eq!(again, BillingOutcome::AlreadyApplied);
    assert_eq!(reread(store, &pool).await.seats, 25, "a replayed id changes nothing");

    // An event for a household that does not exist yet is refused and can be sent again.
    let household = HouseholdId::new();
    let to_household = billing(
        &format!("{prefix}_2"),
        BillingChange::HouseholdPeriod {
            household,
            period: later.clone(),
        },
    );
    not_found(
        store.apply_billing_event(&to_household).await,
        "apply_billing_event(unknown household)",
    );
    let unknown_org = billing(
        &format!("{prefix}_3"),
        BillingChange::OrganizationPlan {
            org: OrgId::new(),
            period: later.clone(),
            seats: 1,
        },
    );
    not_found(
        store.apply_billing_event(&unknown_org).await,
        "apply_billing_event(unknown org)",
    );
    let new = NewHousehold {
        id: household,
        owner: owner.id,
        created_at_us: T0,
        period: period(),
    };
    ok(store.create_household(&new).await, "create_household");
    match ok(
        store.apply_billing_event(&to_household).await,
        "apply_billing_event(retried)",
    ) {
        BillingOutcome::Household(h) => assert_eq!(h.period, later),
        other => panic!("expected the household, got {other:?}"),
    }

    // Five deliveries of one new event at once: applied once.
    let raced = billing(
        &format!("{prefix}_4"),
        BillingChange::OrganizationPlan {
            org: pool.id,
            period: period(),
            seats: 7,
        },
    );
    let apply = || store.apply_billing_event(&raced);
    let outcomes = tokio::join!(apply(), apply(), apply(), apply(), apply());
    let outcomes = [outcomes.0, outcomes.1, outcomes.2, outcomes.3, outcomes.4].map(|o| ok(o, "raced event"));
    let applied = outcomes
        .iter()
        .filter(|o| **o != BillingOutcome::AlreadyApplied)
        .count();
    assert_eq!(applied, 1, "{outcomes:?}");
    assert_eq!(reread(store, &pool).await.seats, 7);
}

/// Pending invitations are listed without codes, revoked by id, and spent ones purged.
pub async fn invitations_are_listed_revoked_and_purged(store: &dyn Store) {
    let owner = account(store, "owner").await;
    let ana = account(store, "ana").await;
    let household = household_owned_by(store, &owner).await;
    let mut codes = Vec::new();
    for (i, expires) in [T0 + DAY, T0 + DAY, T0 + DAY, T0].into_iter().enumerate() {
        let code = sha256(AccountId::new().as_bytes());
        let invitation = Invitation {
            code_sha256: code,
            household: household.id,
            created_by: owner.id,
            created_at_us: T0 - 10 + i64::try_from(i).unwrap_or(0),
            expires_at_us: expires,
        };
        ok(store.create_invitation(&invitation).await, "create_invitation");
        codes.push(code);
    }
    let used = ok(
        store.accept_invitation(&codes[2], ana.id, T0 - 1).await,
        "accept_invitation",
    );
    assert!(used.is_ok(), "{used:?}");

    let pending = ok(store.pending_invitations(household.id, T0).await, "pending_invitations");
    let ids: Vec<InvitationId> = pending.iter().map(|p| p.id).collect();
    assert_eq!(
        ids,
        [InvitationId::of(&codes[0]), InvitationId::of(&codes[1])],
        "unused and unexpired, oldest first"
    );
    assert_eq!((pending[0].created_by, pending[0].expires_at_us), (owner.id, T0 + DAY));
    let text = ids[0].to_string();
    assert_eq!(text.parse::<InvitationId>(), Ok(ids[0]), "ids read back: {text}");
    assert_eq!(
        ok(
            store.pending_invitations(HouseholdId::new(), T0).await,
            "unknown household"
        ),
        []
    );

    ok(store.revoke_invitation(household.id, ids[0]).await, "revoke_invitation");
    not_found(
        store.revoke_invitation(household.id, ids[0]).await,
        "revoke_invitation twice",
    );
    not_found(
        store.revoke_invitation(HouseholdId::new(), ids[1]).await,
        "revoke_invitation(other household)",
    );
    not_found(
        store.revoke_invitation(household.id, InvitationId::of(&codes[2])).await,
        "revoke(used)",
    );
    let bob = account(store, "bob").await;
    let revoked = ok(store.accept_invitation(&codes[0], bob.id, T0).await, "accept(revoked)");
    assert!(revoked.is_err(), "a revoked code no longer works: {revoked:?}");

    let purged = ok(store.purge_invitations(T0 + 1).await, "purge_invitations");
    assert!(purged >= 2, "the used and the expired invitation at least: {purged}");
    not_found(
        store.revoke_invitation(household.id, InvitationId::of(&codes[3])).await,
        "revoke(purged)",
    );
    let left = ok(store.pending_invitations(household.id, T0).await, "pending after purge");
    assert_eq!(
        left.iter().map(|p| p.id).collect::<Vec<_>>(),
        [ids[1]],
        "the pending one stays"
    );
    let joined = ok(store.accept_invitation(&codes[1], bob.id, T0).await, "accept(pending)");
    assert!(joined.is_ok(), "{joined:?}");
    let again = ok(
        store.accept_invitation(&codes[2], bob.id, T0).await,
        "accept(purged used code)",
    );
    assert!(again.is_err(), "a purged used code still does not work: {again:?}");
}
